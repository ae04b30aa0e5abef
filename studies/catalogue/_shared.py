"""What several catalogue studies share, so no study imports another: the MobileNetV2 Fig. 6
reproduction's budgets and the small GoogLeNet of the Inception studies. (The loader skips
modules whose names start with an underscore: this one defines no study.)"""

from __future__ import annotations

import dataclasses

from search_space import Net, Stage

from ..study import Budget, Pilot

# The reproduction's budgets, shared by bottleneck_nonlinearity (Fig. 6a) and residual_variants
# (Fig. 6b) so both panels run alike: MobileNetV2 at width 0.35 on 28 px Fashion-MNIST.
#
# The quick budget is designed for detection power per CPU-minute: the design that minimises
# (sd of the paired linear-vs-ReLU6 difference)^2 x trial time, every variant learning. Pilot
# on a 2-core AMD EPYC (bf16 autocast with depthwise convolutions in fp32, one thread per trial,
# two trials at once; validation error on 1,000 held-out images unless said; lr 0.05 cosine, no
# crops; linear and ReLU6 only, seeds 0-3, then 4-7 for the leaders, as the first 4 seeds' sd
# has a 95% interval of 0.6x to 3.7x its estimate; sd and difference in points):
#   design (stem, images x epochs, batch)  n  linear  ReLU6  sd diff  trial s  sd^2 x s
#   A stride 1 (the old quick), 8k x 2, 32  4  0.160   0.190   2.69     81      582
#   B stride 2, 8k x 2, 32                  4  0.198   0.238   3.27     33      351
#     same, 6,000 validation images          4  0.198   0.236   3.32     35      386
#   C stride 2, 16k x 2, 32                 8  0.163   0.209   2.10     64      281
#                                 (seeds 0-3 alone: sd 0.84, the winner's curse)
#   D stride 2, 8k x 4, 32                  8  0.165   0.193   1.66     60      167
#   E stride 2, 16k x 2, 64                 8  0.150   0.187   1.58     50      124
# The stride-2 stem is MobileNetV2's own (ImageNet) stem: 14x14 maps after it, 3.5M MACs
# instead of 12.8M, trained 2-3x faster per image here, and the error it reaches in the same
# time is no worse. The spread is training noise, not the validation sample's (B with 1,000 or
# 6,000 validation images: 3.27 and 3.32). E is the design; every variant learns (chance 0.90).
# With E's sd (1.58 points) and 50 s per wave of two trials, no 10-minute design reaches a
# 2-point detectable difference with the figure's three variants: 6 seeds (18 trials, 9 waves,
# about 8 minutes) detect 2.27 points, the most 10 minutes allow (a sequential 2, 4, 6 would
# stop early on a large effect but detects only 2.97). The `decisive` budget runs 6 seeds, then
# 6 more while the claim is undecided: 1.58 points at 12 seeds, at most about 15 minutes.
# residual_variants shares the design; its pairs' spread is its own (its report measures it).
FIG6_PILOT = Pilot(trial_s=50.0, metric_sd=0.0099, paired_sd=0.0158,
                   machine="2-core AMD EPYC, bf16 with depthwise in fp32")
_FIG6_DESIGN = {"epochs": 2, "lr": 0.05, "batch_size": 64, "crop_padding": 0,
                "max_train_images": 16000, "max_val_images": 1000, "max_test_images": 1000,
                "small_input": False}  # keeps the stride-2 stem at 28 px
_FIG6_NET = {"width_mult": 0.35, "stem": "mobilenet_v2"}
FIG6_QUICK = Budget(recipe=_FIG6_DESIGN, net=_FIG6_NET, seeds=6, pilot=FIG6_PILOT)
FIG6_DECISIVE = Budget(recipe=_FIG6_DESIGN, net=_FIG6_NET, seeds=6, max_seeds=12,
                       pilot=FIG6_PILOT)
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
