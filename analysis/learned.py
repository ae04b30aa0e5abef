"""The check before any verdict: did each variant of a claim pair learn at this budget?

A verdict compares what two nets learned. When one of them learned next to nothing, or its
evaluated net lost what its training net learned (drop-path or dropped columns in training,
BatchNorm statistics of the thinned nets at evaluation), the difference measures the budget or
the mismatch, not the claim: the pair is "not comparable at this budget", with the figures,
instead of reproduced or contradicted.

Two signs, each on a variant's mean over its seeds:

- Near chance: mean error at or above NEAR_CHANCE of the chance error. In the catalogue's quick
  runs (10 classes, chance 0.90) the variants that learned, however poorly, reached at most
  0.677 (ShuffleNet g=3: 0.75 of chance; plain-56's training error 0.502: 0.56), and the one
  that did not was FractalNet with drop-path at 0.820 (0.91 of chance). 0.8 lies between.
- Lost at evaluation: of what training learned (chance - training error), evaluation keeps
  less than KEPT_AT_EVALUATION (chance - validation error over it). FractalNet with drop-path
  in its pilot: training error 0.635, validation 0.876, so it kept 0.024 / 0.265 = 9%. A net
  that overfits keeps most of it (training 0.02, validation 0.20: 80%), and at two epochs the
  validation error is usually below the running training error (more than 100%), as in the
  A/A study (0.151 against a higher training error), so 50% separates a mismatch from both.
  Checked only where the training error is itself well below chance (NEAR_CHANCE), and never
  when the metric is the training error.
"""

from __future__ import annotations

import math

import pandas as pd

NEAR_CHANCE = 0.8
KEPT_AT_EVALUATION = 0.5
NOT_COMPARABLE = "not comparable"


def chance_level(dataset: str, metric: str) -> float | None:
    """The error of guessing uniformly among the dataset's classes, for an error metric."""
    from trainers.data import parse

    shape = parse(dataset).shape
    if not metric.endswith("_error") or shape is None:
        return None
    return 1 - 1 / shape.num_classes


def not_learned(trials: pd.DataFrame, metric: str, chance: float | None) -> str | None:
    """Why one variant's trials (status ok) did not learn at this budget, or None if they did
    (or chance is unknown: not an error metric)."""
    if chance is None or not math.isfinite(chance) or chance <= 0 or metric not in trials:
        return None
    error = float(trials[metric].mean())
    if error >= NEAR_CHANCE * chance:
        return (f"mean {metric} {error:.3f} is {error / chance:.0%} of chance ({chance:.3f}); "
                f"at or above {NEAR_CHANCE:.0%} it has not learned")
    if metric == "train_error" or "train_error" not in trials:
        return None
    train = float(trials["train_error"].mean())
    if not math.isfinite(train) or train >= NEAR_CHANCE * chance:
        return None
    kept = (chance - error) / (chance - train)
    if kept < KEPT_AT_EVALUATION:
        return (f"its evaluated net kept {kept:.0%} of what training learned (training error "
                f"{train:.3f}, {metric} {error:.3f}, chance {chance:.3f}): training and "
                "evaluation nets differ")
    return None
