"""Inception-v3 Section 3: factorising the Inception module's large convolutions."""

from __future__ import annotations

from trainers import Recipe

from ..study import Budget, Pilot, Study
from ._shared import CPU_PILOT, short_recipe, tiny_googlenet

# The small GoogLeNet of `inception_reduction` (1x1 reductions on, the true 5x5 branch), with
# every spatial conv of its Inception modules factorised the same way (InceptionExtras.
# factorize, layers.spatial_conv):
#   none         3x3 and 5x5 as they are
#   stacked_3x3  the 5x5 becomes two 3x3 (Fig. 1/5: (9 + 9) / 25 of the cost); the 3x3 stays
#   asymmetric   k x k becomes 1 x k then k x 1 (Fig. 3/6), for the 3x3 and the 5x5
#   separable    depthwise k x k then 1x1 (not in the paper; MobileNet/Xception's factorisation)
# Every factor keeps conv-BN-ReLU (Section 3.1 finds ReLU between the factors better than
# linear). Section 3.2 adds that the asymmetric factorisation "does not work well on early
# layers" and is best on 12-20 px grids; here the modules run at 28 and 14 px.
FACTORIZATIONS = ("none", "stacked_3x3", "asymmetric", "separable")

# Quick budget, from a pilot on this project's 2-core CPU (bf16, one thread per trial, two trials
# at once, batch 64, seed 0; validation error after 2 epochs of 8,000 images, cosine lr 0.05,
# flips, no crops; none 32.0M, stacked_3x3 33.8M, asymmetric 28.0M, separable 11.8M MACs/image,
# the 5x5 branch being narrow after its reduction):
#   separable 0.252 (96 s, 176 images/s), asymmetric 0.245 (94 s, 179 images/s); with
#   reductions and no factorisation (inception_reduction's pilot) 0.220 (82 s)
# Trials in the harness ran 25-45% longer than these in-process pilots (Ray, MLflow, the
# evaluation, two trials' memory traffic: densenet_growth, inception_reduction), so the
# budget trains 8,000 images, 2 seeds (no error ordering is claimed, so none are added), no
# flips (_shared.short_recipe): ~125 s per trial; no variant at 0.15 in the time.
def space(trial, base):
    factorize = trial.suggest_categorical("factorize", list(FACTORIZATIONS))
    return tiny_googlenet(base, reduce=True, factorize=factorize)


STUDY = Study(
    name="factorization",
    claim="convolutions with filters larger than 3x3 can always be reduced into a sequence of "
    "3x3 layers (a 5x5 as two 3x3: a 28% saving) and n x n into 1 x n followed by n x 1 (33% "
    "cheaper for 3x3), without loss of expressiveness. The claim is equal accuracy at lower "
    "cost, so no error ordering is expected; the study measures error vs MACs per variant",
    source="Szegedy et al. 2016 (Inception-v3), Sections 3.1 and 3.2, Figures 1, 3, 5 and 6",
    base="googlenet_5x5",
    space=space,
    grid={"factorize": FACTORIZATIONS},
    baseline="factorize=none",
    expected_order=(),
    # Inception-v3 trains with label smoothing 0.1 (Section 7); SGD + cosine here.
    recipe=Recipe(epochs=60, batch_size=128, lr=0.05, weight_decay=5e-4, schedule="cosine",
                  label_smoothing=0.1, crop_padding=2, flip=True),
    quick=Budget(recipe=short_recipe(8000), seeds=2,
                 pilot=Pilot(trial_s=117.0, metric_sd=0.004, machine=CPU_PILOT)),
    full=Budget(seeds=3, concurrency=8, gpus_per_trial=0.125),
)
