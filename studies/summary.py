"""The table `python -m studies run` prints at its end: per variant n, mean and spread of the
metric, params, MACs, and the trials that did not finish normally. (The statistics proper,
confidence intervals and paired tests, live in `analysis`.)"""

from __future__ import annotations

import pandas as pd

from . import schema, tracking
from .study import Study


def trials_frame(exp_id: str, generation: int) -> pd.DataFrame:
    rows = tracking.child_runs(tracking.client(), exp_id, generation)
    return pd.DataFrame(rows)


def summary_table(study: Study, exp_id: str, generation: int, condition: str = "") -> str:
    """The table of this invocation's condition (`condition`, schema.CONDITION; "" for all of
    the generation's trials): trials of other budgets, recipes or precisions are not pooled."""
    df = trials_frame(exp_id, generation)
    if condition and schema.CONDITION in df:
        df = df[df[schema.CONDITION] == condition].reset_index(drop=True)
    if df.empty:
        return f"[{study.name}] no trials recorded"
    metric = study.metric
    df[schema.STATUS] = df.get(schema.STATUS, pd.Series("running", index=df.index)).fillna(
        "running")
    ok = df[df[schema.STATUS] == "ok"]
    where = f", condition {condition}" if condition else ""
    lines = [f"## {study.name}: {metric} by variant (budget {df[schema.BUDGET].iloc[0]}, "
             f"generation {generation}{where})"]
    if not ok.empty and metric in ok:
        table = ok.groupby(schema.VARIANT).agg(
            n=(metric, "count"), mean=(metric, "mean"), std=(metric, "std"),
            params=("params", "first"), macs=("macs", "first"),
        ).sort_values("mean")
        table["macs"] = (table["macs"] / 1e6).round(2)
        table["params"] = table["params"].astype("int64")
        table = table.rename(columns={"mean": f"mean {metric}", "std": "std", "macs": "MACs (M)"})
        lines.append(table.to_markdown(floatfmt=(".0f", ".0f", ".4f", ".4f", ",.0f", ".2f")))
        if "startup_s" in ok:
            lines.append(f"per-trial start-up (process, data and model until training): "
                         f"mean {ok['startup_s'].mean():.1f} s, max {ok['startup_s'].max():.1f} s")
    other = df[df[schema.STATUS] != "ok"]
    if not other.empty:
        lines.append("trials that did not finish normally:")
        for _, row in other.iterrows():
            reason = row.get(schema.REASON)
            reason = "" if not isinstance(reason, str) else f": {reason}"
            lines.append(f"- {row.get(schema.VARIANT)} seed {row.get(schema.SEED)}: "
                         f"{row[schema.STATUS]}{reason}")
    return "\n\n".join(lines)
