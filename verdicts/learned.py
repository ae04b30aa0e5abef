"""The check before any verdict: did each variant of a claim pair learn at this budget?

A verdict compares what two nets learned. When one of them learned next to nothing (its
evaluated error near chance: too short a budget, a learning rate it cannot take, or an
evaluated net that lost what its training nets learned, as FractalNet with drop-path did before
precise BatchNorm), the difference measures the budget, not the claim: the pair is "not
comparable at this budget", with the figures, instead of reproduced or contradicted.

The sign: a variant's mean error, over its seeds, at or above NEAR_CHANCE of the chance error.
In the catalogue's quick runs (10 classes, chance 0.90) the variants that learned, however
poorly, reached at most 0.677 (ShuffleNet g=3: 0.75 of chance; plain-56's training error
0.502: 0.56), and the one that did not was FractalNet with drop-path at 0.820 (0.91 of chance;
0.876 in its pilot, where its training error was 0.635). 0.8 lies between.

Not checked:
- a claim about training error (plain_vs_residual's degradation): a net that trains badly is
  what such a claim measures, not a failure of the budget;
- a validation error far above the training error without being near chance: that is how an
  unregularised net overfits, the very regime a regularisation claim is tested in, and the
  errors alone cannot tell it from a mismatch between training and evaluated nets (which
  Recipe.precise_bn removes at its source).
"""

from __future__ import annotations

import math

import pandas as pd

NEAR_CHANCE = 0.8
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
    (or the check does not apply: no chance level, or a claim about training error)."""
    if chance is None or not math.isfinite(chance) or chance <= 0 or metric not in trials:
        return None
    if metric == "train_error":
        return None
    error = float(trials[metric].mean())
    if error >= NEAR_CHANCE * chance:
        return (f"mean {metric} {error:.3f} is {error / chance:.0%} of chance ({chance:.3f}); "
                f"at or above {NEAR_CHANCE:.0%} it has not learned")
    return None
