"""GoogLeNet: the naive Inception module vs the module with 1x1 dimension reductions."""

from __future__ import annotations

from trainers import Recipe

from ..study import Budget, Pilot, Study
from ._shared import CPU_PILOT, short_recipe, tiny_googlenet

# The net: _shared.tiny_googlenet (a 3x3/1 stem, GoogLeNet's first Inception modules at 1/4
# width), with or without the 1x1 reductions.

# Quick budget, from a pilot on this project's 2-core CPU (bf16, one thread per trial, two trials
# at once, batch 64, seed 0; validation error after 2 epochs of 8,000 images, cosine lr 0.05,
# flips, no crops; 32.0M MACs/image with reductions, 139.3M naive):
#   with reductions 0.220 (82 s, 206 images/s), naive 0.305 (96 s, 179 images/s)
# The modules run at 28 and 14 px behind a stride-1 stem, so even the reduced net is slow per
# MAC. Budget: no flips (_shared.short_recipe), 3 seeds (the claim ranks cost, not error, so no
# seeds are added while undecided); neither variant reaches 0.15 in the time. 7,500 images keep
# the study under 10 minutes; the Pilot keeps the slower of its runs' times (how the budget got
# there: results/inception_reduction/budget_history.md).
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
    quick=Budget(recipe=short_recipe(7500), seeds=3,
                 pilot=Pilot(trial_s=170.0, metric_sd=0.015, machine=CPU_PILOT)),
    full=Budget(seeds=3, concurrency=8, gpus_per_trial=0.125),
)
