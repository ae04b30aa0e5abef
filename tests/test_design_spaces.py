"""The design_spaces study: its samplers draw the paper's spaces inside one MACs band, a point
is a function of (space, draw), the cost formula the samplers use is the counted cost, and the
comparison of two spaces' error distributions gives the verdict its data says."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from search_space import PRESETS, complexity
from studies import STUDIES
from studies.catalogue import design_spaces as ds
from trainers import Recipe
from trainers.contract import adapt
from verdicts.distributions import compare_spaces

STUDY = STUDIES["design_spaces"]
INPUT = (1, 28, 28)


@pytest.mark.parametrize("space", ds.SPACES)
def test_the_cost_formula_is_the_counted_cost_and_every_draw_is_in_the_band(space):
    for draw in range(4):
        net = STUDY.point({"design_space": space, "draw": draw})
        built = adapt(net, INPUT, 10, STUDY.recipe_for("quick"))
        assert built.stem == "cifar" and len(built.stages) == ds.STAGES
        counted = complexity(built, INPUT).macs
        assert counted == ds.x_net_macs(list(ds.sample(space, draw, ds.BAND)))
        assert ds.BAND[0] <= counted <= ds.BAND[1]


def test_a_draw_is_a_function_of_its_space_and_number():
    ds.sample.cache_clear()
    first = [ds.sample("anynetx_a", d, ds.BAND) for d in range(5)]
    ds.sample.cache_clear()
    assert first == [ds.sample("anynetx_a", d, ds.BAND) for d in range(5)]
    assert len(set(first)) == 5  # draws differ
    assert ds.sample("regnetx", 0, ds.BAND) != first[0]


def test_the_samplers_keep_the_papers_ranges():
    rng = np.random.default_rng(0)
    for _ in range(300):
        for stage, b in ds.anynetx_a(rng):
            assert 1 <= stage.depth <= 16 and b in (1, 2, 4)
            assert 8 <= stage.width <= 1024 + 32 and stage.width % 4 == 0  # after the group fit
            inner = stage.width // b
            assert inner % stage.groups == 0 and inner // stage.groups <= 32  # group width
        regnet = ds.regnetx(rng)
        if regnet is not None:
            assert len(regnet) == ds.STAGES and sum(s.depth for s, _ in regnet) < 64
            assert len({b for _, b in regnet}) == 1  # one bottleneck ratio for the net
            widths = [s.width for s, _ in regnet]
            assert widths == sorted(widths)  # RegNet's widths never shrink


def test_an_unknown_space_or_an_impossible_band_is_named(monkeypatch):
    with pytest.raises(ValueError, match="design_space='resnet' is not one of"):
        ds.sample("resnet", 0, ds.BAND)
    monkeypatch.setattr(ds, "MAX_TRIES", 50)
    with pytest.raises(ValueError, match="no model in the MACs band"):
        ds.sample("regnetx", 0, (1, 2))


def test_the_study_declares_its_claim_on_its_grid():
    assert STUDY.distribution_claim == ("design_space", "regnetx", "anynetx_a")
    with pytest.raises(ValueError, match="distribution_claim"):
        dataclasses.replace(STUDY, distribution_claim=("design_space", "regnetx", "vgg"))
    # a grid narrowed to one space keeps no claim about two
    narrowed = STUDY.with_grid("quick", dataclasses.replace(
        STUDY.quick, grid=(("design_space", ("regnetx",)), ("draw", (0, 1)))))
    assert narrowed.distribution_claim == ()
    assert STUDY.base in PRESETS and isinstance(STUDY.recipe, Recipe)


def spaces(better: list[float], worse: list[float]) -> pd.DataFrame:
    rows = [{"status": "ok", "axis.space": name, "val_error": e, "macs": 9e6,
             "variant": f"space={name},draw={i}"}
            for name, errors in (("good", better), ("bad", worse)) for i, e in enumerate(errors)]
    return pd.DataFrame(rows)


def test_an_edf_clearly_above_reproduces_below_contradicts_equal_is_inconclusive():
    rng = np.random.default_rng(0)
    low, high = rng.normal(0.2, 0.03, 30), rng.normal(0.3, 0.03, 30)
    shifted = compare_spaces(spaces(list(low), list(high)), "val_error", "space", "good", "bad")
    assert shifted.verdict == "reproduced" and shifted.gap_for > 0.8 and shifted.p_for < 1e-6
    reverse = compare_spaces(spaces(list(high), list(low)), "val_error", "space", "good", "bad")
    assert reverse.verdict == "contradicted"
    same = compare_spaces(spaces(list(low), list(rng.permutation(low))), "val_error", "space",
                          "good", "bad")
    assert same.verdict == "inconclusive" and same.gap_for == 0 and same.gap_against == 0
    # one space both better and worse: its EDF crosses the other's
    wide = np.r_[rng.normal(0.1, 0.01, 30), rng.normal(0.5, 0.01, 30)]
    narrow = rng.normal(0.3, 0.01, 60)
    crossing = compare_spaces(spaces(list(wide), list(narrow)), "val_error", "space", "good",
                              "bad")
    assert crossing.verdict == "inconclusive (the EDFs cross)"


def test_the_comparison_states_n_the_gaps_and_what_it_could_detect():
    rng = np.random.default_rng(1)
    result = compare_spaces(spaces(list(rng.normal(0.2, 0.03, 20)),
                                   list(rng.normal(0.25, 0.03, 30))), "val_error", "space",
                            "good", "bad")
    assert list(result.stats["n"]) == [20, 30]
    # the asymptotic one-sided KS critical gap at level 0.025 for n = 20 and 30
    assert result.detectable_gap == pytest.approx(
        np.sqrt(-np.log(0.025) / 2) * np.sqrt(50 / 600))
    text = result.markdown("val_error")
    for expected in ("Kolmogorov-Smirnov", "Anderson-Darling", "n = 20 and 30",
                     f"call significant is {result.detectable_gap:.2f}", "**Verdict: "):
        assert expected in text
    # failed or pruned trials do not count; too few finished trials: no comparison
    assert compare_spaces(spaces([0.2, 0.3], [0.4]), "val_error", "space", "good",
                          "bad") is None
    trials = spaces([0.2, 0.3, 0.25], [0.4, 0.5])
    trials.loc[0, "status"] = "pruned"
    assert list(compare_spaces(trials, "val_error", "space", "good", "bad").stats["n"]) == [2, 2]
    trials.loc[1, "status"] = "failed"
    assert compare_spaces(trials, "val_error", "space", "good", "bad") is None
    # seeds of one model are one sample, at their mean
    seed_a, seed_b = spaces([0.19, 0.29], [0.39, 0.49]), spaces([0.21, 0.31], [0.41, 0.51])
    result = compare_spaces(pd.concat([seed_a, seed_b]), "val_error", "space", "good", "bad")
    assert list(result.stats["n"]) == [2, 2]
    assert result.stats["mean"].iloc[0] == pytest.approx(0.25)


def test_show_states_the_distribution_claim(capsys):
    from studies.__main__ import main

    assert main(["show", "design_spaces"]) == 0
    out = capsys.readouterr().out
    assert "distribution claim: the error EDF of design_space=regnetx lies above " \
        "design_space=anynetx_a's" in out
    assert "54 variants x 1 seeds: 54 trials" in out


def test_the_cost_figure_colours_models_by_space_on_a_readable_axis(monkeypatch):
    from analysis import plots
    from verdicts.stats import summarize

    monkeypatch.setattr(plots, "_save", lambda fig, path: fig)
    trials = spaces([0.2, 0.21, 0.22], [0.3, 0.31, 0.32]).assign(
        seed=0, params=1000, macs=[8.1e6, 8.5e6, 9.0e6, 8.2e6, 8.8e6, 9.9e6])
    groups = dict(zip(trials["variant"], trials["axis.space"], strict=True))
    ax = plots.error_vs_cost(summarize(trials, "val_error"), "x.png", "macs", 0.9, {},
                             groups).axes[0]
    assert {"good", "bad"} <= {t.get_text() for t in ax.get_legend().get_texts()}
    assert not [t for t in ax.texts if "space=" in t.get_text()]  # no per-model labels
    assert ax.get_xscale() == "linear" and len(ax.get_xticks()) >= 3  # a narrow band


def test_a_diverged_model_counts_at_chance_and_lost_trials_are_counted():
    trials = spaces([0.2, 0.21, 0.22, 0.23], [0.3, 0.31, 0.32, 0.33])
    trials.loc[0, ["status", "val_error"]] = ["diverged", np.nan]
    counted = compare_spaces(trials, "val_error", "space", "good", "bad", diverged_error=0.9)
    assert counted.stats.loc[0, "n"] == 4
    assert counted.stats.loc[0, "mean"] == pytest.approx((0.9 + 0.21 + 0.22 + 0.23) / 4)
    left = compare_spaces(trials, "val_error", "space", "good", "bad")  # no chance known
    assert list(left.stats["left out"]) == [1, 0]
    assert left.verdict == "inconclusive (the spaces lost different numbers of trials)"
    assert compare_spaces(trials.assign(status="failed"), "val_error", "space", "good",
                          "bad") is None
    assert compare_spaces(trials.drop(columns=["val_error"]), "val_error", "space", "good",
                          "bad") is None
    with pytest.raises(ValueError, match="two different values"):
        dataclasses.replace(STUDY, distribution_claim=("design_space", "regnetx", "regnetx"))
