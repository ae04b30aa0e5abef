"""The paired t-test over matched seeds and the rule for values with no spread: one owner, so
a report's table of paired differences and its claim check give one p-value per pair."""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from scipy import stats

# Below this spread the values are equal up to float rounding (an error rate is a multiple of
# 1 / images): the t statistic is undefined, the difference is the point itself.
SPREAD_ATOL = 1e-12


@dataclass(frozen=True)
class PairedT:
    """a - b over n matched pairs: mean and sd of the differences, the t interval of the mean
    at the asked confidence, and the two-sided paired t-test's p (NaN below two pairs)."""

    n: int
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    p: float

    @property
    def no_spread(self) -> bool:
        return self.sd <= SPREAD_ATOL


def paired_t(a, b, confidence: float = 0.95) -> PairedT:
    """The paired t-test of `a` against `b` (same length, matched by position). Differences
    with no spread decide it by their value: p = 1 when it is zero, 0 otherwise, and the
    interval is the point."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = a - b
    n = len(diff)
    if n == 0:
        return PairedT(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    mean = float(diff.mean())
    if n < 2:
        return PairedT(n, mean, math.nan, math.nan, math.nan, math.nan)
    sd = float(diff.std(ddof=1))
    if sd <= SPREAD_ATOL:
        return PairedT(n, mean, sd, mean, mean, 1.0 if abs(mean) <= SPREAD_ATOL else 0.0)
    with equal_values_allowed():
        result = stats.ttest_rel(a, b)
    ci = result.confidence_interval(confidence)
    return PairedT(n, mean, sd, float(ci.low), float(ci.high), float(result.pvalue))


@contextmanager
def equal_values_allowed():
    """scipy warns when a sample's values are (nearly) all equal, as one variant's error rate
    over a few seeds can be (it is a multiple of 1 / images); the test is still defined by the
    other sample's spread, so the warning is silenced here and nowhere else."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Precision loss occurred", RuntimeWarning)
        yield
