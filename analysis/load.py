"""MLflow runs -> tidy pandas DataFrames (MLflow is reached through studies.tracking)."""

from __future__ import annotations

import pandas as pd

from studies import schema, tracking
from trainers.contract import CURVE_METRICS, FINAL_METRICS

HISTORY_KEYS = CURVE_METRICS  # the per-epoch metrics loaded as histories


def load_runs(study: str, *, generation: int | None = None,
              condition: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A study's trials (one row each) and their per-epoch histories (one row per epoch).

    Trials: run_id, variant, seed, status, budget, generation, preset, spec_key, one `axis.*`
    column per varied axis (numbers where the values are numbers), the final metrics.
    `generation` defaults to the study's current one (`--fresh` starts a new one);
    `condition` (schema.CONDITION) to the latest invocation's, so trials of another budget or
    recipe (`--set epochs=2`) are not pooled with it; "all" keeps every condition.
    """
    from studies import STUDIES, did_you_mean

    # a mistyped name gets the closest studies; a right one, the command that makes its runs
    advice = (did_you_mean(study) if study not in STUDIES else "") or \
        f"; run `make study name={study}` first"
    missing = tracking.missing_store()
    if missing:
        raise ValueError(f"no MLflow store at {missing} for {study!r}{advice} (in this folder, "
                         "or set MLFLOW_TRACKING_URI)")
    client = tracking.client()
    exp_id = tracking.find_experiment(client, study)
    if exp_id is None:
        raise ValueError(f"no MLflow experiment {study!r} at {tracking.tracking_uri()}{advice}")
    gen = tracking.generation(client, exp_id) if generation is None else generation
    trials = tidy(tracking.child_runs(client, exp_id, gen))
    latest = condition is None
    if latest:
        condition = tracking.latest_condition(client, exp_id)
    if condition and condition != "all":
        found = sorted(trials["condition"].dropna().unique()) if "condition" in trials else []
        if condition not in found and latest:  # the latest invocation has no trial yet
            return (pd.DataFrame(columns=["run_id", "variant", "seed", "status"]),
                    pd.DataFrame(columns=["run_id", "variant", "seed", "epoch"]))
        if condition not in found:
            raise ValueError(f"study {study}: no trials of condition {condition!r}; its "
                             f"conditions: {', '.join(found) or 'none'}")
        trials = trials[trials["condition"] == condition].reset_index(drop=True)
    if trials.empty:
        return trials, pd.DataFrame(columns=["run_id", "variant", "seed", "epoch"])
    history = pd.DataFrame(tracking.metric_histories(client, trials["run_id"], HISTORY_KEYS))
    if not history.empty:
        history = history.merge(trials[["run_id", "variant", "seed", "status"]], on="run_id")
        history = history.sort_values(["variant", "seed", "epoch"]).reset_index(drop=True)
    return trials, history


def tidy(rows: list[dict]) -> pd.DataFrame:
    """Rename MLflow's tags to plain columns and give every column its type."""
    if not rows:
        return pd.DataFrame(columns=["run_id", "variant", "seed", "status"])
    df = pd.DataFrame(rows)
    renames = {c: c.removeprefix(schema.PREFIX) for c in df.columns if c.startswith(schema.PREFIX)}
    df = df.rename(columns=renames)
    for column in ("seed", "generation"):
        if column in df:
            df[column] = pd.to_numeric(df[column]).astype("int64")
    if "status" not in df:
        df["status"] = "running"
    df["status"] = df["status"].fillna("running").astype("string")
    for column in [c for c in df.columns if c.startswith("axis.")]:
        try:
            df[column] = pd.to_numeric(df[column])
        except (ValueError, TypeError):
            df[column] = df[column].astype("string")
    for column in FINAL_METRICS:
        if column in df:
            df[column] = pd.to_numeric(df[column], errors="coerce")
    return df.sort_values(["variant", "seed"]).reset_index(drop=True)
