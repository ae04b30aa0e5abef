"""DenseNet-BC: growth rate k and transition compression theta (Huang et al. 2017)."""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Pilot, Study
from ._shared import CPU_PILOT, short_recipe

# DenseNet-BC-40: three dense blocks of LAYERS bottleneck layers ((40 - 4) / 6 = 6), a bare
# 3x3 stem of 2k channels, as the paper's CIFAR DenseNet-BC (densenet_bc_100_k12 has 16 per
# block). compression 1.0 = no compression, i.e. DenseNet-B.
LAYERS = (6, 6, 6)

# Quick budget, from a pilot on this project's 2-core CPU (bf16, one thread per trial, two trials
# at once, batch 64, seed 0; validation error after 2 epochs of 8,000 images; k=6: 13.8M
# (theta 0.5) / 16.8M (1.0) MACs/image, k=12: 55.1M / 67.0M):
#   the paper's lr 0.1 step schedule, flips: k=6 theta 0.5 0.215 (64 s, 264 images/s); k=12
#     theta 1 0.203 (127 s, 133 images/s: concatenation makes DenseNet slow per MAC)
#   for the other families cosine without flips beat that schedule in two epochs
#     (_shared.short_recipe)
# Budget: cosine at the paper's lr 0.1; 4 variants x 2 seeds, a 3rd while undecided; no
# variant reaches 0.15 in the time; 5,000 images keep the study under 10 minutes (how the
# budget got there: results/densenet_growth/budget_history.md).
def space(trial, base):
    k = trial.suggest_categorical("k", [6, 12, 24])
    compression = trial.suggest_categorical("compression", [0.5, 1.0])
    return presets.densenet(k, LAYERS, stem="cifar_preact", stem_width=2 * k, bottleneck=True,
                            compression=compression, num_classes=base.num_classes)


STUDY = Study(
    name="densenet_growth",
    claim="a relatively small growth rate suffices, and accuracy improves as k grows (DenseNet "
    "L=100: k=12 4.10% vs k=24 3.74% on C10+); compression (theta = 0.5, DenseNet-BC) makes "
    "the model more compact and is consistently the most parameter-efficient variant",
    source="Huang et al. 2017, Section 3 (growth rate, compression) and Table 2 (REFERENCE.md "
    "2.6)",
    base="densenet_bc_100_k12",
    space=space,
    grid={"k": (6, 12), "compression": (0.5, 1.0)},
    baseline="k=12,compression=0.5",  # the paper's DenseNet-BC default
    # Only the growth-rate claim orders errors; compression's claim is about parameters.
    expected_order=("k=12,compression=0.5", "k=6,compression=0.5"),
    # Huang et al.: batch 64, 300 epochs, lr 0.1 /10 at 50% and 75%, wd 1e-4, Nesterov 0.9.
    recipe=Recipe(epochs=300, batch_size=64, lr=0.1, momentum=0.9, nesterov=True,
                  weight_decay=1e-4, schedule="multistep", milestones=(0.5, 0.75),
                  crop_padding=2, flip=True),
    quick=Budget(recipe=short_recipe(5000), seeds=2, max_seeds=3, seed_step=1,
                 pilot=Pilot(trial_s=90.0, metric_sd=0.014, machine=CPU_PILOT)),
    full=Budget(grid={"k": (6, 12, 24), "compression": (0.5, 1.0)}, seeds=3, concurrency=8,
                gpus_per_trial=0.125),
)
