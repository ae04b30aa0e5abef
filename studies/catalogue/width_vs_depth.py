"""Width vs depth in Wide ResNets (Zagoruyko & Komodakis 2016, Table 4), as two claim pairs:

- at comparable cost, shallow-and-wide beats deep-and-thin: WRN-10-2 (303k params, 33.8M MACs
  at 1x28x28) against WRN-22-1 (272k params, 31.0M MACs; within 11% in params, 9% in MACs);
- at fixed depth, widening helps: WRN-10-2 against WRN-10-1 (78k params, 9.3M MACs).

The variants are named by one axis, `wrn=DEPTH-K`, because the two pairs are not a grid:
WRN-22-2 would cost four times the others and answer neither pair.

Quick budget, chosen from a pilot on this project's 2-core CPU (bf16 autocast, one thread per
trial, two trials at once, batch 64, lr 0.1 cosine, seed 0; validation error):
  8,000 images x 2 epochs, crops:   10-1 0.248, 10-2 0.231, 22-1 0.230 (8-20 s per trial)
  16,000 images x 2 epochs, crops:  10-2 0.182, 22-1 0.147 (30 s, 36 s)
  12,000 images x 3 epochs, crops:  10-2 0.175, 22-1 0.151 (32 s, 39 s)
  16,000 images x 2 epochs, no crop: 10-1 0.138, 10-2 0.142, 22-1 0.131 (14 s, 29 s, 35 s)
Random crops slow learning in two epochs; without them every variant is under 0.15, so the
budget is the last line. Seeds: 3, then 2 more (5) if a pair is undecided; at ~30 s per
trial, two at a time, the study takes ~3 minutes, ~4.5 with the second round. The first full
run of this budget (results/width_vs_depth) measured a seed-to-seed sd of 0.005-0.006 per
variant and 31 s per trial; the Pilot below records those for `studies show`.
"""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Pilot, Study


def space(trial, base):
    depth, k = (int(v) for v in trial.suggest_categorical(
        "wrn", ["10-1", "10-2", "22-1", "16-4", "28-10"]).split("-"))
    return presets.wrn(depth, k, num_classes=base.num_classes)


STUDY = Study(
    name="width_vs_depth",
    claim="widening a residual network helps more than deepening it at comparable cost (on "
    "CIFAR-10, WRN-28-10 at 4.17% beats the thin 1001-layer ResNet), and at fixed depth error "
    "falls with the widening factor k; here, on Fashion-MNIST: WRN-10-2 beats the "
    "cost-matched WRN-22-1, and WRN-10-2 beats WRN-10-1",
    source="Zagoruyko & Komodakis 2016, Table 4 (width-vs-depth)",
    base="wrn_16_8",
    space=space,
    grid={"wrn": ("10-1", "10-2", "22-1")},
    baseline="wrn=10-2",
    pairs=(("wrn=10-2", "wrn=22-1"), ("wrn=10-2", "wrn=10-1")),
    recipe=Recipe(epochs=10, batch_size=128, lr=0.1, weight_decay=5e-4, schedule="cosine"),
    quick=Budget(recipe={"epochs": 2, "batch_size": 64, "crop_padding": 0,
                         "max_train_images": 16000, "max_val_images": 2000,
                         "max_test_images": 1000},
                 seeds=3, max_seeds=5, seed_step=2,
                 pilot=Pilot(trial_s=31.0, metric_sd=0.006,
                             machine="2-core Intel Xeon (AMX), bf16")),
    full=Budget(recipe={"epochs": 30}, grid={"wrn": ("10-1", "10-2", "22-1", "16-4", "28-10")},
                seeds=3, concurrency=4, gpus_per_trial=0.25),
)
