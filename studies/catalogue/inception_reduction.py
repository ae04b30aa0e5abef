"""GoogLeNet: the naive Inception module vs the module with 1x1 dimension reductions."""

from __future__ import annotations

import dataclasses

from search_space import Net, Stage
from trainers import Recipe

from ..study import Budget, Study

# A small GoogLeNet for 28 px images, shared with the `factorization` study: a 3x3/1 conv stem
# (GoogLeNet's own stem reduces 8x and does not fit 28 px) of 192 / 4 = 48 channels, then the
# first MODULES Inception modules of the base preset (3a, 3b at 28 px; 4a with its 3x3/2
# max-pool, at 14 px), every branch width at SCALE of the paper's (Table 1).
# A naive module has no 1x1 reductions and its pool branch passes its input through, so its
# output width is b1 + b3 + b5 + input width: the widths are recomputed stage by stage (stem 48
# -> 104 -> 208 -> 320, against 64 -> 120 -> 128 with reductions), which is the "inevitable
# increase in the number of outputs from stage to stage" the paper describes.
MODULES = 3
SCALE = 0.25


def _scaled(channels: int) -> int:
    return max(1, round(channels * SCALE))


def tiny_googlenet(base: Net, *, reduce: bool = True, factorize: str = "none") -> Net:
    """The first MODULES Inception modules of `base` at SCALE, on a stride-1 stem."""
    in_width = _scaled(192)  # GoogLeNet's stem output (3 x 64)
    stages = []
    for stage in base.stages[:MODULES]:
        e = stage.extras
        extras = dataclasses.replace(
            e, b1=_scaled(e.b1), b3_reduce=_scaled(e.b3_reduce), b3=_scaled(e.b3),
            b5_reduce=_scaled(e.b5_reduce), b5=_scaled(e.b5), pool_proj=_scaled(e.pool_proj),
            reduce=reduce, factorize=factorize,
        )
        width = extras.out_width(in_width, 0, stage.stride)
        stages.append(Stage("inception", 1, width, stride=stage.stride, extras=extras))
        in_width = width
    return Net(stages=tuple(stages), stem="cifar", stem_width=_scaled(192),
               dropout=base.dropout, num_classes=base.num_classes)


# Quick-budget cost (1x28x28): 32.0M MACs/image with reductions, 139.3M naive (4.4x: the
# reductions' point). The naive net trains at 79 images/s alone on a core (measured): 1000
# images take ~6 s (reduced) and ~13-27 s (naive) + evaluation + ~20 s overhead. 2 variants x
# 2 seeds = 4 trials, two at a time: ~1.5 minutes.


def space(trial, base):
    reduce = trial.suggest_categorical("reduce", [True, False])
    return tiny_googlenet(base, reduce=reduce)


STUDY = Study(
    name="inception_reduction",
    claim="1x1 convolutions are used to compute reductions before the expensive 3x3 and 5x5 "
    "convolutions; this allows for increasing the number of units at each stage significantly "
    "without an uncontrolled blow-up in computational complexity (the naive module's cost and "
    "output width grow from stage to stage). The paper ranks cost, not error: the study "
    "measures what the reductions cost in error for the MACs they save",
    source="Szegedy et al. 2015 (GoogLeNet), Section 4 and Figure 2 (a) naive vs (b) with "
    "dimension reductions; branch widths from Table 1 (3a, 3b, 4a) at 1/4",
    base="googlenet_5x5",  # the paper's true 5x5 branch
    space=space,
    grid={"reduce": (True, False)},
    baseline="reduce=True",
    expected_order=(),  # no error ordering is claimed (see claim)
    # GoogLeNet: SGD momentum 0.9, lr decayed 4% every 8 epochs (no BN); cosine here.
    recipe=Recipe(epochs=60, batch_size=128, lr=0.05, weight_decay=5e-4, schedule="cosine",
                  crop_padding=2, flip=True),
    quick=Budget(recipe={"epochs": 1, "max_train_images": 1000, "max_val_images": 500,
                         "max_test_images": 500}, seeds=2),
    full=Budget(seeds=3, concurrency=8, gpus_per_trial=0.125),
)
