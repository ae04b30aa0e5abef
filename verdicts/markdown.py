"""A study's summary as markdown: the variants with their intervals, the paired differences,
the claim check with a reading per pair and the verdict, and the trials that did not finish
normally (the end-of-run summary and the report both print it)."""

from __future__ import annotations

import pandas as pd

from .claim_check import reading
from .power import effect_text
from .stats import Summary


def summary_markdown(summary: Summary, order: list[str] = (),
                     trials: pd.DataFrame | None = None) -> str:
    """The tables of a summary as markdown (variants, in `order` when given, else by mean;
    paired tests; claim check), and the trials that did not finish normally."""
    parts = []
    v = summary.variants.copy()
    unfinished = _unfinished(trials)
    if v.empty:
        if trials is None or trials.empty:
            return "No finished trials yet."
        counts = trials["status"].value_counts()
        statuses = ", ".join(f"{n} {status}" for status, n in counts.items())
        return "\n\n".join([f"No trial has a {summary.metric} to compare ({len(trials)} "
                             f"trial(s): {statuses}).", *unfinished])
    if order:
        rank = {label: i for i, label in enumerate(order)}
        v = v.sort_values("variant", key=lambda c: c.map(lambda x: rank.get(x, len(rank))),
                          kind="stable")
    if summary.replicates < 2:  # intervals and tests need two replicates of every variant
        v = v.drop(columns=["std", "ci_low", "ci_high"])
        parts.append(f"{summary.replicates} seed per variant: no statistics; use seeds>=2 "
                     "(set=\"seeds=N\") for intervals and tests")
    v["MACs (M)"] = (v.pop("macs") / 1e6).round(2)
    v["params"] = v["params"].round().astype("Int64")
    v = v.rename(columns={"mean": f"mean {summary.metric}", "ci_low": "CI low",
                          "ci_high": "CI high"})
    parts.append(v.to_markdown(index=False, floatfmt=".4f"))
    if not summary.paired.empty:
        p = summary.paired.rename(columns={
            "mean_diff": "mean diff", "ci_low": "CI low", "ci_high": "CI high",
            "t_p": "paired t p", "wilcoxon_p": "Wilcoxon p", "effect_size": "effect d_z",
            "t_p_adjusted": "t p (BH-adjusted)"})
        parts.append(f"Paired differences against the baseline across seeds "
                     f"({summary.metric}, variant - baseline):\n\n"
                     + p.to_markdown(index=False, floatfmt=".4g"))
    if not summary.claim.empty:
        c = summary.claim.copy()
        for column in ("mean_diff", "ci_low", "ci_high", "sd", "mde"):
            c[column] = c[column].map(lambda v: effect_text(summary.metric, v))
        c = c[["better", "worse", "n", "test", "correlation", "sd", "mean_diff", "ci_low",
               "ci_high", "p", "level", "mde", "verdict"]].rename(columns={
            "correlation": "r (paired errors)", "sd": "sd of diff", "mean_diff": "mean diff",
            "ci_low": "CI low", "ci_high": "CI high", "level": "decides at p <",
            "mde": "detectable (80% power)"})
        parts.append("Claim check (each pair as the claim orders it, better first; a negative "
                     f"difference agrees; {summary.design.describe()}):\n\n"
                     + c.to_markdown(index=False, floatfmt=".3g"))
        parts.append("\n".join(f"- {row.better} vs {row.worse}: "
                                f"{reading(row._asdict(), summary.metric)}"
                                for row in summary.claim.itertuples()))
        parts.append(f"**Verdict at this budget: {summary.verdict}.**")
    return "\n\n".join([*parts, *unfinished])


UNFINISHED_LISTED = 12
"""Up to this many trials that did not finish normally are listed one by one; more (a long
search prunes and stops dozens) are counted by status, with one example each."""


def _unfinished(trials: pd.DataFrame | None) -> list[str]:
    if trials is None or trials.empty:
        return []
    other = trials[trials["status"] != "ok"]
    if other.empty:
        return []

    def line(row, prefix: str = "") -> str:
        reason = getattr(row, "reason", None)
        reason = f": {reason}" if isinstance(reason, str) and reason else ""
        return f"{prefix}{row.variant} seed {row.seed}: {row.status}{reason}"

    if len(other) <= UNFINISHED_LISTED:
        lines = [line(row, "- ") for row in other.itertuples()]
    else:
        lines = [f"- {len(group)} {status} (e.g. {line(next(group.itertuples()))})"
                 for status, group in other.groupby("status", sort=True)]
    return [f"Trials that did not finish normally ({len(other)}):\n\n" + "\n".join(lines)]
