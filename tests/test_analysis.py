"""Statistics on synthetic DataFrames with known answers, plots, and a report end to end."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from scipy import stats

from analysis import mean_ci, paired_test, summarize, write_report
from analysis.plots import pareto_front
from verdicts.claim_check import reading


def frame(values: dict[str, list[float]], status: str = "ok") -> pd.DataFrame:
    rows = [{"variant": v, "seed": s, "status": status, "val_error": x, "params": 1000,
             "macs": 10_000}
            for v, xs in values.items() for s, x in enumerate(xs)]
    return pd.DataFrame(rows)


def test_mean_ci_known_answer():
    mean, std, low, high = mean_ci([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, df=2) * std / sqrt(n), std = 1
    assert (mean, std) == (2.0, 1.0)
    assert low == pytest.approx(2 - half) and high == pytest.approx(2 + half)
    assert math.isnan(mean_ci([0.5])[2])  # one value: no interval


def test_paired_test_matches_scipy_and_handles_degenerate_cases():
    rng = np.random.default_rng(0)
    b = rng.normal(0.2, 0.02, 8)
    a = b - 0.01 + rng.normal(0, 0.002, 8)
    out = paired_test(a, b)
    assert out["n_pairs"] == 8
    assert out["mean_diff"] == pytest.approx(np.mean(a - b))
    assert out["t_p"] == pytest.approx(stats.ttest_rel(a, b).pvalue)
    assert out["wilcoxon_p"] == pytest.approx(stats.wilcoxon(a, b).pvalue)
    assert out["effect_size"] == pytest.approx(np.mean(a - b) / np.std(a - b, ddof=1))
    assert out["ci_low"] < out["mean_diff"] < out["ci_high"] < 0
    same = paired_test([0.1, 0.2], [0.1, 0.2])
    assert same["t_p"] == 1.0 and same["mean_diff"] == 0.0


@pytest.mark.parametrize("shift", [0.0, 0.004, 0.01])
@pytest.mark.parametrize("noise", [0.0, 1e-15, 0.003])
def test_the_paired_table_and_the_claim_check_give_one_p_per_pair(shift, noise):
    """One owner of the paired t-test and of the no-spread rule (verdicts.paired): a report's
    table of paired differences and its claim check agree on every pair, no spread included
    (a constant difference, or one of float rounding)."""
    from verdicts.claim_check import compare

    rng = np.random.default_rng(2)
    b = rng.normal(0.2, 0.02, 5)
    a = b - shift + noise * rng.standard_normal(5)
    table = paired_test(a, b)
    claim = compare(pd.Series(a), pd.Series(b))
    assert claim["test"] == "paired t"
    assert claim["p"] == pytest.approx(table["t_p"], nan_ok=True)
    assert (claim["ci_low"], claim["ci_high"]) == pytest.approx(
        (table["ci_low"], table["ci_high"]))


def test_summarize_claim_check_reproduced_contradicted_inconclusive():
    rng = np.random.default_rng(1)
    base = rng.normal(0.30, 0.01, 6)
    df = frame({
        "good": list(base - 0.05 + rng.normal(0, 0.002, 6)),  # clearly better
        "base": list(base),
        "same": list(base + rng.normal(0, 0.01, 6)),  # no real difference
    })
    s = summarize(df, baseline="base", expected_order=("good", "base"))
    assert s.verdict == "reproduced"
    row = s.variants.set_index("variant").loc["good"]
    assert row["n"] == 6 and row["mean"] == pytest.approx(np.mean(df[df.variant == "good"]
                                                                  .val_error))
    paired = s.paired.set_index("variant")
    assert set(paired.index) == {"good", "same"}
    assert paired.loc["good", "t_p"] < 0.001
    # Benjamini-Hochberg never lowers a p-value
    assert (paired["t_p_adjusted"] >= paired["t_p"] - 1e-12).all()
    assert summarize(df, baseline="base", expected_order=("base", "good")).verdict == (
        "contradicted")
    same = summarize(df, baseline="base", expected_order=("same", "base"))
    assert same.verdict in ("inconclusive", "contradicted")
    assert same.claim["verdict"].iloc[0] == (
        "inconclusive" if same.claim["p"].iloc[0] >= 0.05 else "contradicted")


def test_summarize_ignores_failed_and_pruned_trials_and_pairs_by_seed():
    df = pd.concat([
        frame({"a": [0.1, 0.2, 0.3], "b": [0.2, 0.3, 0.4]}),
        frame({"a": [9.0]}, status="diverged"),
        frame({"b": [math.inf]}, status="pruned"),
    ])
    s = summarize(df, baseline="b", expected_order=("a", "b"))
    assert s.variants.set_index("variant")["n"].to_dict() == {"a": 3, "b": 3}
    assert s.claim["mean_diff"].iloc[0] == pytest.approx(-0.1)
    assert s.claim["n"].iloc[0] == 3


def test_pareto_front():
    pts = pd.DataFrame({"macs": [1, 2, 3, 4, 5], "mean": [0.5, 0.3, 0.4, 0.2, 0.25]})
    front = pareto_front(pts, "macs", "mean")
    assert list(front["macs"]) == [1, 2, 4]


@pytest.mark.slow
def test_report_end_to_end_on_a_tiny_study(tmp_path, monkeypatch, fashion_data, shared_ray,
                                           capsys):
    from studies.__main__ import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    tiny = ["--set", "max_train_images=128", "--set", "max_val_images=64", "--set",
            "max_test_images=64", "--set", "batch_size=64", "--set", "seeds=2", "--set",
            "max_seeds=0"]
    assert main(["run", "width_vs_depth", *tiny]) == 0
    report = write_report("width_vs_depth", tmp_path / "reports")
    text = report.read_text()
    for expected in ("Zagoruyko", "Paired differences", "Claim check", "Verdict at this budget",
                     "![variants](variants.png)", "![claim](claim.png)", "wrn=10-2"):
        assert expected in text
    for png in ("claim", "variants", "learning_curves", "error_vs_macs", "error_vs_params",
                "error_edf"):
        data = (report.parent / f"{png}.png").read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 5000
    client = MlflowClient(f"sqlite:///{tmp_path / 'mlruns.db'}")
    exp = client.get_experiment_by_name("width_vs_depth")
    parent = client.search_runs([exp.experiment_id], "tags.`atlas.role` = 'parent'")[0]
    logged = {f.path for f in client.list_artifacts(parent.info.run_id, "report")}
    assert {"report/report.md", "report/report.html", "report/claim.png"} <= logged
    html = (report.parent / "report.html").read_text()  # one page: the figures inlined
    assert "<table>" in html and html.count('src="data:image/png;base64,') == 6
    assert 'src="claim.png"' not in html
    parent = client.get_run(parent.info.run_id)  # the parent shows the results in the UI
    assert parent.data.tags["atlas.verdict"] in text
    assert parent.data.metrics["wrn_10-2/n"] == 2 and "wrn_10-2/ci_low" in parent.data.metrics
    # the hardware line says where the trials ran, from their tags
    from studies.host import cpu_model

    hardware = text.split("**Hardware.** ")[1].splitlines()[0]
    assert cpu_model() in hardware and "torch " in hardware and "mlflow " in hardware
    assert "git commit " in hardware
    # the summary table has a row per variant with n = 2 seeds
    variants = report.read_text().split("## Results")[1].strip().split("\n\n")[0]
    rows = [line for line in variants.splitlines() if line.startswith("| wrn=")]
    assert len(rows) == 3 and all("|   2 |" in row for row in rows)


def test_an_error_rate_interval_stays_inside_0_and_1():
    from verdicts.stats import mean_ci

    _, _, low, high = mean_ci([0.01, 0.02, 0.30], bounds=(0.0, 1.0))  # t interval dips below 0
    assert 0.0 <= low < high <= 1.0 and low == 0.0
    _, _, low, high = mean_ci([0.01, 0.02, 0.30])  # unbounded: the plain t interval
    assert low < 0.0


def test_one_seed_per_variant_prints_no_statistics_and_no_claim():
    import pandas as pd

    from verdicts.markdown import summary_markdown
    from verdicts.stats import summarize

    df = pd.DataFrame({"variant": ["a", "b"], "seed": [0, 0], "status": ["ok", "ok"],
                       "val_error": [0.2, 0.3], "params": [1, 2], "macs": [1e6, 2e6]})
    summary = summarize(df, "val_error", baseline="a", expected_order=("a", "b"))
    assert summary.claim.empty and summary.verdict == "untested"
    text = summary_markdown(summary)
    assert "1 seed per variant: no statistics; use seeds>=2" in text
    assert "nan" not in text.lower() and "agrees" not in text and "CI low" not in text


@pytest.fixture
def figures(monkeypatch):
    """The plots' figures instead of their files: each plot function returns its Figure."""
    from analysis import plots

    monkeypatch.setattr(plots, "_save", lambda fig, path: fig)
    return plots


def test_plots_carry_information_at_one_seed_and_one_epoch(figures):
    df = pd.DataFrame({"variant": ["a", "b"], "seed": [0, 0], "status": ["ok", "ok"],
                       "val_error": [0.2, 0.3], "params": [1e5, 2e5], "macs": [1e6, 2e6]})
    summary = summarize(df, "val_error")
    history = df.assign(epoch=1, run_id=["r1", "r2"])

    edf = figures.error_edf(df, "x.png").axes[0]
    for line in edf.get_lines():  # from 0 to 1, a single run as one step
        y = line.get_ydata()
        assert min(y) == 0 and max(y) == 1
    assert len(edf.get_lines()) == 2

    cost = figures.error_vs_cost(summary, "x.png", "macs", chance=0.9).axes[0]
    front = [line for line in cost.get_lines() if line.get_marker() == "s"]
    assert len(front) == 1 and len(front[0].get_xdata()) == 1  # a one-point front is drawn
    assert "n = 1 per variant" in cost.get_title()
    assert any("chance 0.90 (above the axis)" in t.get_text()  # far above: said, not drawn
               for t in cost.get_legend().get_texts())

    curves = figures.learning_curves(history, "x.png", chance=0.9).axes[0]
    assert {t.get_text() for t in curves.texts} >= {"0.200", "0.300"}  # one epoch: the values

    values = figures.variant_values(summary, df, "x.png", chance=0.35).axes[0]
    dashed = [line for line in values.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and dashed[0].get_ydata()[0] == 0.35  # near the data: drawn
    assert "n = 1 per variant" in values.get_title()
    assert figures.claim_estimation(summary, df, "x.png") is None  # no claim pair, no plot


def test_the_estimation_plot_shows_each_seed_the_interval_and_what_decides(figures):
    rng = np.random.default_rng(3)
    base = rng.normal(0.30, 0.01, 5)
    df = frame({"good": list(base - 0.02 + rng.normal(0, 0.004, 5)), "base": list(base)})
    summary = summarize(df, pairs=(("good", "base"),))
    row = summary.claim.iloc[0]
    ax = figures.claim_estimation(summary, df, "x.png").axes[0]
    seeds = [line for line in ax.get_lines() if line.get_marker() == "o"]
    expected = (df[df.variant == "good"].val_error.to_numpy()
                - df[df.variant == "base"].val_error.to_numpy()) * 100
    np.testing.assert_allclose(sorted(seeds[0].get_xdata()), sorted(expected))  # in points
    mean = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert mean[0].get_xdata()[0] == pytest.approx(row["mean_diff"] * 100)
    mde = [line for line in ax.get_lines() if line.get_linestyle() == ":"]
    assert sorted(line.get_xdata()[0] for line in mde) == pytest.approx(
        [-row["mde"] * 100, row["mde"] * 100])
    band = ax.collections[-1].get_paths()[0].vertices[:, 0]  # the undecided band
    boundary = stats.t.ppf(1 - row["level"] / 2, row["n"] - 1) * row["sd"] / math.sqrt(row["n"])
    assert max(band) == pytest.approx(boundary * 100) and min(band) == pytest.approx(
        -boundary * 100)
    assert abs(row["mean_diff"]) > boundary  # reproduced: the mean lies outside the band
    assert "reproduced (n=5)" in ax.get_yticklabels()[0].get_text()


CHANCE = 0.9  # 10 classes


def with_train_error(df: pd.DataFrame, train: dict[str, float]) -> pd.DataFrame:
    return df.assign(train_error=df["variant"].map(train))


@pytest.mark.parametrize("bad", [
    [0.82, 0.81, 0.83],  # FractalNet with drop-path at the quick budget
    [0.90, 0.89, 0.91],  # chance
])
def test_a_pair_with_a_variant_that_did_not_learn_is_not_comparable(bad):
    df = frame({"good": [0.12, 0.13, 0.125], "bad": bad})
    for pair in (("good", "bad"), ("bad", "good")):  # reproduced and contradicted alike
        s = summarize(df, pairs=(pair,), chance=CHANCE)
        row = s.claim.iloc[0]
        assert row["verdict"] == "not comparable", row
        assert row["not_learned"].startswith(f"bad: mean val_error {np.mean(bad):.3f} is ")
        assert "of chance (0.900); at or above 80% it has not learned" in row["not_learned"]
        assert s.verdict == "not comparable at this budget"
        assert "not comparable at this budget (bad: " in reading(row, "val_error")
        assert row["p"] < 0.05  # the test's figures stay beside the verdict


def test_a_verdict_over_pairs_says_which_were_not_comparable():
    df = frame({"a": [0.10, 0.11, 0.105], "b": [0.20, 0.21, 0.205], "c": [0.85, 0.86, 0.84]})
    s = summarize(df, pairs=(("a", "b"), ("b", "c")), chance=CHANCE)
    assert list(s.claim["verdict"]) == ["reproduced", "not comparable"]
    assert s.verdict == "reproduced where comparable; 1 pair(s) not comparable at this budget"
    s = summarize(df, pairs=(("b", "a"), ("b", "c")), chance=CHANCE)
    assert s.verdict.startswith("contradicted where comparable; 1 pair(s)")


@pytest.mark.parametrize(("good", "worse", "train"), [
    ([0.12, 0.13, 0.125], [0.20, 0.21, 0.22], None),  # both learned
    ([0.60, 0.61, 0.62], [0.67, 0.68, 0.69], None),  # poorly (ShuffleNet g=3: 75% of chance)
    ([0.12, 0.13, 0.125], [0.20, 0.21, 0.22], {"good": 0.01, "worse": 0.02}),  # overfitting
    ([0.12, 0.13, 0.125], [0.20, 0.21, 0.22], {"good": 0.25, "worse": 0.30}),  # 2 epochs
    ([0.12, 0.13, 0.125], [0.60, 0.61, 0.62], {"good": 0.01, "worse": 0.0}),  # overfit far
    ([0.12, 0.13, 0.125], [0.85, 0.86, 0.87], None),  # no chance level: no check
])
def test_variants_that_learned_keep_their_verdict(good, worse, train):
    df = frame({"good": good, "worse": worse})
    if train:
        df = with_train_error(df, train)
    chance = None if worse[0] > 0.8 else CHANCE
    s = summarize(df, pairs=(("good", "worse"),), chance=chance)
    assert s.claim.iloc[0]["verdict"] == "reproduced" and s.verdict == "reproduced"


def test_a_claim_about_training_error_is_not_checked():
    """plain_vs_residual's claim is about training error: a deep plain net that trains badly,
    even near chance, is what the claim measures, not a failure of the budget."""
    df = frame({"res": [0.18, 0.19, 0.185], "plain": [0.80, 0.81, 0.79]})
    df = df.rename(columns={"val_error": "train_error"})
    s = summarize(df, "train_error", pairs=(("res", "plain"),), chance=CHANCE)
    assert s.claim.iloc[0]["verdict"] == "reproduced"


def test_the_estimation_plot_shows_the_seeds_the_verdict_used(figures):
    """A sequential design decides at its first deciding round: the dots, mean and band are
    that round's, not every seed trained since (for another pair)."""
    from verdicts.sequential import Design

    rng = np.random.default_rng(5)
    base = rng.normal(0.30, 0.01, 6)
    df = frame({"good": list(base - 0.05 + rng.normal(0, 0.002, 6)), "base": list(base),
                "other": list(base + rng.normal(0, 0.01, 6))})
    summary = summarize(df, pairs=(("good", "base"), ("other", "base")),
                        design=Design((3, 6), 0.05))
    row = summary.claim.iloc[0]
    assert row["decided_at"] == 3 and row["n"] == 3
    ax = figures.claim_estimation(summary, df, "x.png").axes[0]
    dots = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert len(dots[0].get_xdata()) == 3 and len(dots[1].get_xdata()) == 6
    mean = [line for line in ax.get_lines() if line.get_marker() == "D"][0]
    assert mean.get_xdata()[0] == pytest.approx(np.mean(dots[0].get_xdata()))


def test_trials_that_did_not_finish_are_listed_or_counted():
    """A few are listed one by one; the dozens a long search prunes are counted by status."""
    from verdicts.markdown import UNFINISHED_LISTED, summary_markdown

    ok = frame({"a": [0.1, 0.2], "b": [0.3, 0.4]})
    few = pd.concat([ok, frame({"c": [1.0]}, status="pruned").assign(reason="MACs > max")])
    text = summary_markdown(summarize(few), trials=few)
    assert "Trials that did not finish normally (1):\n\n- c seed 0: pruned: MACs > max" in text
    many = pd.concat([ok, frame({"c": [1.0] * (UNFINISHED_LISTED + 5)}, status="pruned")
                      .assign(reason="MACs > max"),
                      frame({"d": [1.0] * 3}, status="early_stopped").assign(reason="")])
    text = summary_markdown(summarize(many), trials=many)
    total = UNFINISHED_LISTED + 8
    assert f"Trials that did not finish normally ({total}):" in text
    assert f"- {UNFINISHED_LISTED + 5} pruned (e.g. c seed 0: pruned: MACs > max)" in text
    assert "- 3 early_stopped (e.g. d seed 0: early_stopped)" in text
    assert text.count("\n- ") == 2


def test_figures_stay_readable_with_many_long_variant_names(figures):
    """backbone_zoo's figures: the shared axis name is dropped from labels, two variants at
    one place share one label, a log axis has no overlapping minor labels, and a legend of 11
    variants sits beside the curves in 11 distinct colours."""
    import matplotlib
    from matplotlib.ticker import NullFormatter

    names = ["resnet20", "plain20", "resnet110_stochastic_depth", "wrn_16_8", "resnet18",
             "resnext29_8x64d", "mobilenet_v2_cifar", "densenet_bc_100_k12",
             "preact_resnet110", "shufflenet_v1_g3", "shufflenet_v2_x1_0"]
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"variant": [f"preset={n}" for n in names], "seed": 0, "status": "ok",
                       "val_error": rng.uniform(0.14, 0.32, len(names)),
                       "params": rng.integers(10**5, 10**6, len(names)),
                       "macs": rng.uniform(2e6, 7e7, len(names))})
    df.loc[1, ["val_error", "macs"]] = df.loc[0, ["val_error", "macs"]].to_numpy()  # same place
    summary = summarize(df, "val_error")
    ax = figures.error_vs_cost(summary, "x.png", "macs", 0.9).axes[0]
    labels = [t.get_text() for t in ax.texts if not t.get_text().startswith("chance")]
    assert "resnet20 / plain20" in labels or "plain20 / resnet20" in labels
    assert len(labels) == len(names) - 1 and not any("preset=" in t for t in labels)
    assert isinstance(ax.xaxis.get_minor_formatter(), NullFormatter)
    assert ax.get_legend().get_bbox_to_anchor().x0 > ax.get_window_extent().x1 - 1  # beside
    history = pd.concat([df.assign(epoch=e, run_id=df["variant"]) for e in (1, 2)])
    curves = figures.learning_curves(history, "x.png", chance=0.9).axes[0]
    lines = [line for line in curves.get_lines() if line.get_label() in names]
    assert len(lines) == len(names)
    assert len({matplotlib.colors.to_hex(line.get_color()) for line in lines}) == len(names)
    assert curves.get_legend().get_title().get_text() == "preset"
    ticks = [t.get_text() for t in figures.variant_values(summary, df, "x.png").axes[0]
             .get_xticklabels()]
    assert sorted(ticks) == sorted(names)
