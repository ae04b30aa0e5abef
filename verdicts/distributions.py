"""Two design spaces compared by the error distributions of models sampled from them
(Radosavovic et al. 2019, 2020): which space's empirical distribution function (EDF) of error,
F(e) = fraction of its models with error below e, lies above the other's.

The test is the two-sample Kolmogorov-Smirnov test, one-sided in each direction at half the
level (together a two-sided test at `level`): its statistic is the largest vertical gap
between the two EDFs, the very thing the papers' EDF figures show, and it assumes nothing
about the distributions' shape (errors of sampled models are skewed, with a tail of models
that barely learn). The k-sample Anderson-Darling test is reported beside it: it weighs the
EDFs' tails, where the best models are, more than KS does. The effect the run could detect is
the smallest EDF gap a one-sided test at level / 2 would call significant at these sample
sizes (the asymptotic KS critical value): a true gap of that size is found about half the
time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

LEVEL = 0.05
NOT_COMPARED = "Design spaces not compared: fewer than 2 models of one of them trained."


@dataclass(frozen=True)
class SpaceComparison:
    """`better` and `worse` as the claim names them; per space n, mean, min and median error
    (and MACs) and the trials left out; the largest EDF gap each way with its one-sided
    p-value; Anderson-Darling's p (scipy caps it to [0.001, 0.25]); the smallest gap the run
    would call significant; the verdict."""

    axis: str
    better: str
    worse: str
    stats: pd.DataFrame  # space, n, mean, min, median, median_macs, left out
    gap_for: float  # max over e of F_better(e) - F_worse(e)
    p_for: float
    gap_against: float  # max over e of F_worse(e) - F_better(e)
    p_against: float
    p_anderson: float
    detectable_gap: float
    level: float = LEVEL

    @property
    def verdict(self) -> str:
        half = self.level / 2
        if self.stats["left out"].nunique() > 1:  # one space lost more trials than the other
            return "inconclusive (the spaces lost different numbers of trials)"
        if self.p_for < half and self.p_against < half:
            return "inconclusive (the EDFs cross)"
        if self.p_for < half:
            return "reproduced"
        if self.p_against < half:
            return "contradicted"
        return "inconclusive"

    def markdown(self, metric: str) -> str:
        table = self.stats.rename(columns={"median_macs": "median MACs (M)"}).assign(
            **{"median MACs (M)": self.stats["median_macs"] / 1e6}).to_markdown(
            index=False, floatfmt=".4g")
        return "\n".join([
            f"Claim: the EDF of {metric} of `{self.axis}={self.better}` lies above that of "
            f"`{self.axis}={self.worse}` (more of its models at low error).", "",
            table, "",
            f"- Kolmogorov-Smirnov, one-sided at {self.level / 2:g} each way: the largest gap "
            f"F_{self.better}(e) - F_{self.worse}(e) is {self.gap_for:.3f} (p = "
            f"{self.p_for:.3g}); the other way {self.gap_against:.3f} (p = "
            f"{self.p_against:.3g}).",
            f"- Anderson-Darling k-sample (two-sided, tails weighed): p = {self.p_anderson:.3g}"
            " (scipy reports p within [0.001, 0.25]).",
            f"- What this run could detect: the smallest EDF gap it would call significant is "
            f"{self.detectable_gap:.2f} (n = {self._n(self.better)} and "
            f"{self._n(self.worse)}); a true gap of that size is found about half the time, "
            "a larger one more often.",
            f"- **Verdict: {self.verdict}.**", ""])

    def _n(self, space: str) -> int:
        return int(self.stats.loc[self.stats["space"] == space, "n"].iloc[0])


def compare_spaces(trials: pd.DataFrame, metric: str, axis: str, better: str, worse: str,
                   level: float = LEVEL, diverged_error: float | None = None
                   ) -> SpaceComparison | None:
    """The comparison of the two spaces' models (grouped by the `axis.<axis>` column; a model
    with several seeds counts once, at its mean); None if either space has fewer than 2.

    A model that trained normally (status ok) counts at its error; one that diverged is a
    model of its space too, as bad as it gets: it counts at `diverged_error` (chance) where
    given. Trials that did not train for other reasons (failed, pruned, killed, out of time)
    say nothing about their space's models: they are left out, and the table counts them
    per space (`left out`) so a reader sees whether one space lost more."""
    from scipy import stats

    column = f"axis.{axis}"
    if column not in trials or metric not in trials or "status" not in trials:
        return None
    counted = trials["status"] == "ok"
    if diverged_error is not None:
        diverged = trials["status"] == "diverged"
        trials = trials.assign(**{metric: trials[metric].where(~diverged, diverged_error)})
        counted |= diverged
    left_out = trials.loc[~counted, column].astype(str).value_counts()
    ok = trials[counted]
    if "variant" in ok:  # a model trained with several seeds is one sample: its mean
        values = [c for c in (metric, "macs") if c in ok]
        ok = ok.groupby(["variant", column], as_index=False)[values].mean()
    samples = {space: ok.loc[ok[column].astype(str) == space, metric].dropna().to_numpy()
               for space in (better, worse)}
    if any(len(v) < 2 for v in samples.values()):
        return None
    x, y = samples[better], samples[worse]
    # scipy's "greater": the alternative that the first sample's CDF lies above the second's
    for_claim = stats.ks_2samp(x, y, alternative="greater")
    against = stats.ks_2samp(x, y, alternative="less")
    import warnings

    with warnings.catch_warnings():  # scipy warns when it caps the p-value
        warnings.simplefilter("ignore")
        anderson = stats.anderson_ksamp([x, y])
    rows = []
    for space, values in samples.items():
        costs = ok.loc[ok[column].astype(str) == space, "macs"] if "macs" in ok else []
        rows.append({"space": space, "n": len(values), "mean": float(np.mean(values)),
                     "min": float(np.min(values)), "median": float(np.median(values)),
                     "median_macs": float(np.median(costs)) if len(costs) else np.nan,
                     "left out": int(left_out.get(space, 0))})
    n1, n2 = len(x), len(y)
    detectable = math.sqrt(-math.log(level / 2) / 2) * math.sqrt((n1 + n2) / (n1 * n2))
    return SpaceComparison(axis, better, worse, pd.DataFrame(rows),
                           float(for_claim.statistic), float(for_claim.pvalue),
                           float(against.statistic), float(against.pvalue),
                           float(anderson.pvalue), detectable, level)
