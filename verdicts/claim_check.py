"""The claim check: is variant `better` really better than `worse` at this budget?

For one pair it measures, on the seeds both variants finished:
- whether same-seed pairing correlates the two variants' errors (Pearson r of the pairs), and
  what Welch's unpaired test would say beside the paired one. The verdict uses the paired
  t-test whenever the seeds match and Welch's t-test only when they do not (fewer than two
  common seeds). Choosing between the two by the observed r is not done: it raises the
  false-positive rate (measured by simulation: 6.4% at alpha 5% and 5 seeds with uncorrelated
  variants, since a high observed r comes with a small observed spread of the differences),
  while the paired test holds alpha whatever the true correlation and, at r = 0, loses little
  power to Welch's (22% against 25% for a 1-sd effect at 5 seeds).
- the mean difference (better - worse; negative agrees with the claim), its interval, the
  test's p-value and the verdict at the look's significance level;
- the minimum detectable effect: the difference the test would find with 80% power at this n
  and this spread (verdicts.power), so an inconclusive verdict says what it rules out.

With a group-sequential design (verdicts.sequential) the pair is decided at the first look whose
nominal level its p-value beats, and the interval is that look's repeated confidence interval.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from scipy import stats

from .paired import SPREAD_ATOL, equal_values_allowed, paired_t
from .power import detectable, detectable_unpaired, effect_text
from .sequential import Design

if TYPE_CHECKING:
    import pandas as pd

def compare(better: pd.Series, worse: pd.Series, *, alpha: float = 0.05,
            power: bool = True) -> dict:
    """`better` and `worse`: the metric by seed. The test at significance level `alpha`, and
    (`power`) its minimum detectable effect."""
    better, worse = better.dropna().astype(float), worse.dropna().astype(float)
    common = better.index.intersection(worse.index)
    out = {"n": 0, "correlation": math.nan, "test": "-", "sd": math.nan,
           "mean_diff": math.nan, "ci_low": math.nan, "ci_high": math.nan, "p": math.nan,
           "mde": math.nan, "level": alpha, "welch_p": math.nan, "agrees": False,
           "verdict": "inconclusive"}
    if len(better) < 2 or len(worse) < 2:
        return out
    welch = _welch(better.to_numpy(), worse.to_numpy(), alpha)
    out["welch_p"] = welch["p"]
    if len(common) >= 2:
        a, b = better[common].to_numpy(), worse[common].to_numpy()
        if len(common) >= 3 and a.std() > 0 and b.std() > 0:
            out["correlation"] = float(stats.pearsonr(a, b).statistic)
        out.update(_paired(a, b, alpha))
        if power and out["sd"] > SPREAD_ATOL:
            out["mde"] = detectable(out["sd"], len(a), alpha)
    else:
        out.update(welch)
        if power and out["sd"] > SPREAD_ATOL:
            out["mde"] = detectable_unpaired(out["sd"] / math.sqrt(2), len(better), len(worse),
                                             alpha)
    significant = math.isfinite(out["p"]) and out["p"] < alpha
    out["agrees"] = bool(out["mean_diff"] < 0)  # lower is better for every objective we use
    out["verdict"] = ("reproduced" if significant and out["agrees"] else
                      "contradicted" if significant else "inconclusive")
    return out


def _paired(a: np.ndarray, b: np.ndarray, alpha: float) -> dict:
    t = paired_t(a, b, 1 - alpha)
    out = {"n": t.n, "test": "paired t", "sd": t.sd, "mean_diff": t.mean, "ci_low": t.ci_low,
           "ci_high": t.ci_high, "p": t.p}
    return {**out, "mde": 0.0} if t.no_spread else out


def _welch(a: np.ndarray, b: np.ndarray, alpha: float) -> dict:
    pooled = math.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)
    out = {"n": min(len(a), len(b)), "test": "Welch t (seeds do not match)",
           "sd": pooled * math.sqrt(2), "mean_diff": float(a.mean() - b.mean())}
    if pooled <= SPREAD_ATOL:
        mean = out["mean_diff"]
        return {**out, "ci_low": mean, "ci_high": mean,
                "p": 1.0 if abs(mean) <= SPREAD_ATOL else 0.0, "mde": 0.0}
    with equal_values_allowed():
        result = stats.ttest_ind(a, b, equal_var=False)
    ci = result.confidence_interval(1 - alpha)
    return {**out, "ci_low": float(ci.low), "ci_high": float(ci.high),
            "p": float(result.pvalue)}


def check(better: pd.Series, worse: pd.Series, design: Design, power: bool = True) -> dict:
    """The pair's verdict under `design`: at the first look that decides it, else at the last
    look the data complete (seed s counts for every look n > s). A pair decided early whose
    study went on (for another pair) also reports what all its seeds say (`final_*`): the
    verdict stands, as the design has it, and the reader sees whether later seeds agree."""
    if not design.sequential:
        return {**compare(better, worse, alpha=design.alpha, power=power), "look": 0,
                "decided_at": math.nan}
    result, seeds = None, min(len(better.dropna()), len(worse.dropna()))
    for look, n in enumerate(design.looks):
        if n > seeds and result is not None:
            break
        result = {**compare(better[better.index < n], worse[worse.index < n],
                            alpha=design.nominal_alpha(look), power=power),
                  "look": look, "decided_at": math.nan}
        if result["verdict"] != "inconclusive":
            result["decided_at"] = n
            break
    last = design.look_at(seeds)
    if math.isfinite(result["decided_at"]) and last > result["look"]:
        n = design.looks[last]
        final = compare(better[better.index < n], worse[worse.index < n],
                        alpha=design.nominal_alpha(last), power=False)
        result.update(final_n=final["n"], final_mean_diff=final["mean_diff"],
                      final_p=final["p"])
    return result


def reading(row: dict | pd.Series, metric: str) -> str:
    """One line a reader can act on: the verdict, the difference and what the run could see."""
    verdict = row["verdict"]
    diff = effect_text(metric, row["mean_diff"])
    if row.get("not_learned"):
        return f"{verdict} at this budget ({row['not_learned']}); measured {diff}"
    if verdict == "inconclusive":
        mde = row.get("mde", math.nan)
        could = (f"this run could detect a difference of {effect_text(metric, mde)} or more "
                 f"(80% power, n={row['n']})" if math.isfinite(mde) else
                 f"n={row['n']} is too few to detect any difference")
        return f"inconclusive: {could}; measured {diff}"
    text = f"{verdict}: {diff} (p={row['p']:.2g} < {row['level']:.3g}, n={row['n']})"
    final_n = row.get("final_n", math.nan)
    if isinstance(final_n, (int, float)) and math.isfinite(final_n):
        text += (f"; decided at {row['n']} seeds, the rounds went on for another pair: with "
                 f"all {int(final_n)} seeds {effect_text(metric, row['final_mean_diff'])}, "
                 f"p={row['final_p']:.2g}")
    return text
