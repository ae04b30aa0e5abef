"""Group-sequential seeds: the significance level of each round (look) of a study that adds
seeds while its claim is undecided, so that stopping early does not inflate the false-positive
rate above alpha.

Method: a group-sequential t-test with alpha-spending boundaries. Lan & DeMets (1983,
Biometrika 70:659) spend the overall alpha over the looks by a spending function of the
information fraction t = n_k / n_max; here the Pocock-type function alpha * ln(1 + (e - 1) t)
(Kim & DeMets 1987), which spends alpha nearly evenly so that a clear effect stops at an early
round. The classical boundaries are for a z statistic with known variance; with the 2-12 seeds
a CPU study affords, the variance is estimated and the usual shortcut (apply each z boundary's
nominal p-value to the t-test) exceeds alpha: measured 5.3% at alpha 5% for looks at 4, 8, 12
seeds (200,000 simulated null studies). So each look's level is set for the t statistic
itself: under no effect the sequence of paired t statistics of i.i.d. normal differences is
pivotal (its law depends on neither the spread nor the correlation of the variants), and
`levels` draws it by Monte Carlo (a fixed random seed, so the levels are the same on every
machine) and picks, look by look, the p-value level at which the paths not yet stopped spend
exactly that look's share of alpha.
tests/test_claim_check.py checks the levels against the published z boundaries at large n and
the whole claim check's false-positive rate by simulation.

Why not an anytime-valid test (savvi's sequential t-test, Lindon et al. 2024): at these seed
counts it has almost no power (measured: no rejection at 5 seeds even for a 3-standard-deviation
effect), while planned rounds lose little against a fixed design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

# scipy.special, not scipy.stats: `studies show` plans rounds with these levels and must start
# fast (scipy.stats alone takes about a second to import)
from scipy import special

PATHS = 100_000  # Monte Carlo paths: the spent alpha is exact to about +-0.0007


def pocock_spending(t: float, alpha: float) -> float:
    """Lan-DeMets Pocock-type alpha spent by information fraction t (0 < t <= 1)."""
    return alpha * math.log(1 + (math.e - 1) * min(t, 1.0))


def obrien_fleming_spending(t: float, alpha: float) -> float:
    """Lan-DeMets O'Brien-Fleming-type alpha spent by information fraction t."""
    return 2 - 2 * special.ndtr(special.ndtri(1 - alpha / 2) / math.sqrt(min(t, 1.0)))


SPENDING = {"pocock": pocock_spending, "obrien_fleming": obrien_fleming_spending}


@cache
def levels(looks: tuple[int, ...], alpha: float = 0.05, spending: str = "pocock",
           paths: int = PATHS) -> tuple[float, ...]:
    """Two-sided p-value levels, one per look at these seed counts, for the one-sample t-test
    of the paired differences: under no effect, the chance of p < level at some look is alpha,
    spent across the looks as `spending` says."""
    if not looks or list(looks) != sorted(set(looks)) or looks[0] < 2:
        raise ValueError(f"looks={looks} must be increasing seed counts >= 2")
    spend = SPENDING[spending]
    x = np.random.default_rng(20260101).standard_normal((paths, looks[-1]))
    total, squares = np.cumsum(x, axis=1), np.cumsum(x * x, axis=1)
    alive = np.ones(paths, dtype=bool)
    spent, out = 0.0, []
    for n in looks:
        s, q = total[:, n - 1], squares[:, n - 1]
        sd = np.sqrt(np.maximum(q - s * s / n, 1e-300) / (n - 1))
        p = 2 * special.stdtr(n - 1, -np.abs(s / n) / (sd / math.sqrt(n)))  # two-sided
        share = spend(n / looks[-1], alpha) - spent
        spent += share
        stop = int(round(share * paths))  # paths this look may stop
        candidates = np.sort(p[alive])
        level = float(candidates[stop]) if stop < len(candidates) else 1.0
        out.append(level)
        alive &= p >= level
    return tuple(out)


@dataclass(frozen=True)
class Design:
    """How many seeds a study looks at, round by round. One look is a fixed design."""

    looks: tuple[int, ...]
    alpha: float = 0.05
    spending: str = "pocock"

    @property
    def sequential(self) -> bool:
        return len(self.looks) > 1

    def nominal_alpha(self, look: int) -> float:
        """The two-sided p-value below which look `look` (0-based) decides."""
        if not self.sequential:
            return self.alpha
        return levels(self.looks, self.alpha, self.spending)[look]

    def look_at(self, seeds: int) -> int:
        """The last look that `seeds` seeds complete (-1 if none)."""
        return max((i for i, n in enumerate(self.looks) if n <= seeds), default=-1)

    def describe(self) -> str:
        if not self.sequential:
            return f"fixed design, {self.looks[0]} seeds, alpha {self.alpha}"
        seeds = ", ".join(str(n) for n in self.looks)
        cutoffs = ", ".join(f"{self.nominal_alpha(i):.3g}" for i in range(len(self.looks)))
        return (f"group-sequential design, Lan-DeMets {self.spending}-type spending, overall "
                f"alpha {self.alpha}: rounds at {seeds} seeds decide at p < {cutoffs}")


def encode(looks: tuple[int, ...]) -> str:
    return ",".join(str(n) for n in looks)


def decode(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in text.split(",") if n.strip())
