"""What a search's report reads beyond the summary: which sampled axes mattered (Optuna's
importance evaluators), the best points and the Pareto front, each with the command that
retrains it with seeds.

Importances come from the trials that finished normally (MLflow's status `ok`): a trial
pruned by the MACs limit or stopped by ASHA is told to the sampler as the worst error, and
counting it would make the axes that make a net large look important for its error.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .plots import pareto_front

if TYPE_CHECKING:
    from studies.study import Study
    from verdicts.stats import Summary

AXIS = "axis."
# Below this many finished trials in a subspace no importance is computed: a forest fitted
# to a handful of points says little, and the bootstrap below could not show how little.
MIN_TRIALS_FOR_IMPORTANCE = 10
# fANOVA's spread: its importances on this many resamples of the trials (with replacement).
# The trials are a sample of the space, and that is the uncertainty that matters: on a
# 33-trial nas search the bootstrap sd of the family's share was 0.10, its sd over forest
# seeds on the same trials 0.02.
BOOTSTRAPS = 20
BEST_K = 5


def sampled_axes(trials: pd.DataFrame) -> list[str]:
    """The parameters the search sampled (MLflow's `axis.*` columns), in the order recorded."""
    return [c.removeprefix(AXIS) for c in trials.columns
            if c.startswith(AXIS) and c != f"{AXIS}seed"]


def point_params(row: pd.Series, axes: list[str]) -> dict[str, Any]:
    """A trial's sampled parameters (those its point read), whole numbers as ints: MLflow
    stores strings and a column with gaps reads as floats."""
    params = {}
    for axis in axes:
        value = row.get(AXIS + axis)
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            continue
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        elif isinstance(value, np.integer):
            value = int(value)
        elif isinstance(value, str) and value in ("True", "False"):  # MLflow's text of a bool
            value = value == "True"
        params[axis] = value
    return params


# `--set` keys of a search's invocation that say how much to run, not how a point trains: a
# retrain leaves them out (it sets its own seeds).
RUN_ONLY_SETTINGS = ("trials", "seeds", "max_seeds", "seed_step", "concurrency",
                     "cpus_per_trial")


def search_settings(trials: pd.DataFrame) -> list[str]:
    """The `--set` settings of the search's invocations that change how a point trains (its
    recipe, data, net fields), once each in the order first given. The invocations of one
    condition share them (the condition key holds the recipe), though one may have typed
    them in another order or with another `trials=`."""
    found: dict[str, str] = {}
    for text in trials["overrides"].dropna().unique() if "overrides" in trials else []:
        for setting in str(text).split():
            key = setting.partition("=")[0]
            if key not in RUN_ONLY_SETTINGS:
                found.setdefault(key, setting)
    return list(found.values())


def retrain_command(study_name: str, params: dict[str, Any], budget: str,
                    settings: list[str] = (), seeds: int = 3) -> str:
    """The command that trains this point again with `seeds` seeds (Study.retrain), at the
    budget and with the `--set` settings the search's trials trained with."""
    point = ",".join(f"{k}={v}" for k, v in params.items())
    return " ".join(["python -m studies run", study_name, f"--budget {budget}",
                     f"--set point={point}", *(f"--set {s}" for s in settings),
                     f"--set seeds={seeds}"])


def best_points(summary: Summary, trials: pd.DataFrame, study_name: str,
                k: int = BEST_K) -> pd.DataFrame:
    """The k points of lowest error and the points of the Pareto front of error against MACs,
    best first: rank, point (its key), error, MACs, params, on the front, its parameters and
    the command that retrains it with seeds."""
    metric = summary.metric
    v = summary.variants
    v = v.dropna(subset=["mean", "macs"]) if {"mean", "macs"} <= set(v.columns) else v.iloc[:0]
    if v.empty:
        return pd.DataFrame(columns=["rank", "point", metric, "macs", "params", "front",
                                     "parameters", "command"])
    v = v.sort_values(["mean", "macs"]).reset_index(drop=True)
    front = set(pareto_front(v, "macs", "mean")["variant"])
    chosen = v[(v.index < k) | v["variant"].isin(front)]
    axes = sampled_axes(trials)
    ok = trials[trials["status"] == "ok"]
    budget = _single(trials, "budget") or "quick"
    settings = search_settings(trials)
    rows = []
    for rank, row in chosen.iterrows():
        first = ok[ok["variant"] == row["variant"]].iloc[0]
        params = point_params(first, axes)
        rows.append({"rank": rank + 1, "point": row["variant"], metric: row["mean"],
                     "macs": row["macs"], "params": row["params"],
                     "front": row["variant"] in front,
                     "parameters": ", ".join(f"{a}={p}" for a, p in params.items()),
                     "command": retrain_command(study_name, params, budget, settings)})
    return pd.DataFrame(rows)


def _single(trials: pd.DataFrame, column: str) -> str:
    values = trials[column].dropna().unique() if column in trials else []
    return str(values[0]) if len(values) == 1 else ""


def importances(study: Study, trials: pd.DataFrame) -> pd.DataFrame:
    """Which sampled axes mattered for the study's metric: Optuna's fANOVA evaluator (Hutter
    et al. 2014, Optuna's default), the share of the error's variance over the space that
    each axis explains, from a random forest fitted to the trials; with its sd over
    BOOTSTRAPS resamples of the trials, so a reader sees how firm each share is.

    Optuna's other evaluators were tried and left out: mean decrease in impurity favours axes
    with many values; PED-ANOVA (which axes set the best quantile apart) ranked a decisive axis
    last on a synthetic nas search where that axis alone set the error (family's share 0.26
    against fANOVA's 1.00 when more points shared the best family than the quantile held).

    Optuna assesses only axes that every trial it is given has, so a conditional space (an
    axis read by some families only) is assessed per subspace: every finished trial on the
    axes all of them share ("all points"), and each group of trials that read more axes on
    those. A subspace with fewer than MIN_TRIALS_FOR_IMPORTANCE trials is skipped.

    Rows: subspace, n, axis, importance, sd."""
    from optuna.importance import FanovaImportanceEvaluator, get_param_importances

    columns = ["subspace", "n", "axis", "importance", "sd"]
    if study.metric not in trials or "status" not in trials:  # no trial has finished
        return pd.DataFrame(columns=columns)
    ok = trials[trials["status"] == "ok"].dropna(subset=[study.metric])
    axes = sampled_axes(ok)
    built = [_frozen_trial(study, point_params(row, axes), float(row[study.metric]))
             for _, row in ok.iterrows()]
    built = [t for t in built if t is not None]
    rows: list[dict[str, Any]] = []
    for label, group in _subspaces(built):
        if len(group) < MIN_TRIALS_FOR_IMPORTANCE:
            continue
        names = sorted(set.intersection(*(set(t.params) for t in group)))
        varied = [a for a in names if len({repr(t.params[a]) for t in group}) > 1]
        if not varied:
            continue
        rng = np.random.default_rng(0)
        resamples = [_study_of([group[i] for i in rng.integers(0, len(group), len(group))])
                     for _ in range(BOOTSTRAPS)]
        shares = [get_param_importances(s, params=varied,
                                        evaluator=FanovaImportanceEvaluator(seed=0))
                  for s in (_study_of(group), *resamples)]
        for axis in varied:
            rows.append({"subspace": label, "n": len(group), "axis": axis,
                         "importance": float(shares[0][axis]),
                         "sd": float(np.std([s.get(axis, 0.0) for s in shares[1:]], ddof=1))})
    return pd.DataFrame(rows, columns=columns)


def _study_of(trials: list):
    """An in-memory Optuna study holding these trials (the evaluators take a study)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="minimize")
    study.add_trials(trials)
    return study


def _frozen_trial(study: Study, params: dict[str, Any], value: float):
    """The trial as Optuna would have recorded it: its parameters with the distributions the
    search's space gives them (replayed with FixedTrial); None if the space no longer builds
    it (a study file changed since)."""
    import optuna

    fixed = optuna.trial.FixedTrial(params)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study.space_point(fixed)
    except ValueError:
        return None
    return optuna.trial.create_trial(params=fixed.params, distributions=fixed.distributions,
                                     value=value)


def _subspaces(trials: list) -> list[tuple[str, list]]:
    """All trials on the axes they share, then each group of trials that reads exactly the
    same further axes, labelled by those axes and by the values its shared categorical axes
    take (nas: "width only (family basic, preact, shuffle_v2)")."""
    if not trials:
        return []
    shared = set.intersection(*(set(t.params) for t in trials))
    groups: dict[frozenset, list] = {}
    for t in trials:
        groups.setdefault(frozenset(set(t.params) - shared), []).append(t)
    found = [("all points", trials)]
    for extra, group in sorted(groups.items(), key=lambda g: sorted(g[0])):
        if not extra:
            continue
        which = []
        for axis in sorted(shared):
            values = {t.params[axis] for t in group}
            if all(isinstance(v, str) for v in values):
                which.append(f"{axis} {', '.join(sorted(values))}")
        found.append((f"{', '.join(sorted(extra))} only"
                      + (f" ({'; '.join(which)})" if which else ""), group))
    return found
