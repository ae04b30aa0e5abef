"""Inception-v3 Section 3: factorising the Inception module's large convolutions."""

from __future__ import annotations

from trainers import Recipe

from ..study import Budget, Study
from ._shared import tiny_googlenet

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

# Quick-budget cost (1x28x28): none 32.0M, stacked_3x3 33.8M, asymmetric 28.0M, separable 11.8M
# MACs/image (the 5x5 branch is narrow after its reduction, so factorising it saves little
# here). 2000 images take ~7-16 s of training (separable: 284 images/s alone on a core,
# measured) + evaluation + ~20 s overhead. 4 variants x 2 seeds = 8 trials, two at a time:
# ~2.5 minutes.


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
    quick=Budget(recipe={"epochs": 1, "max_train_images": 2000, "max_val_images": 500,
                         "max_test_images": 500}, seeds=2),
    full=Budget(seeds=3, concurrency=8, gpus_per_trial=0.125),
)
