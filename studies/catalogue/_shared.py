"""What several catalogue studies share, so no study imports another: the MobileNetV2 Fig. 6
reproduction's budgets and the small GoogLeNet of the Inception studies. (The loader skips
modules whose names start with an underscore: this one defines no study.)"""

from __future__ import annotations

import dataclasses

from search_space import Net, Stage

from ..study import Budget, Pilot

# The reproduction's budgets, shared by bottleneck_nonlinearity (Fig. 6a) and residual_variants
# (Fig. 6b) so both panels run alike.
# CPU: MobileNetV2 at width 0.35 (12.8M MACs at 28 px). Pilot on this project's 2-core CPU
# (bf16 autocast, one thread per trial, two trials at once, seed 0; validation error):
#   4,000 images x 3 epochs, batch 128, crops, lr 0.1 (the earlier budget): 0.22-0.46, ~55 s
#   8,000 images x 2 epochs, batch 32, no crops, lr 0.1:  linear 0.182, relu6 0.202, 85 s
#   8,000 images x 2 epochs, batch 32, no crops, lr 0.05: linear 0.152, shortcut=bottleneck
#                                                         0.152
# Depthwise convolutions run at ~190 training images/s per core here (bf16 does not speed them
# up), so MobileNetV2 reaches ~0.15 in the ~85 s a trial may take, not below: 3 variants x 4
# seeds must fit 10 minutes. Budget: the last line, 4 seeds in two rounds of 2 (the second only
# if the claim is undecided after the first).
# Its first runs (3 seeds, then a 4th) measured a seed sd of 0.008-0.019 per variant, ~83 s per
# wave of two trials and 10m05s / 10m18s per study: rounds of 3 variants x 3 and x 1 seeds run
# in 5 + 2 waves of two trials, the last of each round half empty. Rounds of 2 seeds (6 trials,
# 3 full waves each) train the same 12 trials in 6 waves; the Pilot records those figures for
# `studies show`.
FIG6_QUICK = Budget(recipe={"epochs": 2, "lr": 0.05, "batch_size": 32, "crop_padding": 0,
                            "max_train_images": 8000, "max_val_images": 1000,
                            "max_test_images": 1000},
                    net={"width_mult": 0.35}, seeds=2, max_seeds=4, seed_step=2,
                    pilot=Pilot(trial_s=83.0, metric_sd=0.013,
                                machine="2-core Intel Xeon (AMX), bf16"))
FIG6_FULL = Budget(recipe={"epochs": 30}, seeds=5, concurrency=8, gpus_per_trial=0.125)

# A small GoogLeNet for 28 px images, used by inception_reduction and factorization: a 3x3/1
# conv stem (GoogLeNet's own stem reduces 8x and does not fit 28 px) of 192 / 4 = 48 channels,
# then the first MODULES Inception modules of the base preset (3a, 3b at 28 px; 4a with its
# 3x3/2 max-pool, at 14 px), every branch width at SCALE of the paper's (Table 1).
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


# The quick recipe of the CPU-sized studies below, from a pilot on this project's 2-core CPU
# (bf16 autocast, one thread per trial, two trials at once, batch 64, seed 0; validation error
# after 2 epochs):
#   ResNet-20, 8,000 images, the CIFAR recipe (lr 0.1, /10 at 50% and 75%, flips): 0.223
#   ResNet-20, 8,000 images, cosine, no flips: lr 0.1 0.171, lr 0.05 0.197, batch 32 0.189
#   ResNet-20, 8,000 images, linear decay from lr 0.2, 0.2 warm-up epochs, label smoothing: 0.208
#   ResNet-20, 16,000 images, cosine lr 0.1, no flips: 0.147 (47 s)
#   ResNet-56 (post-activation), 8,000 images, cosine, no flips: lr 0.1 0.695 (0.703 with 0.2
#     warm-up epochs), lr 0.05 0.206, lr 0.02 0.172 (70 s)
# In two epochs the step schedule never reaches its small rates and flips (like crops, see
# width_vs_depth) slow learning, so the quick recipe decays by cosine on unaugmented images. A
# deep post-activation net diverges at lr 0.1 without the long warm-up the papers give it, so
# the deep studies run at lr 0.02 (stated in each).
def short_recipe(train_images: int, **changes) -> dict:
    """The quick recipe: 2 epochs of `train_images` images, batch 64, cosine, no augmentation,
    1,000 validation and test images; `changes` (lr, ...) on top."""
    return {"epochs": 2, "batch_size": 64, "schedule": "cosine", "warmup_epochs": 0,
            "crop_padding": 0, "flip": False, "max_train_images": train_images,
            "max_val_images": 1000, "max_test_images": 1000, **changes}


# Where the quick budgets' pilots ran.
CPU_PILOT = "2-core Intel Xeon (AMX), bf16"
EPYC_PILOT = "2-core AMD EPYC, bf16"
