"""ResNeXt Table 3: cardinality vs width at matched complexity (Xie et al. 2017)."""

from __future__ import annotations

import dataclasses

from search_space import presets
from trainers import Recipe

from ..study import Budget, Pilot, Study
from ._shared import EPYC_PILOT, short_recipe

# Table 2's templates: C groups of d channels in the first stage's grouped 3x3 (output 256),
# chosen so every template costs about the same (~70k params per block).
TEMPLATES = ("1x64d", "2x40d", "4x24d", "8x14d", "32x4d")

# CPU sizing, the same for every template so complexity stays matched: ResNeXt-29 (3 stages x
# 3 bottlenecks, presets.resnext29) at half width. width_mult 0.5 halves the outputs and the
# group width d but keeps C, and the block cost is quadratic in (output, d), so the templates
# stay matched: 1x64d runs as 1x32d with outputs 128/256/512, 32x4d as 32x2d. The first stage
# runs at stride 2 (28 -> 14 -> 7 -> 4 px), as ImageNet's conv2 runs after a stride-4 stem.
WIDTH_MULT = 0.5

# Quick budget, from a pilot on this project's 2-core CPU (bf16, one thread per trial, two trials
# at once, batch 64, seed 0; validation error after 2 epochs of 8,000 images; 39.9M (1x64d) to
# 41.8M MACs/image):
#   the paper's lr 0.1 step schedule, flips: 1x64d 0.695 (56 s), 32x4d 0.532 (88 s, 191
#     images/s: grouped convolutions are slower per MAC)
#   cosine, no flips, lr 0.1, 0.2 warm-up epochs: 1x64d 0.235 (46 s)
#   backbone_zoo's ResNeXt-29 at 1/8 width, cosine lr 0.05 with flips: 0.161 (103 s)
# Budget: cosine at lr 0.05; 5 templates x 2 seeds, a 3rd while undecided, is all 10 minutes
# hold, and no template reaches 0.15 in that time; at lr 0.05 without warm-up its seeds spread
# too widely to rank the templates (results/cardinality/budget_history.md), hence this pilot:
#
# Warm-up pilot on every template (6,000 images x 2 epochs, batch 64, cosine, no augmentation,
# seed 0; one process, 2 threads, bf16, 2-core AMD EPYC, 17-32 s each), validation error
# 1x64d / 2x40d / 4x24d / 8x14d / 32x4d, and the worst template's:
#   lr 0.05 (the budget before):      0.290 / 0.363 / 0.344 / 0.411 / 0.305, worst 0.411
#   lr 0.1, 0.2 warm-up epochs:       0.464 / 0.243 / 0.475 / 0.200 / 0.278, worst 0.475
#   lr 0.1, 0.5 warm-up epochs:       0.183 / 0.234 / 0.191 / 0.213 / 0.205, worst 0.234
#   lr 0.2, 0.5 warm-up epochs:       0.451 / 0.513 / 0.225 / 0.337 / 0.352, worst 0.513
# Rule (as in preact_vs_postact): the recipe whose worse template does best, so no template is
# judged at a rate only the others tolerate: lr 0.1 with 0.5 warm-up epochs.
# The Pilot records this recipe's run (results/cardinality).
WARMUP_RECIPE = {"lr": 0.1, "warmup_epochs": 0.5}
def parse(template: str) -> tuple[int, int]:
    """'8x14d' -> (cardinality 8, bottleneck width 14)."""
    c, d = template.rstrip("d").split("x")
    return int(c), int(d)


def space(trial, base):
    template = trial.suggest_categorical("template", list(TEMPLATES))
    cardinality, width = parse(template)
    net = presets.resnext29(cardinality, width, num_classes=base.num_classes)
    first = dataclasses.replace(net.stages[0], stride=2)
    return net.replace(stages=(first, *net.stages[1:]), width_mult=WIDTH_MULT)


STUDY = Study(
    name="cardinality",
    claim="with complexity preserved, increasing cardinality at the price of reducing width "
    "improves accuracy: error falls monotonically from 1x64d (ResNet-50, 23.9%) through 2x40d "
    "(23.0), 4x24d (22.6) and 8x14d (22.3) to 32x4d (22.2)",
    source="Xie et al. 2017, Tables 2 and 3 (ImageNet, 50-layer row; REFERENCE.md 4.1); here "
    "on ResNeXt-29 (Section 5.3) at half width",
    base="resnext29_8x64d",
    space=space,
    grid={"template": TEMPLATES},
    baseline="template=1x64d",  # the ResNet every template is compared with in Table 3
    expected_order=("template=32x4d", "template=8x14d", "template=4x24d", "template=2x40d",
                    "template=1x64d"),
    # Xie et al. CIFAR recipe: lr 0.1 /10 at 50% and 75% of 300 epochs, batch 128, wd 5e-4.
    recipe=Recipe(epochs=100, batch_size=128, lr=0.1, weight_decay=5e-4, schedule="multistep",
                  milestones=(0.5, 0.75), crop_padding=2, flip=True),
    quick=Budget(recipe=short_recipe(6000, **WARMUP_RECIPE), seeds=2, max_seeds=3, seed_step=1,
                 pilot=Pilot(trial_s=42.0, metric_sd=0.023, machine=EPYC_PILOT)),
    full=Budget(seeds=3, concurrency=4, gpus_per_trial=0.25),
)
