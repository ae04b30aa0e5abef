"""The minimum detectable effect of the claim check's t-tests, and how effects are written.

Light on purpose: `studies show` plans a budget with it and must answer in well under a second,
so it uses scipy.special (the noncentral t distribution and its inverse in the noncentrality),
not scipy.stats or statsmodels. The two-sided power ignores the far tail (a rejection on the
wrong side), at most about 1e-6 at 80% power and alpha <= 0.05 whatever n.

Why not statsmodels' `TTestPower.solve_power`: at few seeds and a small level (the rounds of a
sequential study test at 1-2%) its root search fails and returns a wrong effect without a
warning, e.g. 4.375 standard deviations at n=3, alpha=0.0188 (power 0.66, not 0.80, by the
noncentral t and by simulation); tests/test_claim_check.py checks this module's answers by the
noncentral t's survival function and by simulation.
"""

from __future__ import annotations

import math

from trainers.contract import METRIC_BOUNDS

POWER = 0.8
# rates in [0, 1] (error rates) are reported in percentage points
BOUNDED_01 = {m for m, bounds in METRIC_BOUNDS.items() if bounds == (0.0, 1.0)}


def _effect_in_sd(df: float, scale: float, alpha: float) -> float:
    """The standardized effect d that a two-sided t-test with `df` degrees of freedom at level
    `alpha` detects with POWER, where the statistic's noncentrality is d * scale."""
    if not (df >= 1 and 0 < alpha < 1):
        return math.nan
    from scipy import special  # here: effect_text's callers need not import scipy

    critical = special.stdtrit(df, 1 - alpha / 2)
    noncentrality = special.nctdtrinc(df, 1 - POWER, critical)
    return float(noncentrality) / scale


def detectable(diff_sd: float, n: int, alpha: float = 0.05) -> float:
    """The paired difference a paired t-test at level `alpha` finds with 80% power at n pairs
    whose differences spread by `diff_sd` (NaN below 2 pairs)."""
    if n < 2:
        return math.nan
    return _finite(_effect_in_sd(n - 1, math.sqrt(n), alpha) * diff_sd)


def detectable_unpaired(sd: float, n1: int, n2: int, alpha: float = 0.05) -> float:
    """The difference of means a two-sample t-test at level `alpha` finds with 80% power at
    n1 and n2 runs whose values spread by `sd`."""
    if min(n1, n2) < 2:
        return math.nan
    scale = math.sqrt(n1 * n2 / (n1 + n2))
    return _finite(_effect_in_sd(n1 + n2 - 2, scale, alpha) * sd)


def _finite(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else math.nan


def effect_text(metric: str, value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"{value * 100:.2f} points" if metric in BOUNDED_01 else f"{value:.4g}"
