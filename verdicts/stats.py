"""Per-variant means with t confidence intervals, paired tests against a baseline across seeds,
and the check of the study's claim (verdicts.claim_check)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from trainers.contract import METRIC_BOUNDS

from .claim_check import check
from .learned import NOT_COMPARABLE, not_learned
from .paired import SPREAD_ATOL, paired_t
from .sequential import Design, decode


@dataclass
class Summary:
    metric: str
    variants: pd.DataFrame  # variant, n, mean, std, ci_low, ci_high, params, macs
    paired: pd.DataFrame = field(default_factory=pd.DataFrame)  # vs the baseline, per variant
    claim: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row per ordered pair
    confidence: float = 0.95
    design: Design = field(default_factory=lambda: Design((1,)))

    @property
    def replicates(self) -> int:
        """The fewest finished replicates (seeds) of any variant (0 with no variants)."""
        return int(self.variants["n"].min()) if not self.variants.empty else 0

    @property
    def verdict(self) -> str:
        """reproduced / contradicted / inconclusive / not comparable at this budget / untested,
        from the claim rows."""
        if self.claim.empty:
            return "untested"
        verdicts = list(self.claim["verdict"])
        comparable = set(verdicts) - {NOT_COMPARABLE}
        if not comparable:
            return f"{NOT_COMPARABLE} at this budget"
        if comparable == {"reproduced"}:
            verdict = "reproduced"
        elif "contradicted" in comparable:
            verdict = "contradicted"
        else:
            verdict = "inconclusive"
        if NOT_COMPARABLE in verdicts:  # said, so no reader takes it for every pair's verdict
            verdict += (f" where comparable; {verdicts.count(NOT_COMPARABLE)} pair(s) "
                        f"{NOT_COMPARABLE} at this budget")
        return verdict


def mean_ci(values, confidence: float = 0.95,
            bounds: tuple[float, float] = (-math.inf, math.inf)
            ) -> tuple[float, float, float, float]:
    """mean, sample std, and the t-distribution confidence interval of the mean, cut to the
    metric's `bounds` (the true mean lies inside them, so the cut loses no coverage)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = len(x)
    if n == 0:
        return (math.nan,) * 4
    mean = float(x.mean())
    if n == 1:
        return mean, math.nan, math.nan, math.nan
    std = float(x.std(ddof=1))
    if std <= SPREAD_ATOL:  # no spread: the interval is the point itself
        low = high = mean
    else:
        low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=std / math.sqrt(n))
    return mean, std, float(max(low, bounds[0])), float(min(high, bounds[1]))


def paired_test(a, b, confidence: float = 0.95) -> dict[str, float]:
    """a - b over matched seeds: mean difference, its t CI and paired t-test p
    (verdicts.paired, the claim check's own test), the Wilcoxon p-value, and the effect size
    d_z (mean difference / sd of the differences)."""
    t = paired_t(a, b, confidence)
    out = {"n_pairs": t.n, "mean_diff": t.mean, "ci_low": t.ci_low, "ci_high": t.ci_high,
           "t_p": t.p, "wilcoxon_p": math.nan, "effect_size": math.nan}
    if t.n < 2:
        return out
    if t.no_spread:  # the rank test is undefined too, but for differences all zero
        out["wilcoxon_p"] = 1.0 if abs(t.mean) <= SPREAD_ATOL else math.nan
        return out
    out["effect_size"] = t.mean / t.sd
    out["wilcoxon_p"] = float(stats.wilcoxon(a, b).pvalue)  # spread: some difference is not 0
    return out


def summarize(df: pd.DataFrame, metric: str = "val_error", *, baseline: str | None = None,
              expected_order: tuple[str, ...] = (),
              pairs: tuple[tuple[str, str], ...] = (), confidence: float = 0.95,
              alpha: float = 0.05, design: Design | None = None,
              chance: float | None = None) -> Summary:
    """Per variant n, mean, std and CI of `metric` over the trials with status ok; for
    ablations, paired differences against `baseline` across seeds (t-test, Wilcoxon, effect
    size, Benjamini-Hochberg correction over the variants compared); and the claim check:
    for each (better, worse) of `pairs` (default: each consecutive pair of `expected_order`),
    claim_check.check under `design` (default: the seed rounds the trials were run with,
    `design_of`). A pair with a variant that did not learn (verdicts.learned, against the
    `chance` error) is "not comparable", whatever its test says."""
    if df.empty or metric not in df:  # no trial reported the metric (all pruned or failed)
        ok = df.iloc[0:0].assign(**{metric: pd.Series(dtype=float)})
    else:
        ok = df[(df["status"] == "ok") & np.isfinite(df[metric])]
    if "condition" in ok and ok["condition"].nunique() > 1:
        found = ", ".join(sorted(ok["condition"].dropna().unique()))
        raise ValueError(f"the trials belong to {ok['condition'].nunique()} conditions "
                         f"({found}); compare variants within one: pick it with --condition")
    rows = []
    for variant, group in ok.groupby("variant", sort=True):
        mean, std, low, high = mean_ci(group[metric], confidence,
                                       METRIC_BOUNDS.get(metric, (-math.inf, math.inf)))
        rows.append({"variant": variant, "n": len(group), "mean": mean, "std": std,
                     "ci_low": low, "ci_high": high,
                     "params": group["params"].iloc[0] if "params" in group else math.nan,
                     "macs": group["macs"].iloc[0] if "macs" in group else math.nan})
    variants = pd.DataFrame(rows, columns=["variant", "n", "mean", "std", "ci_low", "ci_high",
                                           "params", "macs"])
    summary = Summary(metric, variants.sort_values("mean").reset_index(drop=True),
                      confidence=confidence)
    if ok.empty:
        return summary
    wide = ok.pivot_table(index="seed", columns="variant", values=metric, aggfunc="mean")
    if baseline and baseline in wide:
        paired = []
        for variant in wide.columns:
            if variant == baseline:
                continue
            both = wide[[variant, baseline]].dropna()
            if len(both) < 2:  # one pair: no interval, no test
                continue
            paired.append({"variant": variant, "baseline": baseline,
                           **paired_test(both[variant], both[baseline], confidence)})
        summary.paired = pd.DataFrame(paired)
        if not summary.paired.empty:
            p = summary.paired["t_p"].to_numpy()
            adjusted = np.full_like(p, np.nan)
            finite = np.isfinite(p)
            if finite.any():  # Benjamini-Hochberg over the variants compared with the baseline
                adjusted[finite] = stats.false_discovery_control(p[finite])
            summary.paired["t_p_adjusted"] = adjusted
    design = design or design_of(ok, alpha)
    summary.design = design
    claim = []
    for better, worse in pairs or zip(expected_order, expected_order[1:], strict=False):
        if better not in wide or worse not in wide:
            continue
        if min(wide[better].count(), wide[worse].count()) < 2:
            continue  # one replicate: no test, and no direction claimed from noise
        row = {"better": better, "worse": worse, **check(wide[better], wide[worse], design),
               "not_learned": ""}
        reasons = [f"{v}: {why}" for v in (better, worse)
                   if (why := not_learned(ok[ok["variant"] == v], metric, chance))]
        if reasons:  # the test's figures stay in the row; the verdict is not the claim's
            row.update(verdict=NOT_COMPARABLE, not_learned="; ".join(reasons))
        claim.append(row)
    summary.claim = pd.DataFrame(claim)
    return summary


def design_of(trials: pd.DataFrame, alpha: float = 0.05) -> Design:
    """The seed rounds the trials were run with (their `seed_looks` tag); a fixed design over
    the seeds present when they carry none. When invocations planned different rounds (a
    rerun with `seeds=5` after `seeds=3` in the same condition), every look any of them took
    is a look of the design: the data were inspected at each, so each spends alpha."""
    plans = [decode(v) for v in trials["seed_looks"].dropna().unique()] \
        if "seed_looks" in trials else []
    # a 1-seed look tests nothing (no interval, no test), so it spends no alpha
    looks = sorted(n for n in set().union(*plans) if n >= 2) if plans else []
    if not looks:
        return Design((int(trials["seed"].nunique()) if "seed" in trials else 1,), alpha)
    return Design(tuple(looks), alpha)
