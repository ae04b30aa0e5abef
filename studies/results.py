"""A study's results: its MLflow runs as tidy pandas DataFrames (MLflow is reached through
studies.tracking), their summary and the summary `studies run` prints at its end."""

from __future__ import annotations

import pandas as pd

from trainers.contract import CURVE_METRICS, FINAL_METRICS
from verdicts.distributions import NOT_COMPARED, SpaceComparison, compare_spaces
from verdicts.learned import chance_level
from verdicts.markdown import summary_markdown
from verdicts.stats import Summary, summarize

from . import schema, tracking
from .study import Study

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
    from . import STUDIES, did_you_mean

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


def study_summary(study: str | Study, metric: str | None = None, condition: str | None = None
                  ) -> tuple[Summary, pd.DataFrame, pd.DataFrame]:
    """`study`: a Study, a catalogue study's name, a study file, or any MLflow experiment of
    studies' runs; `condition`: see load_runs (default: the latest invocation's)."""
    from . import find_study

    found = study if isinstance(study, Study) else find_study(study)
    trials, history = load_runs(found.name if found else study, condition=condition)
    metric = metric or (found.metric if found else "val_error")
    summary = summarize(trials, metric, baseline=found.baseline if found else None,
                        pairs=found.claim_pairs if found else (),
                        chance=chance_level(found.dataset, metric) if found else None)
    return summary, trials, history


def grid_order(study: Study | None, trials: pd.DataFrame) -> list[str]:
    """The variants in the order the study's grid declares them (its budget's)."""
    if study is None or study.kind != "ablation" or trials.empty:
        return []
    budgets = [b for b in trials.get("budget", pd.Series()).dropna().unique()
               if b in study.budget_names]
    return study.variants(budgets[0] if budgets else "quick")


def compared_spaces(study: Study, trials: pd.DataFrame, metric: str
                    ) -> SpaceComparison | None:
    """The design-space comparison of a study that claims one (Study.distribution_claim), a
    diverged model counted at the dataset's chance error; None without a claim or models."""
    if not study.distribution_claim:
        return None
    return compare_spaces(trials, metric, *study.distribution_claim,
                          diverged_error=chance_level(study.dataset, metric))


def run_end_summary(study: Study, condition: str) -> str:
    """What `make study` prints at its end, once: this invocation's condition, the variants in
    grid order with n and intervals, the claim check with a line per pair, the trials that did
    not finish normally, and the trials' start-up time."""
    summary, trials, _ = study_summary(study, condition=condition)
    budget = ", ".join(sorted(trials["budget"].dropna().unique())) if "budget" in trials else "-"
    lines = [f"## {study.name}: {summary.metric} by variant (budget {budget}, condition "
             f"{condition})", "", summary_markdown(summary, grid_order(study, trials), trials)]
    if study.distribution_claim:
        compared = compared_spaces(study, trials, summary.metric)
        lines += ["", compared.markdown(summary.metric) if compared else NOT_COMPARED]
    ok = trials[trials["status"] == "ok"] if not trials.empty else trials
    if "startup_s" in ok and ok["startup_s"].notna().any():
        lines += ["", f"per-trial start-up (process, data and model until training): mean "
                  f"{ok['startup_s'].mean():.1f} s, max {ok['startup_s'].max():.1f} s"]
    return "\n".join(lines)
