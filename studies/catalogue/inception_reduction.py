"""GoogLeNet: the naive Inception module vs the module with 1x1 dimension reductions."""

from __future__ import annotations

from trainers import Recipe

from ..study import Budget, Study
from ._shared import tiny_googlenet

# The net: _shared.tiny_googlenet (a 3x3/1 stem, GoogLeNet's first Inception modules at 1/4
# width), with or without the 1x1 reductions.

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
