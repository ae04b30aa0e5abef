"""A search's report beyond the summary: the importances of its sampled axes, its best points
and Pareto front with the command that retrains each, and the figures that show them; and the
command itself (`--set point=`), which must rebuild the very point the search trained."""

from __future__ import annotations

import re

import numpy as np
import optuna
import pandas as pd
import pytest

from analysis.report import importance_metrics
from analysis.search import (
    MIN_TRIALS_FOR_IMPORTANCE,
    best_points,
    importances,
    point_params,
    sampled_axes,
)
from studies import find_study
from studies.__main__ import UsageError, apply_overrides
from verdicts.stats import summarize

NAS = find_study("nas")


def sampled_trials(n: int, effect, seed: int = 0) -> pd.DataFrame:
    """n points the nas space samples at random, as load_runs gives a search's trials (one
    seed each, `axis.*` columns, the variant its key), with val_error = effect(params) + noise."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    probe = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        trial = probe.ask()
        net = NAS.space_point(trial)
        probe.tell(trial, 0.0)
        rows.append({"run_id": f"r{i}", "variant": net.key(), "seed": 0, "status": "ok",
                     "budget": "quick", "overrides": "trials=40 epochs=1",
                     "val_error": effect(trial.params) + rng.normal(0, 0.005),
                     "params": 1000 + i, "macs": 1e6 * (1 + i % 7),
                     **{f"axis.{k}": v for k, v in trial.params.items()}})
    return pd.DataFrame(rows)


def family_matters(params) -> float:
    return 0.1 + (0.3 if params["family"] in ("dense", "shuffle", "shuffle_v2") else 0.0) \
        + 0.001 * params["depth1"]


def test_importances_find_the_axis_that_sets_the_error(monkeypatch):
    from analysis import search

    monkeypatch.setattr(search, "BOOTSTRAPS", 3)  # a spread from 3 resamples: what is tested
    trials = sampled_trials(60, family_matters)
    table = importances(NAS, trials)
    shared = table[table["subspace"] == "all points"]
    ranked = shared.sort_values("importance", ascending=False)
    assert ranked["axis"].iloc[0] == "family" and ranked["importance"].iloc[0] > 0.8
    assert set(shared["axis"]) == {"family", "depth0", "depth1", "depth2"}  # shared by all
    assert (shared["sd"] >= 0).all() and shared["sd"].notna().all()  # bootstrap spread
    # a conditional axis is assessed among the points that read the same axes, named so
    width = table[table["subspace"] == "width only (family basic, preact, shuffle_v2)"]
    assert "width" in set(width["axis"]) and (width["n"] >= MIN_TRIALS_FOR_IMPORTANCE).all()
    metrics = importance_metrics(table)
    assert metrics["importance/family"] == ranked["importance"].iloc[0]
    assert not any("width" in k for k in metrics)  # the parent run: the all-points shares


def test_pruned_trials_and_too_few_trials_give_no_importance():
    trials = sampled_trials(MIN_TRIALS_FOR_IMPORTANCE - 1, family_matters)
    assert importances(NAS, trials).empty
    # pruned trials (told to the sampler as the worst error) are not counted
    more = sampled_trials(30, family_matters, seed=1)
    more.loc[5:, "status"] = "pruned"
    assert importances(NAS, more).empty


def test_best_points_rank_the_lowest_error_and_mark_the_front_with_a_working_command():
    trials = sampled_trials(25, family_matters)
    summary = summarize(trials, "val_error")
    best = best_points(summary, trials, "nas", k=5)
    assert list(best["rank"])[:5] == [1, 2, 3, 4, 5]
    ordered = summary.variants.sort_values("mean")
    assert list(best["point"])[:5] == list(ordered["variant"])[:5]
    # the front: the best point, and every listed point no other beats on both error and MACs
    assert best["front"].iloc[0]
    for row in best[best["front"]].itertuples():
        others = summary.variants[summary.variants["variant"] != row.point]
        assert not ((others["mean"] <= row.val_error) & (others["macs"] <= row.macs)).any()
    # each command retrains that very point, with the search's recipe overrides, 3 seeds
    for row in best.itertuples():
        args = row.command.split()
        assert args[:5] == ["python", "-m", "studies", "run", "nas"]
        sets = [args[i + 1] for i, a in enumerate(args) if a == "--set"]
        assert "epochs=1" in sets and "seeds=3" in sets and not any(
            s.startswith("trials=") for s in sets)
        study, budget = apply_overrides(NAS, "quick", sets)
        assert study.name == "nas_points" and budget.seeds == 3
        (label,) = study.grid[0][1]
        assert study.point({"point": label}).key() == row.point


def test_a_point_keeps_the_parameters_it_read():
    row = pd.Series({"axis.family": "dense", "axis.depth0": 2.0, "axis.width": np.nan,
                     "axis.growth": 8.0})
    params = point_params(row, ["family", "depth0", "width", "growth"])
    assert params == {"family": "dense", "depth0": 2, "growth": 8}
    assert isinstance(params["depth0"], int)


@pytest.mark.parametrize("setting, message", [
    ("point=family=basic,depth0=2,depth1=1,depth2=3", "no value for width, which this point "
     "reads (add width=VALUE)"),
    ("point=family=basic,depth0=2,depth1=1,depth2=3,width=16,growth=8",
     "growth not read by this point of nas"),
    ("point=family=basic,depth0=9,depth1=1,depth2=3,width=16", "depth0=9 is outside its axis"),
    ("point=family=basic,depth0=2,depth1=1,depth2=3,width=12",
     "point: width=12 is not one of its values (8, 16, 24, 32)"),
    ("point=family", "must be AXIS=VALUE pairs separated by commas"),
    ("point=family=basic,family=dense", "must be AXIS=VALUE pairs separated by commas"),
])
def test_a_bad_point_is_refused_by_name(setting, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        apply_overrides(NAS, "quick", [setting])


def test_point_is_for_searches_and_one_at_a_time():
    with pytest.raises(UsageError, match="width_vs_depth is an ablation"):
        apply_overrides(find_study("width_vs_depth"), "quick", ["point=wrn=16-4"])
    point = "point=family=dense,depth0=1,depth1=1,depth2=1,growth=8"
    with pytest.raises(UsageError, match="given twice"):
        apply_overrides(NAS, "quick", [point, point])


def test_a_retrained_point_trains_the_search_point_with_its_recipe_axes():
    from studies.study import Study

    def space(trial, base):
        trial.suggest_float("recipe.lr", 1e-3, 1.0, log=True)
        return base.replace(width_mult=trial.suggest_categorical("width_mult", [0.5, 1.0]))

    search = Study(name="tiny", claim="c", source="s", base="resnet20", space=space,
                   kind="search")
    retrained = search.retrain({"recipe.lr": 0.02, "width_mult": 0.5})
    assert retrained.kind == "ablation"
    assert retrained.variants() == ["point=recipe.lr=0.02,width_mult=0.5"]
    params = {"point": "recipe.lr=0.02,width_mult=0.5", "seed": 1}
    assert retrained.point(params) == search.point({"recipe.lr": 0.02, "width_mult": 0.5})
    recipe = retrained.trial_recipe(params, "quick")
    assert (recipe.lr, recipe.seed) == (0.02, 1)


@pytest.fixture
def figures(monkeypatch):
    from analysis import plots

    monkeypatch.setattr(plots, "_save", lambda fig, path: fig)
    return plots


def test_the_figures_label_the_best_points_only(figures):
    trials = sampled_trials(30, family_matters)
    summary = summarize(trials, "val_error")
    best = best_points(summary, trials, "nas", k=3)
    labels = {r.point: f"#{r.rank}" for r in best.itertuples()}
    ax = figures.error_vs_cost(summary, "x.png", "macs", 0.9, labels).axes[0]
    assert sorted(t.get_text() for t in ax.texts if t.get_text().startswith("#")) == \
        sorted(labels.values())
    # many variants, no labels given: the front's only
    unlabelled = figures.error_vs_cost(summary, "x.png", "macs", 0.9).axes[0]
    front = [line for line in unlabelled.get_lines() if line.get_marker() == "s"][0]
    named = [t for t in unlabelled.texts if t.get_text() in set(summary.variants["variant"])]
    assert len(named) == len(front.get_xdata()) < len(summary.variants)

    axes = sampled_axes(trials)
    pc = figures.parallel_coordinates(trials, axes, "val_error", "x.png", labels).axes[0]
    bold = [line for line in pc.get_lines() if line.get_linewidth() > 2]
    assert len(bold) == len(labels)
    assert {t.get_text() for t in pc.get_legend().get_texts()} == set(labels.values())
    ticks = [t.get_text() for t in pc.get_xticklabels()]
    assert ticks == [*axes, "val_error"]
    assert {"dense", "basic", "-"} <= {t.get_text() for t in pc.texts}  # categories, unread
    assert figures.parallel_coordinates(trials.assign(status="pruned"), axes, "val_error",
                                        "x.png") is None


def test_the_retrain_command_keeps_every_setting_the_trials_trained_with():
    from analysis.search import search_settings

    trials = sampled_trials(12, family_matters)
    # two invocations of one condition: a resume with more trials, settings in another order
    trials["overrides"] = ["trials=6 epochs=1 max_train_images=512"] * 6 + \
        ["max_train_images=512 trials=12 epochs=1 concurrency=1"] * 6
    assert search_settings(trials) == ["epochs=1", "max_train_images=512"]
    best = best_points(summarize(trials, "val_error"), trials, "nas", k=2)
    for command in best["command"]:
        assert "--set epochs=1 --set max_train_images=512 --set seeds=3" in command
        assert "trials=" not in command and "concurrency=" not in command


def test_a_recipe_value_the_point_samples_cannot_be_set_beside_it():
    from studies.study import Study

    def space(trial, base):
        trial.suggest_float("recipe.lr", 1e-3, 1.0, log=True)
        return base

    search = Study(name="tiny", claim="c", source="s", base="resnet20", space=space,
                   kind="search")
    with pytest.raises(UsageError, match="--set lr=0.1: the point sets recipe.lr itself"):
        apply_overrides(search, "quick", ["point=recipe.lr=0.02", "lr=0.1"])


def test_a_point_typed_as_a_float_is_the_same_variant():
    ints, floats = ("point=family=inverted,depth0=2,depth1=1,depth2=2,width=24,"
                    "inverted_expansion=2", "point=family=inverted,depth0=2.0,depth1=1,"
                    "depth2=2,width=24.0,inverted_expansion=2.0")
    assert apply_overrides(NAS, "quick", [ints])[0].variants() == \
        apply_overrides(NAS, "quick", [floats])[0].variants()


def test_no_finished_trial_gives_empty_tables_not_errors():
    trials = sampled_trials(12, family_matters).assign(status="failed")
    assert importances(NAS, trials).empty
    assert importances(NAS, trials.drop(columns=["val_error"])).empty
    summary = summarize(trials, "val_error")
    assert best_points(summary, trials, "nas").empty
