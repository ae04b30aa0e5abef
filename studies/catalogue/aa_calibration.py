"""A/A calibration: one point trained with many seeds, to measure the claim check's
false-positive rate on real training noise (`python -m analysis calibrate aa_calibration`
splits the runs into two pseudo-variants many times and checks each split like a study).

The point is the small residual net of trainers.documented_setups (fashion_cpu_5min): it learns
Fashion-MNIST in seconds on one core, so 20 seeds fit the quick budget. Pilot (fp32, one thread
per trial, val_fraction 0.1, batch 64, lr 0.1, the documented recipe otherwise):
  4,000 images x 2 epochs (lr 0.05): val error 0.27-0.28, 12 s
  4,000 images x 3 epochs:           val error 0.19-0.20, 18 s
  8,000 images x 2 epochs:           val error 0.168-0.169, 22 s
  8,000 images x 3 epochs:           val error 0.150-0.151, 34 s with two trials at once
The quick budget is the last: the nets are far from chance (0.90) and the 20 trials take
~8 minutes two at a time. The calibration measures training noise; it needs no converged net.
"""

from __future__ import annotations

from trainers.documented_setups import FASHION_CPU_5MIN, fashion_cpu_net

from ..study import Budget, Pilot, Study

SEEDS = 20


def space(trial, base):
    trial.suggest_categorical("replica", ["a"])  # one variant: the label of the only point
    return fashion_cpu_net().replace(num_classes=base.num_classes)


STUDY = Study(
    name="aa_calibration",
    claim="none (A/A): the same point under two labels differs only by seed, so the claim "
    "check should call a difference at most alpha = 5% of the time",
    source="the harness's own calibration (verdicts.calibration)",
    base="resnet20",  # only its class count is used: the point is fashion_cpu_net()
    space=space,
    grid={"replica": ("a",)},
    baseline="replica=a",
    recipe=FASHION_CPU_5MIN.recipe.replace(batch_size=64, lr=0.1, val_fraction=0.1,
                                           precision="auto"),
    quick=Budget(recipe={"epochs": 3, "max_train_images": 8000, "max_val_images": 2000,
                         "max_test_images": 1000}, seeds=SEEDS,
                 # the fp32 run of results/aa_calibration_fp32: 20 trials in 6m23s, val error
                 # sd 0.0031 across seeds
                 pilot=Pilot(trial_s=34.0, metric_sd=0.0031,
                             machine="2-core Intel Xeon (AMX), fp32")),
    full=Budget(recipe={"epochs": 6}, seeds=40, concurrency=8, gpus_per_trial=0.125),
)
