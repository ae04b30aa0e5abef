"""The claim check's error rates, measured on simulated studies with known answers: the
false-positive rate stays at alpha (fixed and group-sequential designs), the power at the
reported minimum detectable effect is the stated 80%, and a sequential study stops early on a
large effect and runs to its maximum on no effect."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from verdicts.calibration import aa_rate, simulate
from verdicts.claim_check import check, compare, reading
from verdicts.power import detectable, detectable_unpaired
from verdicts.sequential import Design, levels

ALPHA = 0.05
STUDIES = 1000


def not_above(rate, alpha=ALPHA) -> bool:
    """The false-positive count is not significantly above alpha (one-sided, at 1%)."""
    return stats.binomtest(rate.decided, rate.studies, alpha, alternative="greater").pvalue > 0.01


def test_levels_at_large_n_are_the_published_pocock_type_boundaries():
    # Lan-DeMets Pocock-type spending, 5 equally spaced looks, two-sided alpha 0.05, z scale:
    # 2.438, 2.427, 2.410, 2.397, 2.386 by recursive numerical integration (Armitage, McPherson
    # & Rowe 1969, the algorithm of R's gsDesign). With 40+ seeds per look the t statistic is
    # nearly normal, so the Monte Carlo t levels must match them.
    published = [2.438, 2.427, 2.410, 2.397, 2.386]
    z = [stats.norm.isf(p / 2) for p in levels((40, 80, 120, 160, 200))]
    assert z == pytest.approx(published, abs=0.02)


def test_small_sample_levels_are_stricter_than_the_z_shortcut_and_spend_alpha():
    looks = (4, 8, 12)
    found = levels(looks)
    assert all(0 < p < ALPHA for p in found)
    # every path of 12 i.i.d. normal differences, checked look by look, crosses with chance alpha
    x = np.random.default_rng(1).standard_normal((100_000, looks[-1]))
    crossed = np.zeros(len(x), dtype=bool)
    for n, level in zip(looks, found, strict=True):
        crossed |= stats.ttest_1samp(x[:, :n], 0, axis=1).pvalue < level
    assert crossed.mean() == pytest.approx(ALPHA, abs=0.003)


@pytest.mark.parametrize("shared", [0.0, 0.6])
def test_fixed_design_false_positive_rate_is_alpha(shared):
    rate = simulate(Design((5,)), effect=0.0, shared=shared, studies=STUDIES)
    assert not_above(rate) and rate.rate > 0.02  # at alpha, not a test that never decides


@pytest.mark.parametrize("shared", [0.0, 0.6])
def test_power_at_the_reported_detectable_effect_is_80_percent(shared):
    n, sd = 5, 1.0
    diff_sd = sd * math.sqrt(2 * (1 - shared))  # the spread of one seed's paired difference
    mde = detectable(diff_sd, n, ALPHA)
    rate = simulate(Design((n,)), effect=mde, sd=sd, shared=shared, studies=STUDIES, seed=3)
    assert rate.rate == pytest.approx(0.8, abs=0.045)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 12, 30])
@pytest.mark.parametrize("alpha", [0.05, 0.0188, 0.01, 0.005])
def test_detectable_effect_has_80_percent_power_by_the_noncentral_t(n, alpha):
    """Power at the reported effect, by scipy.stats' noncentral t, for the paired and the
    two-sample test, including few seeds at a round's small level (where statsmodels' solver
    returns a wrong effect: 4.375 sd at n=3, alpha=0.0188, power 0.66). The rejections on the
    wrong side are left out (below 1e-6 here; scipy's nct.cdf is NaN that far out)."""
    def two_sided_power(df, noncentrality):
        return stats.nct.sf(stats.t.isf(alpha / 2, df), df, noncentrality)

    d = detectable(1.0, n, alpha)
    assert two_sided_power(n - 1, d * math.sqrt(n)) == pytest.approx(0.8, abs=2e-5)
    d2 = detectable_unpaired(1.0, n, n + 1, alpha)
    scale = math.sqrt(n * (n + 1) / (2 * n + 1))
    assert two_sided_power(2 * n - 1, d2 * scale) == pytest.approx(0.8, abs=2e-5)
    assert detectable(2.0, n, alpha) == pytest.approx(2 * d)  # in the spread's units


def test_detectable_effect_at_few_seeds_is_what_simulation_finds():
    n, alpha = 3, 0.0188
    d = detectable(1.0, n, alpha)
    x = np.random.default_rng(7).standard_normal((200_000, n)) + d
    found = (stats.ttest_1samp(x, 0, axis=1).pvalue < alpha).mean()
    assert found == pytest.approx(0.8, abs=0.005)
    assert math.isnan(detectable(1.0, 1)) and math.isnan(detectable_unpaired(1.0, 1, 5))


def test_sequential_design_on_no_effect_holds_alpha_and_runs_to_its_maximum():
    design = Design((4, 8, 12))
    rate = simulate(design, effect=0.0, shared=0.3, studies=STUDIES, seed=5)
    assert not_above(rate) and rate.rate > 0.02
    assert rate.mean_seeds > 11.5  # almost every null study needs every round


def test_sequential_design_stops_early_on_a_large_effect():
    design = Design((4, 8, 12))
    rate = simulate(design, effect=3.0, shared=0.3, studies=300, seed=6)
    assert rate.rate > 0.95 and rate.mean_seeds < 6


def test_compare_pairs_matched_seeds_reports_the_correlation_and_what_it_could_detect():
    seeds = pd.RangeIndex(6)
    common = np.array([0.0, 0.02, -0.01, 0.03, -0.02, 0.01])
    better = pd.Series(0.20 + common + [0.001, -0.002, 0.0, 0.002, -0.001, 0.0], index=seeds)
    worse = pd.Series(0.21 + common, index=seeds)
    out = compare(better, worse)
    assert out["test"] == "paired t" and out["correlation"] > 0.9
    assert out["p"] == pytest.approx(stats.ttest_rel(better, worse).pvalue)
    assert out["verdict"] == "reproduced" and out["ci_high"] < 0 and out["n"] == 6
    # the unpaired view of the same numbers is far weaker: pairing is what decides here
    assert out["welch_p"] > 0.1
    # seeds that do not match: Welch's test
    shifted = pd.Series(worse.to_numpy(), index=pd.RangeIndex(10, 16))
    assert compare(better, shifted)["test"].startswith("Welch")
    # an undecided pair says what the run could have seen
    noise = pd.Series(0.21 + common[::-1], index=seeds)
    row = compare(pd.Series(0.21 + common, index=seeds) + 0.001, noise)
    text = reading(row, "val_error")
    assert text.startswith("inconclusive: this run could detect a difference of ")
    assert "points or more (80% power, n=6)" in text


def test_a_sequential_check_decides_at_the_first_look_that_crosses():
    design = Design((3, 6, 9))
    seeds = pd.RangeIndex(9)
    worse = pd.Series(np.linspace(0.30, 0.31, 9), index=seeds)
    better = worse - 0.05 + np.array([0.001, -0.001, 0.0005] * 3)
    out = check(better, worse, design)
    assert out["decided_at"] == 3 and out["level"] == pytest.approx(levels((3, 6, 9))[0])
    # only the seeds a look has count for it: seeds 3.. are noise that would undo the claim
    later = better.copy()
    later[3:] = worse[3:] + 0.05
    assert check(later, worse, design)["decided_at"] == 3


def test_aa_rate_on_one_point_is_a_false_positive_rate():
    values = pd.Series(np.random.default_rng(2).normal(0.12, 0.004, 20))
    rate = aa_rate(values, Design((5,)), splits=400)
    assert rate.studies == 400 and 0 <= rate.low <= rate.rate <= rate.high
    assert rate.rate < 0.15
    with pytest.raises(ValueError, match="at least 24 runs"):
        aa_rate(values, Design((12,)))


def test_aa_calibration_reports_each_design_and_refuses_two_points():
    from verdicts.calibration import aa_calibration, aa_markdown

    rng = np.random.default_rng(4)
    trials = pd.DataFrame({"variant": "replica=a", "seed": range(20), "status": "ok",
                           "val_error": rng.normal(0.15, 0.003, 20)})
    result = aa_calibration(trials, splits=200)
    assert result["runs"] == 20 and [r["looks"] for r in result["designs"]] == [[5], [3, 6, 9]]
    text = aa_markdown("aa_calibration", result, "make study name=aa_calibration")
    assert "| fixed design, 5 seeds, alpha 0.05 |" in text and "narrower than" in text
    two = pd.concat([trials, trials.assign(variant="other")])
    with pytest.raises(ValueError, match="trains one point"):
        aa_calibration(two)


def test_reruns_with_more_seeds_in_one_condition_count_every_look():
    from verdicts.stats import design_of

    trials = pd.DataFrame({"seed": [0, 1, 2, 3, 4], "seed_looks": ["3", "3", "3", "5", "5"]})
    assert design_of(trials).looks == (3, 5)  # looked at after 3 seeds, then after 5
    assert design_of(trials.assign(seed_looks="4,8,12")).looks == (4, 8, 12)
    assert design_of(trials.drop(columns="seed_looks")) == Design((5,))
    assert design_of(trials.assign(seed_looks=["1", "1", "3", "3", "3"])).looks == (3,)


def test_a_pair_decided_early_also_reports_what_all_its_seeds_say():
    design = Design((3, 6, 9))
    seeds = pd.RangeIndex(9)
    worse = pd.Series(np.linspace(0.30, 0.31, 9), index=seeds)
    better = worse - 0.05 + np.array([0.001, -0.001, 0.0005] * 3)
    better[3:] = worse[3:] + np.array([0.002, -0.003, 0.001] * 2)  # later seeds: no difference
    out = check(better, worse, design)
    assert out["decided_at"] == 3 and out["final_n"] == 9
    assert abs(out["final_mean_diff"]) < 0.02 and out["final_p"] > 0.05
    text = reading(out, "val_error")
    assert text.startswith("reproduced: -4.98 points (p=")
    assert "with all 9 seeds -1.66 points" in text
    undecided_at_the_end = check(worse + 0.0, worse + np.linspace(0, 0.001, 9), design)
    assert "final_n" not in undecided_at_the_end
