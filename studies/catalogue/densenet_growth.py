"""DenseNet-BC: growth rate k and transition compression theta (Huang et al. 2017)."""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Study

# DenseNet-BC-40: three dense blocks of LAYERS bottleneck layers ((40 - 4) / 6 = 6), a bare
# 3x3 stem of 2k channels, as the paper's CIFAR DenseNet-BC (densenet_bc_100_k12 has 16 per
# block). compression 1.0 = no compression, i.e. DenseNet-B.
LAYERS = (6, 6, 6)

# Quick-budget cost (1x28x28): k=6: 13.8M (theta 0.5) / 16.8M (1.0); k=12: 55.1M / 67.0M
# MACs/image. k=12, theta=1 trains at 110 images/s alone on a core (measured): 2000 images take
# ~6-28 s + evaluation + ~20 s overhead. 4 variants x 2 seeds = 8 trials, two at a time:
# ~3 minutes.


def space(trial, base):
    k = trial.suggest_categorical("k", [6, 12, 24])
    compression = trial.suggest_categorical("compression", [0.5, 1.0])
    return presets.densenet(k, LAYERS, stem="cifar_preact", stem_width=2 * k, bottleneck=True,
                            compression=compression, num_classes=base.num_classes)


STUDY = Study(
    name="densenet_growth",
    claim="a relatively small growth rate suffices, and accuracy improves as k grows (DenseNet "
    "L=100: k=12 4.10% vs k=24 3.74% on C10+); compression (theta = 0.5, DenseNet-BC) makes "
    "the model more compact and is consistently the most parameter-efficient variant",
    source="Huang et al. 2017, Section 3 (growth rate, compression) and Table 2 (REFERENCE.md "
    "2.6)",
    base="densenet_bc_100_k12",
    space=space,
    grid={"k": (6, 12), "compression": (0.5, 1.0)},
    baseline="k=12,compression=0.5",  # the paper's DenseNet-BC default
    # Only the growth-rate claim orders errors; compression's claim is about parameters.
    expected_order=("k=12,compression=0.5", "k=6,compression=0.5"),
    # Huang et al.: batch 64, 300 epochs, lr 0.1 /10 at 50% and 75%, wd 1e-4, Nesterov 0.9.
    recipe=Recipe(epochs=300, batch_size=64, lr=0.1, momentum=0.9, nesterov=True,
                  weight_decay=1e-4, schedule="multistep", milestones=(0.5, 0.75),
                  crop_padding=2, flip=True),
    quick=Budget(recipe={"epochs": 1, "max_train_images": 2000, "max_val_images": 500,
                         "max_test_images": 500}, seeds=2),
    full=Budget(grid={"k": (6, 12, 24), "compression": (0.5, 1.0)}, seeds=3, concurrency=8,
                gpus_per_trial=0.125),
)
