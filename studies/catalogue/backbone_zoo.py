"""Every backbone family at one training budget: error vs params vs MACs."""

from __future__ import annotations

from search_space import PRESETS
from trainers import Recipe

from ..study import Budget, Pilot, Study
from ._shared import CPU_PILOT, short_recipe

# One CIFAR-size representative per family, each a preset with at most a global multiplier so
# a CPU trial stays small (the variant label names the preset; the multiplier is part of the
# point and is logged with it). MACs/image at 1x28x28 after adapt(small_input=True):
SCALE: dict[str, dict[str, float]] = {
    "resnet20": {},                                        # 30.8M  resnet_cifar
    "plain20": {},                                         # 30.8M  plain_cifar
    "resnet18": {"width_mult": 0.25},                      # 28.6M  resnet (ImageNet layout)
    "preact_resnet110": {"depth_mult": 1 / 6},             # 30.8M  preact-ResNet-20
    "resnet110_stochastic_depth": {"depth_mult": 1 / 6},   # 30.8M  20 layers, p_L = 0.5
    "wrn_16_8": {"width_mult": 0.25},                      # 74.1M  WRN-16-2
    "resnext29_8x64d": {"width_mult": 0.125},              # 64.5M  ResNeXt-29 8x8d, 1/8 wide
    "mobilenet_v2_cifar": {"width_mult": 0.5},             # 23.1M  MobileNetV2 0.5
    "densenet_bc_100_k12": {"depth_mult": 1 / 3},          # 55.1M  DenseNet-BC-40, k = 12
    "shufflenet_v1_g3": {},                                # 2.7M   ImageNet stem: 1 px at the end
    "shufflenet_v2_x1_0": {},                              # 2.8M   ditto
}
# Left out because they do not fit 28 px as presets (Net.validate fails after adapt): vgg*
# (five pools + the head's pool; its 4096-wide FC head would also dominate the params),
# alexnet (11x11/4 stem), googlenet* and inception_v3* (their stems reduce 8x and have no
# small-image twin), fractalnet20/40 (five 2x2 pools: 28 -> 0 px). The `inception_reduction`
# and `fractal_drop_path` studies adapt those two families by hand.
PRESET_NAMES = tuple(SCALE)

# Quick budget, from a pilot on this project's 2-core CPU (bf16, one thread per trial, two trials
# at once, batch 64, seed 0; validation error after 2 epochs of 8,000 images, cosine lr 0.05,
# flips, no crops): ShuffleNet v1 g=3 0.262 (50 s), WRN-16-2 0.188 (45 s), ResNeXt-29 1/8
# 0.161 (103 s), MobileNetV2 0.5 0.159 (163 s, 101 images/s: depthwise).
# Trials in the harness ran 25-45% longer than these in-process pilots (Ray, MLflow, the
# evaluation, two trials' memory traffic: densenet_growth, inception_reduction), so the
# budget trains 8,000 images, no flips (_shared.short_recipe), one seed per preset (no
# ordering is claimed): ~85 s per trial on average, the depthwise nets ~200 s.


def space(trial, base):
    preset = trial.suggest_categorical("preset", list(PRESET_NAMES))
    return PRESETS[preset].replace(**SCALE[preset])


STUDY = Study(
    name="backbone_zoo",
    claim="compare families on error vs params vs MACs (the lecture's comparing-complexity "
    "view): no single ordering is claimed; read the Pareto front of error against cost",
    source="each family's paper (search_space.PRESET_INFO); the accuracy-vs-operations-vs-"
    "parameters view of Canziani et al. 2016",
    base="resnet20",
    space=space,
    grid={"preset": PRESET_NAMES},
    baseline="preset=resnet20",
    expected_order=(),
    recipe=Recipe(epochs=30, batch_size=128, lr=0.05, weight_decay=5e-4, schedule="cosine",
                  crop_padding=2, flip=True),
    quick=Budget(recipe=short_recipe(8000), seeds=1,
                 pilot=Pilot(trial_s=85.0, metric_sd=0.01, machine=CPU_PILOT)),
    full=Budget(seeds=3, concurrency=8, gpus_per_trial=0.125),
)
