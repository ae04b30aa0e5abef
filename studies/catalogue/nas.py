"""Two-objective architecture search over the block families: error vs MACs (NSGA-II)."""

from __future__ import annotations

from search_space import Net, Stage, presets
from trainers import Recipe

from ..study import Budget, Pilot, Study
from ._shared import CPU_PILOT, short_recipe

# One macro-architecture for every family: a 3x3/1 stem, three stages at strides 1/2/2
# (28 -> 14 -> 7 px) whose widths double, 1-4 blocks each, global pool + FC. The space picks a
# family and then only the axes that family has. Every point it can return is valid: the
# widths are chosen so that every group count divides every channel count it must, and the
# stem is as wide as the first stage so stride-1 ShuffleNet units (width == input) fit.
FAMILIES = ("basic", "preact", "bottleneck", "inverted", "shuffle", "shuffle_v2", "dense")
WIDTHS = (8, 16, 24, 32)  # first-stage width; multiples of 8
STRIDES = (1, 2, 2)

# Quick budget: 6 trials, each at most MAX_MACS (50M MACs/image at 1x28x28; larger points are
# rejected on the meta device before training), 8,000 images x 2 epochs (cosine lr 0.05, no
# flips: _shared.short_recipe). backbone_zoo's pilot sets the time: a ~30M-MAC residual net
# takes ~35 s, a depthwise one (MobileNetV2 0.5, 23M) 163 s; counted at 110 s per trial. About
# 2 in 3 sampled points meet the limit (random sampling), so the constraint prunes some but
# not most.
MAX_MACS = 50_000_000


def _stages(block: str, widths, depths, **common) -> tuple[Stage, ...]:
    return tuple(Stage(block, d, w, stride=s, **common)
                 for w, d, s in zip(widths, depths, STRIDES, strict=True))


def space(trial, base):
    family = trial.suggest_categorical("family", list(FAMILIES))
    depths = [trial.suggest_int(f"depth{i}", 1, 4) for i in range(len(STRIDES))]
    classes = base.num_classes
    if family == "dense":  # DenseNet-BC: k channels per layer, 2 x depth layers per block
        k = trial.suggest_categorical("growth", [8, 12, 16])
        return presets.densenet(k, tuple(2 * d for d in depths), stem="cifar_preact",
                                stem_width=2 * k, bottleneck=True, compression=0.5,
                                num_classes=classes)
    width = trial.suggest_categorical("width", list(WIDTHS))
    widths = tuple(width * 2**i for i in range(len(STRIDES)))
    if family in ("basic", "preact"):
        preact = family == "preact"
        stages = _stages("basic", widths, depths,
                         extras={"preact": preact, "shortcut": "B"})
        return Net(stages=stages, stem="cifar_preact" if preact else "cifar", stem_width=width,
                   head="preact_pool_fc" if preact else "pool_fc", num_classes=classes)
    if family == "bottleneck":  # ResNeXt: outputs 4 x width, inner 4 x width x e, C groups
        groups = trial.suggest_categorical("groups", [1, 2, 4, 8])
        expansion = trial.suggest_categorical("bottleneck_expansion", [0.25, 0.5])
        # inner = width (e = 0.25) or 2 x width: a multiple of 8, so every C above divides it
        stages = _stages("bottleneck", tuple(4 * w for w in widths), depths, groups=groups,
                         expansion=expansion)
        return Net(stages=stages, stem="cifar", stem_width=width, num_classes=classes)
    if family == "inverted":  # MobileNetV2: expansion t relative to the input width
        t = trial.suggest_categorical("inverted_expansion", [2, 4, 6])
        stages = _stages("inverted", widths, depths, expansion=t)
        return Net(stages=stages, stem="cifar", stem_width=width, num_classes=classes)
    # ShuffleNets are 4x as wide: their 1x1s are grouped (v1) or see half the channels (v2),
    # and ShuffleNet 1x's stage 2 is 144-384 wide.
    widths = tuple(4 * w for w in widths)  # multiples of 32
    if family == "shuffle":  # v1: bottleneck w/4 (a multiple of 8), so g <= 8 divides it
        groups = trial.suggest_categorical("shuffle_groups", [1, 2, 4, 8])
        stages = _stages("shuffle", widths, depths, groups=groups, expansion=0.25)
    else:  # shuffle_v2: widths even
        stages = _stages("shuffle_v2", widths, depths)
    return Net(stages=stages, stem="cifar", stem_width=widths[0], num_classes=classes)


STUDY = Study(
    name="nas",
    claim="search the block families and their axes for the Pareto front of validation error "
    "against multiply-adds at 28 px (no prior claim; compare the front with the presets of "
    "backbone_zoo)",
    source="NSGA-II (Deb et al. 2002) via Optuna over this space; the families' papers as in "
    "search_space.PRESET_INFO",
    base="resnet20",
    space=space,
    kind="search",
    objectives=("val_error", "macs"),
    max_macs=MAX_MACS,
    recipe=Recipe(epochs=15, batch_size=128, lr=0.05, weight_decay=5e-4, schedule="cosine",
                  crop_padding=2, flip=True),
    quick=Budget(recipe=short_recipe(8000), trials=6,
                 pilot=Pilot(trial_s=110.0, metric_sd=0.01, machine=CPU_PILOT)),
    full=Budget(trials=200, concurrency=8, gpus_per_trial=0.125),
)
