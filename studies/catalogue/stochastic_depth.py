"""Stochastic depth vs constant depth on a CIFAR ResNet (Huang et al. 2016)."""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Study

# `drop_path` is Net.drop_path: block l of L drops its residual branch with probability
# drop_path * l / L, the paper's linear-decay rule with p_L = 1 - drop_path (0.5 -> p_L = 0.5).
# The paper's other rule (uniform survival p_l = p_L, Fig. 8) is not an axis of the space yet,
# so the uniform-vs-linear comparison cannot be declared here.
#
# Quick-budget cost (1x28x28): ResNet-56 = 95.8M MACs/image (drop-path skips compute in
# training, so this is an upper bound). 2000 images: ~16 s of training alone on a core (125
# images/s measured for the 56-layer pre-activation twin), <= ~38 s with two trials sharing the
# CPU, + evaluation + overhead: 2 variants x 2 seeds = 4 trials, two at a time, ~2 minutes.


def space(trial, base):
    layers = trial.suggest_categorical("layers", [56, 110])  # 6n + 2
    drop_path = trial.suggest_categorical("drop_path", [0.0, 0.2, 0.5])
    return presets.cifar_resnet((layers - 2) // 6, num_classes=base.num_classes).replace(
        drop_path=drop_path)


STUDY = Study(
    name="stochastic_depth",
    claim="training with stochastic depth (linear decay to survival p_L = 0.5 in the last "
    "block) reduces test error compared with constant depth: 110 layers 6.41% -> 5.25%, 1202 "
    "layers 6.67% -> 4.91% on CIFAR-10+",
    source="Huang et al. 2016, Table 1 and Section 4 (ResNet-110/1202, CIFAR-10+; "
    "REFERENCE.md 2.3); p_L sweep of Fig. 8 at full budget",
    base="resnet110_stochastic_depth",
    space=space,
    grid={"layers": (56,), "drop_path": (0.0, 0.5)},
    baseline="layers=56,drop_path=0.0",  # constant depth
    expected_order=("layers=56,drop_path=0.5", "layers=56,drop_path=0.0"),
    # Huang et al.: 500 epochs, lr 0.1 /10 at 50% and 75%, batch 128, wd 1e-4, Nesterov 0.9.
    recipe=Recipe(epochs=300, batch_size=128, lr=0.1, momentum=0.9, nesterov=True,
                  weight_decay=1e-4, schedule="multistep", milestones=(0.5, 0.75),
                  crop_padding=2, flip=True),
    quick=Budget(recipe={"epochs": 1, "max_train_images": 2000, "max_val_images": 500,
                         "max_test_images": 500}, seeds=2),
    # Full: the paper's 110 layers as well, and p_L = 0.8 (drop 0.2) from Fig. 8's sweep.
    full=Budget(grid={"layers": (56, 110), "drop_path": (0.0, 0.2, 0.5)}, seeds=3,
                concurrency=4, gpus_per_trial=0.25),
)
