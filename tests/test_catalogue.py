"""The study catalogue: every study resolves at both budgets, every grid point is a valid net at
Fashion-MNIST's 1x28x28 after the trainer's adaptation, the labels a study names exist, and, by
the pilot each quick budget records, the quick budget keeps its promise of under 10 minutes on a
2-core CPU. Nothing is trained: complexity is counted on the meta device."""

from __future__ import annotations

import functools
import math
import warnings

import optuna
import pytest

from search_space import PRESETS, Net, complexity
from studies import STUDIES
from studies.plan import expected_wall_s
from studies.study import variant_label
from trainers import Recipe
from trainers.contract import adapt

INPUT = (1, 28, 28)  # Fashion-MNIST, the default dataset
NUM_CLASSES = 10
CATALOGUE = sorted(STUDIES)

# ---- the quick budget's promise ------------------------------------------------------------

QUICK_MINUTES = 10.0  # the promise of Study.quick (study.py)


@functools.cache
def _macs(net_json: str) -> int:
    return complexity(Net.from_json(net_json), INPUT).macs


def adapted(net: Net, recipe: Recipe | None = None) -> Net:
    """What trainers.train does to a point before it trains it on Fashion-MNIST (with the
    recipe's small_input where it sets one; 28 px images get the small-image stem otherwise)."""
    return adapt(net, INPUT, NUM_CLASSES, recipe or Recipe())


def macs(net: Net, recipe: Recipe | None = None) -> int:
    """MACs per image at 1x28x28 (validates and builds the net on the meta device)."""
    return _macs(adapted(net, recipe).to_json())


# ---- every study ---------------------------------------------------------------------------

# every (study, budget) pair: quick, the budgets a study names between, full
BUDGETS = [(n, b) for n in CATALOGUE for b in STUDIES[n].budget_names]
ABLATION_BUDGETS = [(n, b) for n, b in BUDGETS if STUDIES[n].kind == "ablation"]


def test_catalogue_is_complete():
    assert len(STUDIES) == 16, sorted(STUDIES)
    for name, study in STUDIES.items():
        assert study.name == name
        assert study.claim and study.source


@pytest.mark.parametrize("name, budget", BUDGETS)
def test_study_validates(name, budget):
    STUDIES[name].validate(budget)  # every grid point, or sampled points of a search


# design_spaces' full grid: 200 sampled nets, 40 s on the meta device (its quick grid, a
# subset, runs in test-fast)
SLOW_GRIDS = {("design_spaces", "full")}


@pytest.mark.parametrize("name, budget", [
    pytest.param(n, b, marks=pytest.mark.slow) if (n, b) in SLOW_GRIDS else (n, b)
    for n, b in ABLATION_BUDGETS])
def test_every_grid_point_is_valid_at_28px(name, budget):
    study = STUDIES[name]
    for params in study.grid_points(budget):
        net = study.point(params, budget)
        assert isinstance(net, Net), variant_label(params)
        recipe = study.recipe_for(budget)
        adapted(net, recipe).validate(INPUT)
        assert macs(net, recipe) > 0  # builds on the meta device and runs a forward pass


@pytest.mark.parametrize("name", [n for n in CATALOGUE if STUDIES[n].kind == "ablation"])
def test_labels_exist_at_both_budgets(name):
    study = STUDIES[name]
    for budget in study.budget_names:
        labels = set(study.variants(budget))
        assert not study.baseline or study.baseline in labels, (budget, study.baseline)
        for label in study.expected_order:
            assert label in labels, (budget, label)
    assert len(set(study.expected_order)) == len(study.expected_order)


@pytest.mark.parametrize("name", [n for n in CATALOGUE if STUDIES[n].kind == "ablation"])
def test_grid_sampler_runs_the_grid(name):
    """Driven through the grid by Optuna's GridSampler, the space suggests no parameter outside
    the grid, and each trial rebuilds its variant's point (as `Study.point` does)."""
    study = STUDIES[name]
    grid = {k: list(v) for k, v in study.grid_for("quick")}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = optuna.create_study(sampler=optuna.samplers.GridSampler(grid, seed=0))
    seen = set()

    def objective(trial):  # GridSampler stops the study itself, so it needs optimize()
        net = study.space(trial, study.base_net)
        assert set(trial.params) == set(grid)
        assert net == study.point(trial.params)
        seen.add(variant_label({k: trial.params[k] for k in grid}))
        return 0.0

    search.optimize(objective, n_trials=math.prod(len(v) for v in grid.values()))
    assert seen - set(study.leave_out) == set(study.variants("quick"))


@pytest.mark.parametrize("name", [n for n in CATALOGUE if STUDIES[n].kind == "ablation"])
def test_variants_are_distinct_points(name):
    study = STUDIES[name]
    keys = [study.point(p).key() for p in study.grid_points("full")]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("name", CATALOGUE)
def test_quick_budget_fits_ten_minutes(name):
    """Each quick budget records the pilot it was chosen from, and by that pilot's measured
    trial time the whole study, every seed round included, ends within the promise."""
    study = STUDIES[name]
    pilot = study.budget("quick").pilot
    assert pilot is not None, f"{name}: the quick budget records no Pilot"
    assert pilot.machine, name
    wall = expected_wall_s(study, "quick")
    assert wall[-1] <= QUICK_MINUTES * 60, (name, wall)


def test_quick_budgets_stay_small():
    for study in STUDIES.values():
        b, recipe = study.budget("quick"), study.recipe_for("quick")
        assert b.gpus_per_trial == 0 and b.trial_cpus(cores=2) == 1, study.name
        assert recipe.max_train_images and recipe.max_train_images >= recipe.batch_size
        assert recipe.max_val_images and recipe.max_test_images, study.name
        full = study.recipe_for("full")
        assert full.max_train_images is None and full.max_val_images is None, study.name
        assert study.budget("full").gpus_per_trial > 0, study.name


# ---- study-specific points -----------------------------------------------------------------


def _point(name: str, **params) -> Net:
    return STUDIES[name].point(params)


def test_plain_vs_residual_points_are_the_presets():
    assert _point("plain_vs_residual", layers=20, shortcut="none") == PRESETS["plain20"]
    assert _point("plain_vs_residual", layers=56, shortcut="none") == PRESETS["plain56"]
    assert _point("plain_vs_residual", layers=56, shortcut="A") == PRESETS["resnet56"]
    assert STUDIES["plain_vs_residual"].objectives == ("train_error",)


def test_preact_vs_postact_points_are_the_presets():
    assert _point("preact_vs_postact", layers=110, preact=False) == PRESETS["resnet110"]
    assert _point("preact_vs_postact", layers=110, preact=True) == PRESETS["preact_resnet110"]


def test_stochastic_depth_is_the_preset_at_110_layers():
    net = _point("stochastic_depth", layers=110, drop_path=0.5)
    assert net == PRESETS["resnet110_stochastic_depth"]
    blocks = net.blocks()
    assert blocks[-1].drop_path == pytest.approx(0.5)  # p_L = 0.5, linear decay
    assert blocks[0].drop_path == pytest.approx(0.5 / len(blocks))


def test_cardinality_templates_match_complexity():
    study = STUDIES["cardinality"]
    counts = {p["template"]: macs(study.point(p)) for p in study.grid_points("full")}
    for template in counts:
        c, d = (int(x) for x in template.rstrip("d").split("x"))
        net = study.point({"template": template})
        assert net.blocks()[0].groups == c
        assert net.blocks()[0].inner_width == c * d // 2  # half width: d halves, C stays
    # Table 2's templates are matched to a few percent; the scaled ones stay matched
    assert max(counts.values()) / min(counts.values()) < 1.1, counts


def test_shufflenet_groups_divide_and_g3_is_the_preset_but_for_the_stem():
    net = _point("shufflenet_groups", groups=3, shuffle=True)
    assert net == PRESETS["shufflenet_v1_x0_5_g3"].replace(stem="cifar", round_to=3)
    for g in (1, 3, 8):
        for block in _point("shufflenet_groups", groups=g, shuffle=False).blocks():
            assert block.groups == g and not block.extras.shuffle


def test_inception_naive_widths_grow_and_cost_more():
    naive = _point("inception_reduction", reduce=False)
    reduced = _point("inception_reduction", reduce=True)
    for net in (naive, reduced):
        for block in net.blocks():
            e = block.extras
            pool = e.pool_proj if e.reduce else block.in_width
            assert block.width == e.b1 + e.b3 + e.b5 + pool
    assert [b.width for b in naive.blocks()] == [104, 208, 320]
    assert macs(naive) > 3 * macs(reduced)


def test_factorization_changes_the_cost():
    study = STUDIES["factorization"]
    cost = {p["factorize"]: macs(study.point(p)) for p in study.grid_points("quick")}
    assert cost["separable"] < cost["asymmetric"] < cost["none"] < cost["stacked_3x3"]


def test_fractal_drop_path_switches_drop_path_and_dropout():
    on, off = _point("fractal_drop_path", drop_path="on"), _point("fractal_drop_path",
                                                                   drop_path="off")
    assert {(s.extras.local_drop, s.extras.global_drop) for s in on.stages} == {(0.15, 0.5)}
    assert max(s.extras.dropout for s in on.stages) == pytest.approx(0.4)
    assert {(s.extras.local_drop, s.extras.global_drop, s.extras.dropout)
            for s in off.stages} == {(0.0, 0.0, 0.0)}


def test_backbone_zoo_covers_the_families_that_fit():
    from search_space import PRESET_INFO

    study = STUDIES["backbone_zoo"]
    presets = [p["preset"] for p in study.grid_points("full")]
    families = {PRESET_INFO[p].architecture for p in presets}
    assert len(families) == len(presets)  # one representative per family
    assert len(families) >= 10


# ---- the search ----------------------------------------------------------------------------


@pytest.mark.parametrize("sampler", ["random", "tpe"])
def test_nas_space_only_produces_valid_points(sampler):
    study = STUDIES["nas"]
    assert study.kind == "search" and study.objectives == ("val_error", "macs")
    assert study.max_macs is not None
    make = {"random": optuna.samplers.RandomSampler,
            "tpe": optuna.samplers.TPESampler}[sampler]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = optuna.create_study(directions=["minimize", "minimize"], sampler=make(seed=0))
    families, within = set(), 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TPE's experimental-feature warnings
        for _ in range(25):
            trial = search.ask()
            net = study.space(trial, study.base_net)
            mac = macs(net)  # validates at 28 px and builds on the meta device
            families.add(trial.params["family"])
            within += study.violation(adapted(net), INPUT) is None
            search.tell(trial, [0.5, math.log(mac)])
    assert len(families) >= 4, families
    assert within >= 5  # the MACs constraint prunes some points, not nearly all


def test_nas_every_family_at_its_extremes_is_valid():
    study = STUDIES["nas"]
    extremes = [
        {"family": f, "depth0": d, "depth1": d, "depth2": d, "width": w, "growth": k,
         "groups": g, "bottleneck_expansion": e, "inverted_expansion": 6, "shuffle_groups": sg}
        for f in ("basic", "preact", "bottleneck", "inverted", "shuffle", "shuffle_v2", "dense")
        for d in (1, 4) for w in (8, 24, 32) for k, g, e, sg in ((8, 8, 0.25, 8), (16, 1, 0.5, 1))
    ]
    for params in extremes:
        net = study.space(optuna.trial.FixedTrial(params), study.base_net)
        adapted(net).validate(INPUT)
        net.blocks()  # every group count divides its channels
