"""Studies end to end: Ray Tune + Optuna + MLflow on tiny Fashion-MNIST subsets, resume without
duplicates, --fresh, and one-line errors with exit status 2 before any trial starts."""

from __future__ import annotations

import ast
import dataclasses
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from search_space import Net
from studies import STUDIES
from studies.__main__ import main
from studies.plan import hms
from trainers.contract import adapt

TINY = ["--set", "max_train_images=256", "--set", "max_val_images=128",
        "--set", "max_test_images=128", "--set", "batch_size=64"]
ONE_SEED = ["--set", "seeds=1", "--set", "max_seeds=0"]  # a fixed design, one trial per variant


def runs_of(workdir, study: str):
    client = MlflowClient(f"sqlite:///{workdir / 'mlruns.db'}")
    exp = client.get_experiment_by_name(study)
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    parents = [r for r in runs if r.data.tags.get("atlas.role") == "parent"]
    trials = [r for r in runs if r.data.tags.get("atlas.role") == "trial"]
    return client, parents, trials


@pytest.mark.slow
def test_study_runs_tracks_resumes_and_starts_fresh(workdir, capsys):
    study = STUDIES["width_vs_depth"]
    called = time.time()
    assert main(["run", "width_vs_depth", *TINY, *ONE_SEED]) == 0
    took = time.time() - called
    out, err = capsys.readouterr()
    assert "3/3 done (0 failed" in out
    noise = ("Configuration for experiment", "View detailed results", "TensorBoard",
             "Token authentication", "Creating initial MLflow")  # Tune's, Ray's and MLflow's
    assert [n for n in noise if n in out + err] == []
    assert "mean val_error" in out and "per-trial start-up" in out
    # where the seconds went, in one line at the end, every phase of a full run named
    time_line = out.strip().splitlines()[-1]
    assert time_line.startswith("time: ") and "harness" in time_line, time_line
    for phase in ("imports", "preflight", "MLflow store", "Ray start", "(3 trained",
                  "around the trials", "Ray shutdown", "analysis"):
        assert phase in time_line, phase
    # called inside a running process: its time starts at the call, not at the process's start
    assert float(time_line.split()[1]) <= took + 0.5, (time_line, took)
    import ray

    assert ray.is_initialized()  # the session's Ray (shared_ray): used, and left running
    assert out.count("mean val_error |") == 1  # one summary table at the end
    rows = [line.split("|")[1].strip() for line in out.splitlines() if line.startswith("| wrn=")]
    assert rows == study.variants("quick")  # in grid order

    client, parents, trials = runs_of(workdir, "width_vs_depth")
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert len(trials) == 3
    variants = sorted(r.data.tags["atlas.variant"] for r in trials)
    assert variants == sorted(study.variants("quick"))
    for run in trials:
        assert run.info.status == "FINISHED"
        tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
        assert tags["mlflow.parentRunId"] == parents[0].info.run_id
        assert tags["atlas.status"] == "ok" and tags["atlas.seed"] == "0"
        assert len(tags["atlas.git_commit"]) in (7, 40) or tags["atlas.git_commit"] == "unknown"
        # the point: flattened params, the spec key, and the JSON artifact all agree
        axes = {k.removeprefix("atlas.axis."): v for k, v in tags.items()
                if k.startswith("atlas.axis.")}
        expected = study.point(axes)
        local = client.download_artifacts(run.info.run_id, "point.json", str(workdir))
        point = Net.from_json(Path(local).read_text())  # what was trained: adapted to the data
        assert point == adapt(expected, (1, 28, 28), 10, study.recipe_for("quick"))
        assert point.in_channels == 1 and tags["atlas.spec_key"] == expected.key()
        local = client.download_artifacts(run.info.run_id, "preset.json", str(workdir))
        preset = json.loads(Path(local).read_text())
        assert preset["preset"] == study.base
        assert Net.from_json(json.dumps(preset["net"])) == study.base_net
        assert run.info.run_name.startswith(f"{tags['atlas.variant']} seed=0 [")
        assert "max_train_images=256" in run.info.run_name  # the overrides tell runs apart
        flat = {k.removeprefix("net."): v for k, v in params.items() if k.startswith("net.")}
        assert Net.from_flat(flat) == expected
        epochs = study.recipe_for("quick").epochs
        assert params["recipe.max_train_images"] == "256" and params["recipe.epochs"] == str(
            epochs)
        for key in ("val_error", "test_error", "train_error", "params", "macs", "wall_s"):
            assert key in metrics, key
        assert 0 <= metrics["val_error"] <= 1 and metrics["params"] > 0
        history = client.get_metric_history(run.info.run_id, "train_loss")
        assert [m.step for m in history] == list(range(1, epochs + 1))  # a step per epoch

    # the same command again: nothing retrained, no duplicate child runs, no empty parent
    assert main(["run", "width_vs_depth", *TINY, *ONE_SEED]) == 0
    out = capsys.readouterr().out
    assert "0 of 3 trials to run" in out and "nothing to run" in out
    _, parents, trials = runs_of(workdir, "width_vs_depth")
    assert len(parents) == 1 and len(trials) == 3

    # --fresh: a new generation, every trial again
    assert main(["run", "width_vs_depth", "--fresh", *TINY, *ONE_SEED]) == 0
    _, parents, trials = runs_of(workdir, "width_vs_depth")
    generations = sorted(r.data.tags["atlas.generation"] for r in trials)
    assert generations == ["0"] * 3 + ["1"] * 3


STUDY_FILES = {
    "syntax.py": "def broken(:\n",
    "raises.py": "from studies import STUDIES\nSTUDY = STUDIES['no_such_study']\n",
    "nostudy.py": "X = 1\n",
    # resnet20's widths (16/32/64) are multiples of 16 already: round_to=16 builds the same net
    "same_net.py": "from studies.study import Study\n"
                   "def space(trial, base):\n"
                   "    return base.replace(round_to=trial.suggest_categorical('round_to', "
                   "[1, 16]))\n"
                   "STUDY = Study(name='same_net', claim='c', source='s', base='resnet20', "
                   "space=space, grid={'round_to': (1, 16)})\n",
    # resnet20's first stage changes no shape: its shortcut is an identity, A or B
    "same_extras.py": "from studies.study import Study, with_extras\n"
                      "def space(trial, base):\n"
                      "    first = with_extras(base.replace(stages=base.stages[:1]), shortcut="
                      "trial.suggest_categorical('first', ['A', 'B']))\n"
                      "    return base.replace(stages=first.stages + base.stages[1:])\n"
                      "STUDY = Study(name='same_extras', claim='c', source='s', "
                      "base='resnet20', space=space, grid={'first': ('A', 'B')})\n",
}


@pytest.fixture
def study_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("study-files")
    for name, text in STUDY_FILES.items():
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("argv, message", [
    (["run", "no_such_study"], "unknown study 'no_such_study'; available:"),
    (["run", "width_vs_dept"], "unknown study 'width_vs_dept' (did you mean width_vs_depth?)"),
    (["show", "residual_variant"], "(did you mean residual_variants?)"),
    (["run", "{files}/syntax.py"], "syntax.py (line 1): SyntaxError: invalid syntax"),
    (["run", "{files}/raises.py"], "raises.py: KeyError: 'no_such_study'"),
    (["run", "{files}/nostudy.py"], "must define STUDY = Study(...)"),
    (["run", "{files}/missing.py"], "missing.py does not exist"),
    (["run", "{files}/same_net.py", "--set", "max_train_images=512"],
     "study same_net: variants round_to=1 and round_to=16 train the same net with the same "
     "recipe on fashion_mnist"),
    (["run", "{files}/same_extras.py", "--set", "max_train_images=512"],
     "study same_extras: variants first=A and first=B train the same net with the same "
     "recipe on fashion_mnist"),
    (["dashboard", "width_vs_depth"], "width_vs_depth is an ablation: Optuna runs only "
     "searches; its runs are in the MLflow UI (make ui)"),
    (["dashboard", "nas"], "no Optuna store at "),
    (["dashboard", "nas", "--port", "0"], "--port 0 is not a port (1-65535)"),
    (["dashboard", "no_such_search"], "unknown study 'no_such_search'"),
    (["run", "width_vs_depth", "--set", "colour=red"], "--set colour: unknown key"),
    (["run", "width_vs_depth", "--budget", "huge"],
     "budget='huge' is not a budget of study width_vs_depth; its budgets: quick, full"),
    (["run", "width_vs_depth", "--set", "epochs"], "is not KEY=VALUE"),
    (["run", "width_vs_depth", "--set", "epochs="], "is not KEY=VALUE"),
    (["run", "width_vs_depth", "--set", "lr=fast"], "Recipe.lr='fast' is not a number"),
    (["run", "width_vs_depth", "--set", "epochs=0"], "Recipe.epochs=0"),
    (["run", "width_vs_depth", "--set", "seeds=0"], "Budget.seeds=0"),
    (["run", "width_vs_depth", "--set", "seeds=two"], "Budget.seeds='two'"),
    (["run", "width_vs_depth", "--set", "base=resnet9000"], "base='resnet9000' is not a preset"),
    (["run", "width_vs_depth", "--set", "grid.width=1,2"], "has no grid axis 'width'"),
    (["run", "nas", "--set", "grid.depth=10"], "nas has no grid axis 'depth'"),
    (["run", "nas", "--set", "pruner=hyperband"], "Study.pruner='hyperband' must be 'asha' or"),
    (["run", "plain_vs_residual", "--set", "net.drop_path=0.1"],
     "drop_path=0.1 has no effect on this net: none of its blocks (basic)"),
    (["run", "shufflenet_groups", "--set", "net.drop_path=0.1"],
     "drop_path=0.1 has no effect on this net: none of its blocks (shuffle)"),
    (["run", "width_vs_depth", "--set", "net.head_width=-5"],
     "head_width=-5 has no effect on head preact_pool_fc"),
    (["run", "width_vs_depth", "--set", "net.colour=1"], "['colour'] not a field of Net"),
    (["run", "width_vs_depth", "--set", "grid.wrn=11-1"], "variant wrn=11-1: '11-1' not in"),
    (["run", "width_vs_depth", "--set", "net.width_mult=-1"], "width_mult=-1.0 must be in (0, "),
    (["run", "width_vs_depth", "--set", "dataset=mnist3d"], "data='mnist3d' is unknown"),
    (["run", "width_vs_depth", "--set", "batch_size=4096", "--set", "max_train_images=1000"],
     "Recipe.batch_size=4096 exceeds the 1000 training images"),
    (["run", "width_vs_depth", "--set", "dataset=cifar10"],
     "cifar10 is not in {data} and could not be downloaded"),
])
def test_bad_input_is_one_line_and_exit_2(argv, message, workdir, study_files, monkeypatch,
                                          tmp_path_factory, capsys):
    empty = tmp_path_factory.mktemp("no-cifar")  # offline: CIFAR is neither here nor online
    if "dataset=cifar10" in argv:
        monkeypatch.setenv("ATLAS_DATA", str(empty))
    argv = [a.format(files=study_files) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message.format(data=empty) in err, err
    assert err.count("\n") == 1
    assert list(workdir.iterdir()) == []  # nothing half-written: no store, no .atlas
    assert list(empty.iterdir()) == []


@pytest.mark.parametrize("uri, message", [
    ("sqlite:////proc/atlas/mlruns.db", "is not writable"),
    ("http://127.0.0.1:9", "tracking server http://127.0.0.1:9 is not reachable"),
])
def test_unusable_tracking_store_is_exit_2(uri, message, workdir, monkeypatch, capsys):
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    assert main(["run", "width_vs_depth", *TINY]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert list(workdir.iterdir()) == []


def test_list_and_show(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name, study in STUDIES.items():
        assert f"{name} " in out and study.claim in out  # the claim, on the study's line
    assert main(["show", "bottleneck_nonlinearity"]) == 0
    out = capsys.readouterr().out
    assert "Figure 6a" in out and "activation=linear" in out
    assert "quick grid: activation = linear, relu6, relu" in out  # fields, not a dict's repr
    assert "expected order (better first): activation=linear > " in out
    assert "quick budget: recipe epochs=" in out and "full budget: recipe" in out


def test_show_plans_trials_time_and_detectable_effect_from_the_pilot():
    from studies.plan import FIXED_S, budget_lines
    from studies.study import Pilot

    study = STUDIES["width_vs_depth"]
    quick = dataclasses.replace(study.quick, seeds=2, max_seeds=6, seed_step=2, concurrency=2,
                                pilot=Pilot(trial_s=30.0, metric_sd=0.004))
    study = dataclasses.replace(study, quick=quick)
    text = "\n".join(budget_lines(study, "quick"))
    variants = len(study.variants("quick"))
    assert f"{variants} variants x 2 seeds, then rounds of 2 up to 6" in text
    assert f"{2 * variants}-{6 * variants} trials" in text
    low = FIXED_S + math.ceil(2 * variants / 2) * 30.0
    assert f"expected wall time: {hms(low)}" in text
    assert "detectable difference at 6 seeds: " in text and "points (80% power" in text
    assert "no pilot recorded" in "\n".join(budget_lines(study, "full"))


def test_a_measured_paired_spread_sets_the_detectable_effect():
    from studies.plan import budget_lines, detectable_in_sd
    from studies.study import Pilot

    study = STUDIES["width_vs_depth"]
    quick = dataclasses.replace(study.quick, seeds=2, max_seeds=6, seed_step=2,
                                pilot=Pilot(trial_s=30.0, metric_sd=0.004, paired_sd=0.010))
    text = "\n".join(budget_lines(dataclasses.replace(study, quick=quick), "quick"))
    expected = detectable_in_sd((2, 4, 6)) * 1.0  # points: 0.010 is one point
    assert f"detectable difference at 6 seeds: {expected:.2f} points" in text, text
    assert "pilot sd of paired differences 1.00 points" in text
    independent = Pilot(trial_s=30.0, metric_sd=0.004)
    assert independent.difference_sd == pytest.approx(0.004 * math.sqrt(2))
    with pytest.raises(ValueError, match="paired_sd"):
        Pilot(trial_s=30.0, metric_sd=0.004, paired_sd=-1.0)


def test_every_study_point_is_valid():
    for study in STUDIES.values():
        for budget in ("quick", "full"):
            study.validate(budget)


def test_trial_key_is_a_stable_hash_of_its_parts():
    from studies import tracking

    a = tracking.trial_key(study="s", recipe={"lr": 0.1}, seed=0)
    assert a == tracking.trial_key(seed=0, recipe={"lr": 0.1}, study="s")
    assert a != tracking.trial_key(study="s", recipe={"lr": 0.2}, seed=0)


def test_recipe_axes_vary_the_recipe_per_trial():
    from studies.catalogue import from_file
    from studies.driver import ablation_points

    study = from_file(Path(__file__).parent / "studies" / "faulty.py")
    params = {"recipe.lr": 1e30, "width_mult": 1.0, "seed": 1}
    recipe = study.trial_recipe(params, "quick")
    assert (recipe.lr, recipe.seed, recipe.epochs) == (1e30, 1, 1)
    assert study.point(params) == study.base_net  # width_mult 1.0: the preset itself
    points = ablation_points(study, study.budget("quick"))
    assert len(points) == 8 and [p["seed"] for p in points] == [0] * 4 + [1] * 4
    bad = dataclasses.replace(study, grid={"recipe.lr": (-1.0,), "width_mult": (1.0,)})
    with pytest.raises(ValueError, match="variant recipe.lr=-1.0,width_mult=1.0: Recipe.lr"):
        bad.validate("quick")


@pytest.mark.slow
def test_a_search_runs_prunes_and_resumes(workdir, capsys):
    """A search end to end: Optuna (NSGA-II, its state in optuna.db) picks the points, points
    over the MACs budget are pruned with the reason, and the same command again runs nothing."""
    argv = ["run", "nas", "--set", "trials=3", "--set", "epochs=1", *TINY]
    assert main(argv) == 0
    assert "3 of 3 trials to run" in capsys.readouterr().out
    _, parents, trials = runs_of(workdir, "nas")
    assert len(trials) == 3 and all(r.info.status == "FINISHED" for r in trials)
    for run in trials:
        tags = run.data.tags
        assert tags["atlas.status"] in ("ok", "pruned", "early_stopped"), tags["atlas.status"]
        if tags["atlas.status"] == "pruned":
            assert "> max_" in tags["atlas.reason"]
    assert (workdir / "optuna.db").exists()
    assert main(argv) == 0
    assert "0 of 3 trials to run" in capsys.readouterr().out
    _, parents, trials = runs_of(workdir, "nas")
    assert len(parents) == 1 and len(trials) == 3  # the no-op left no parent
    # its report: the best points with their retrain commands, importances said to need more
    # trials, the figures; the parent run carries the Pareto set
    from analysis import write_report

    text = write_report("nas", workdir / "reports").read_text()
    assert "## Best points" in text and "--set point=family=" in text
    assert "Not assessed: fewer than 10 finished trials" in text
    assert "![parallel_coordinates](parallel_coordinates.png)" in text
    _, parents, _ = runs_of(workdir, "nas")
    front = parents[0].data.tags["atlas.pareto_set"].split(",")
    assert front and set(front) <= {r.data.tags["atlas.variant"] for r in trials}


@pytest.mark.slow
def test_a_trial_the_scheduler_stops_is_a_result_not_an_interrupt(workdir, monkeypatch, capsys):
    """ASHA stopping a search trial after an epoch is a result: its run is FINISHED as
    early_stopped, the progress line says so, and the invocation is not taken for a Ctrl-C.
    (Tune marks the last result of a trial its scheduler stops with `done`, so the trial's own
    end must be told apart by a key of ours.) The scheduler here stops every trial at once."""
    from ray.tune.schedulers import FIFOScheduler, TrialScheduler

    from studies import driver

    class StopAfterTheFirstEpoch(FIFOScheduler):
        def on_trial_result(self, tune_controller, trial, result):
            return TrialScheduler.STOP

    monkeypatch.setattr(driver, "ASHAScheduler", lambda **kwargs: StopAfterTheFirstEpoch())
    argv = ["run", "nas", "--set", "trials=2", "--set", "epochs=3",
            "--set", "max_macs=1000000000000", *TINY]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "interrupted" not in out and out.count(" early_stopped |") == 2, out
    assert "best val_error" not in out  # an epoch-1 error is no one's best
    _, parents, trials = runs_of(workdir, "nas")
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert [(r.info.status, r.data.tags["atlas.status"]) for r in trials] == \
        [("FINISHED", "early_stopped")] * 2


@pytest.mark.slow
def test_two_recipes_in_one_generation_are_two_conditions_never_pooled(workdir, capsys):
    from studies.results import load_runs
    from verdicts.stats import summarize

    narrow = ["--set", "grid.wrn=10-1,10-2", *ONE_SEED]
    assert main(["run", "width_vs_depth", *TINY, *narrow]) == 0
    quick_epochs = STUDIES["width_vs_depth"].recipe_for("quick").epochs
    assert quick_epochs != 1  # so `epochs=1` is another recipe, another condition
    assert main(["run", "width_vs_depth", *TINY, *narrow, "--set", "epochs=1"]) == 0
    end_table = capsys.readouterr().out.split("val_error by variant")[-1].split("per-trial")[0]
    rows = [line for line in end_table.splitlines() if line.startswith("| wrn=")]
    assert ", condition " in end_table and len(rows) == 2  # this invocation's condition only
    assert all(line.split("|")[2].strip() == "1" for line in rows), rows
    _, parents, trials = runs_of(workdir, "width_vs_depth")
    assert len(trials) == 4 and len(parents) == 2
    conditions = {r.data.tags["atlas.condition"] for r in trials}
    assert len(conditions) == 2
    assert {r.data.tags["atlas.overrides"] for r in trials} >= {
        " ".join(TINY[1::2] + narrow[1::2]) + " epochs=1"}
    latest, _ = load_runs("width_vs_depth")  # the latest invocation's condition only
    assert len(latest) == 2 and latest["condition"].nunique() == 1
    assert set(latest["epochs"]) == {1}
    assert summarize(latest).variants["n"].tolist() == [1, 1]
    every, _ = load_runs("width_vs_depth", condition="all")
    with pytest.raises(ValueError, match="2 conditions"):
        summarize(every)
    older = (conditions - set(latest["condition"])).pop()
    first, _ = load_runs("width_vs_depth", condition=older)
    assert set(first["epochs"]) == {quick_epochs}


def test_condition_key_includes_the_resolved_precision(monkeypatch):
    from studies.driver import condition_key
    from trainers import contract

    study = STUDIES["width_vs_depth"]
    cpu = study.budget("quick")
    gpu = dataclasses.replace(cpu, gpus_per_trial=0.5)
    auto = study.recipe_for(cpu)
    assert auto.precision == "auto"
    fp32, bf16 = auto.replace(precision="fp32"), auto.replace(precision="bf16")
    monkeypatch.setattr(contract, "cpu_accelerates_bf16", lambda: False)  # a CPU without bf16
    assert condition_key(study, "quick", cpu, auto) == condition_key(study, "quick", cpu, fp32)
    assert condition_key(study, "quick", gpu, auto) == condition_key(study, "quick", gpu, bf16)
    assert condition_key(study, "quick", cpu, auto) != condition_key(study, "quick", gpu, auto)
    monkeypatch.setattr(contract, "cpu_accelerates_bf16", lambda: True)  # AMX or AVX512-BF16
    assert condition_key(study, "quick", cpu, auto) == condition_key(study, "quick", cpu, bf16)
    assert condition_key(study, "quick", cpu, auto) != condition_key(study, "quick", cpu, fp32)


def test_budget_auto_is_full_with_cuda_and_quick_without(monkeypatch, capsys):
    import torch

    from studies.__main__ import resolve_budget

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_budget("auto") == "quick" and "no CUDA device" in capsys.readouterr().out
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_budget("auto") == "full" and "CUDA device is present" in capsys.readouterr().out
    assert resolve_budget("quick") == "quick" and capsys.readouterr().out == ""


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_show_prints_every_budget_plan(name, capsys):
    assert main(["show", name]) == 0
    out = capsys.readouterr().out
    study = STUDIES[name]
    for budget in study.budget_names:
        assert f"{budget} budget: recipe " in out
    budgets = len(study.budget_names)
    assert out.count(" trials") + out.count("sampled points") >= budgets
    assert out.count("expected wall time: ") + out.count("no pilot recorded") == budgets


def test_a_budget_between_quick_and_full_is_named_shown_and_overridden():
    from studies.study import Budget

    study = STUDIES["width_vs_depth"]
    hour = Budget(recipe={"epochs": 4}, seeds=3)
    between = dataclasses.replace(study, between={"hour": hour})
    assert between.budget_names == ("quick", "hour", "full")
    assert between.budget("hour") is hour and between.recipe_for("hour").epochs == 4
    with pytest.raises(ValueError, match="its budgets: quick, hour, full"):
        between.budget("day")
    longer = between.with_budgets({"hour": dataclasses.replace(hour, seeds=5), "quick": hour})
    assert longer.budget("hour").seeds == 5 and longer.quick is hour
    with pytest.raises(ValueError, match="'day' is not a budget"):
        between.with_budgets({"day": hour})
    for bad in ({"full": hour}, {"auto": hour}):
        with pytest.raises(ValueError, match="must differ"):
            dataclasses.replace(study, between=bad)
    # --set on that budget; a narrowed grid reaches every budget
    from studies.__main__ import apply_overrides

    narrowed, budget = apply_overrides(between, "hour", ["seeds=2", "grid.wrn=10-1,10-2"])
    assert budget.seeds == 2 and narrowed.budget("hour").seeds == 2
    assert all(narrowed.variants(b) == ["wrn=10-1", "wrn=10-2"] for b in narrowed.budget_names)


@pytest.mark.parametrize("argv, message", [
    (["report", "width_vs_dept"], "for 'width_vs_dept' (did you mean width_vs_depth?)"),
    (["summary", "width_vs_depth"], "run `make study name=width_vs_depth` first"),
    (["calibrate", "no_such_study"], "no MLflow store at"),
])
def test_analysis_without_runs_is_one_line_exit_2_and_writes_nothing(argv, message, workdir,
                                                                   capsys):
    from analysis.__main__ import main as analysis_main

    assert analysis_main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1, err
    assert list(workdir.iterdir()) == []  # no empty store created by a command that reads


@pytest.mark.parametrize("command", ["report", "calibrate"])
@pytest.mark.parametrize("out, message", [
    ("afile", "is a file, not a folder; set --out to a folder"),
    ("afile/sub", "is a file, not a folder; set --out to a folder"),
    ("/proc/atlas-reports", "is not writable"),
])
def test_an_unusable_out_folder_is_one_line_exit_2(command, out, message, workdir, capsys):
    from analysis.__main__ import main as analysis_main

    (workdir / "afile").write_text("")
    out = out if out.startswith("/") else str(workdir / out)
    assert analysis_main([command, "width_vs_depth", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --out ") and message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in workdir.iterdir()) == ["afile"]


HEAVY = ("torch", "ray", "mlflow", "optuna", "pandas", "scipy.stats", "statsmodels")


@pytest.mark.parametrize("argv, allowed", [
    (["list"], ()),
    (["show", "width_vs_depth"], ()),
    (["show", "design_spaces"], ()),
])
def test_listing_and_showing_load_no_training_library(argv, allowed):
    """`list` and `show` answer without importing torch, Ray, MLflow or Optuna (the catalogue
    modules, the points and the recipes are plain dataclasses)."""
    code = (f"import sys; from studies.__main__ import main; main({argv!r}); "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120).stdout
    loaded = ast.literal_eval(out.strip().splitlines()[-1])
    assert set(loaded) <= set(allowed), loaded


def test_experiment_opens_on_its_runs_and_states_the_claim(workdir, capsys):
    from studies import schema, tracking
    from studies.driver import description

    study = STUDIES["width_vs_depth"]
    client = tracking.client()
    exp_id = tracking.experiment_id(client, study.name, description(study))
    tags = client.get_experiment(exp_id).tags
    assert tags[schema.EXPERIMENT_KIND] == schema.EXPERIMENT_KIND_TRAINING  # not the GenAI view
    assert study.claim in tags[schema.NOTE] and study.source in tags[schema.NOTE]
    assert tracking.experiment_id(client, study.name) == exp_id  # found again, tags kept
    assert client.get_experiment(exp_id).tags[schema.NOTE] == tags[schema.NOTE]
    assert main(["links", "--port", "5123"]) == 0  # what `make ui` prints: the runs page
    assert (f"width_vs_depth: http://127.0.0.1:5123/#/experiments/{exp_id}/runs"
            "?workflowType=machine_learning") in capsys.readouterr().out


def test_metrics_show_as_meant_in_the_ui():
    import numpy as np

    from studies.tracking import shown

    assert shown(np.float32(0.78)) == 0.78  # not 0.7799999713897705
    assert shown(23_520_842) == 23_520_842 and shown(2**40) == 2**40  # counts stay exact
    assert shown(0.123456789) == 0.1234568 and math.isinf(shown(float("inf")))


@pytest.mark.parametrize("args", [
    ["study", "name=x;touch PWNED;true"],
    ["study", "name=width_vs_depth", "set=epochs=1;touch PWNED", "budget=$(touch PWNED)"],
    ["report", "name=`touch PWNED`", "condition=a'b;touch PWNED"],
])
def test_make_passes_values_to_the_program_never_to_the_shell(args, tmp_path):
    """The Makefile's variables come from a user's command line: each reaches the program as
    one argument (refused there, exit 2), and none is ever run by the shell."""
    makefile = Path(__file__).resolve().parent.parent / "Makefile"
    done = subprocess.run(["make", "-s", "-f", str(makefile), *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: " in done.stderr
    assert not (tmp_path / "PWNED").exists()


def test_planned_detectable_effect_is_cached_between_invocations(tmp_path, monkeypatch):
    """`studies show` keeps the design's detectable effect in the user's cache: the same number
    as the claim check's power, read back without computing it, and a damaged cache ignored."""
    import verdicts.power
    from studies import plan
    from verdicts.sequential import Design

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    looks = (3, 5)
    expected = verdicts.power.detectable(1.0, 5, Design(looks).nominal_alpha(1))
    assert plan.detectable_in_sd(looks) == pytest.approx(expected)

    def not_again(*args, **kwargs):
        raise AssertionError("computed again")

    monkeypatch.setattr(verdicts.power, "detectable", not_again)
    assert plan.detectable_in_sd(looks) == pytest.approx(expected)
    plan._cache_file().write_text("{not json")
    monkeypatch.undo()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert plan.detectable_in_sd(looks) == pytest.approx(expected)


SAME_POINT_SEARCH = """
from studies import Budget, Study
from trainers import Recipe


def space(trial, base):  # one point, whatever the sampler does
    trial.suggest_categorical("width_mult", [1.0])
    return base


STUDY = Study(name="same_point", kind="search", claim="none", source="tests",
              base="resnet20", space=space, max_macs=1,
              recipe=Recipe(epochs=1, batch_size=64, max_train_images=256, max_val_images=128,
                            max_test_images=128),
              quick=Budget(trials=3, concurrency=1), full=Budget(trials=3, concurrency=1))
"""


@pytest.mark.slow
def test_a_search_that_samples_a_pruned_point_again_reuses_it(workdir, capsys):
    """A sampler may return a point it returned before; the trial finds that point's finished
    run and reports it again without training. A pruned point has no error to report: the
    searcher and scheduler get the worst one, and the study ends normally, every trial pruned."""
    path = workdir / "same_point.py"
    path.write_text(SAME_POINT_SEARCH)
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    _, _, trials = runs_of(workdir, "same_point")
    assert len(trials) == 1 and trials[0].data.tags["atlas.status"] == "pruned"
    assert "MACs" in trials[0].data.tags["atlas.reason"]
    assert "time:" in out.splitlines()[-1]
    assert "No trial has a val_error to compare (1 trial(s): 1 pruned)" in out
    from analysis.__main__ import main as analysis_main

    assert analysis_main(["summary", "same_point"]) == 0  # the store's summary says the same
    assert "No trial has a val_error to compare" in capsys.readouterr().out


def test_a_variant_left_out_of_the_grid_is_not_run_and_must_be_in_it():
    from studies.study import Study

    def space(trial, base):
        return base.replace(width_mult=trial.suggest_categorical("w", [1.0, 2.0]),
                            depth_mult=trial.suggest_categorical("d", [1.0, 2.0]))

    study = Study(name="s", claim="c", source="s", base="resnet20", space=space,
                  grid={"w": (1.0, 2.0), "d": (1.0, 2.0)}, leave_out=("w=1.0,d=2.0",))
    assert study.variants() == ["w=1.0,d=1.0", "w=2.0,d=1.0", "w=2.0,d=2.0"]
    with pytest.raises(ValueError, match=r"leave_out \['w=3.0,d=1.0'\] not in the grid; its "
                       r"variants: \['w=1.0,d=1.0', 'w=1.0,d=2.0'"):
        Study(name="s", claim="c", source="s", base="resnet20", space=space,
              grid={"w": (1.0, 2.0), "d": (1.0, 2.0)}, leave_out=("w=3.0,d=1.0",))
    with pytest.raises(ValueError, match="variant 'w=1.0,d=2.0' is not in the quick grid"):
        Study(name="s", claim="c", source="s", base="resnet20", space=space,
              grid={"w": (1.0, 2.0), "d": (1.0, 2.0)}, leave_out=("w=1.0,d=2.0",),
              baseline="w=1.0,d=2.0")
    with pytest.raises(ValueError, match="search s takes no grid"):
        Study(name="s", claim="c", source="s", base="resnet20", space=space, kind="search",
              leave_out=("w=1.0,d=2.0",))


def test_the_dashboard_refuses_a_taken_port_and_a_store_without_the_search(workdir, capsys):
    import socket

    import optuna

    optuna.create_study(storage=f"sqlite:///{workdir / 'optuna.db'}", study_name="other/quick/gen0")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["dashboard", "nas", "--port", str(port)]) == 2
        assert f"127.0.0.1:{port} is taken" in capsys.readouterr().err
    assert main(["dashboard", "nas", "--port", str(port)]) == 2  # free again
    assert "has no study of search nas yet: run `make study name=nas` first" in \
        capsys.readouterr().err
    (workdir / "optuna.db").unlink()
    (workdir / "optuna.db").write_bytes(b"")  # a file, but no Optuna tables in it
    assert main(["dashboard", "nas", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "is not an Optuna store this version reads" in err and err.count("\n") == 1, err
