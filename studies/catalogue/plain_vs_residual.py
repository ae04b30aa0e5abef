"""The degradation problem: plain vs residual CIFAR nets at two depths (He et al. 2015)."""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Study

# Quick-budget cost (1x28x28): 20 layers = 30.8M MACs/image, 56 layers = 95.8M (shortcut A adds
# none). 2 epochs x 1000 images (training error needs a second pass to mean anything); at ~175
# images/s per core for the 20-layer nets (~57 for the 56-layer ones) a trial trains for ~11 s
# (20) or ~35 s (56), + ~5 s evaluation + overhead. 4 variants x 2 seeds = 8 trials, two at a
# time: ~3.5 minutes.


def space(trial, base):
    layers = trial.suggest_categorical("layers", [20, 32, 44, 56, 110])  # 6n + 2
    shortcut = trial.suggest_categorical("shortcut", ["A", "none"])
    return presets.cifar_resnet((layers - 2) // 6, shortcut=shortcut,
                                num_classes=base.num_classes)


STUDY = Study(
    name="plain_vs_residual",
    claim="the deep plain nets suffer from increased depth, and exhibit higher training error "
    "when going deeper; ResNets manage to overcome the optimization difficulty and demonstrate "
    "accuracy gains when the depth increases",
    source="He et al. 2015, Section 4.2 and Figure 6 (CIFAR-10 plain-20/56 vs ResNet-20/56, "
    "option A; REFERENCE.md 2.1: the plain-net errors exist only as curves)",
    base="resnet56",
    space=space,
    grid={"layers": (20, 56), "shortcut": ("A", "none")},
    baseline="layers=56,shortcut=none",  # the degraded net the other three are compared with
    # Best first by training error, as Fig. 6 draws them: ResNet-56 < ResNet-20 (depth helps
    # with shortcuts), plain-20 < plain-56 (degradation). ResNet-20 ahead of plain-20 is read
    # off the curves (the text ranks only within each family and ResNet-56 vs plain-56).
    expected_order=("layers=56,shortcut=A", "layers=20,shortcut=A", "layers=20,shortcut=none",
                    "layers=56,shortcut=none"),
    objectives=("train_error",),
    # He et al.: SGD 0.9, lr 0.1 /10 at 32k and 48k of 64k iterations (~50% / 75%), batch
    # 128, wd 1e-4, no Nesterov; crop + flip (2 px padding on 28 px images instead of 4 on 32).
    recipe=Recipe(epochs=160, batch_size=128, lr=0.1, momentum=0.9, nesterov=False,
                  weight_decay=1e-4, schedule="multistep", milestones=(0.5, 0.75),
                  crop_padding=2, flip=True),
    quick=Budget(recipe={"epochs": 2, "max_train_images": 1000, "max_val_images": 500,
                         "max_test_images": 500}, seeds=2),
    full=Budget(grid={"layers": (20, 32, 44, 56, 110), "shortcut": ("A", "none")},
                seeds=3, concurrency=8, gpus_per_trial=0.125),
)
