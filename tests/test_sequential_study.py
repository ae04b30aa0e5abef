"""Sequential replication through the real driver and trial code, with training replaced by a
synthetic result (so rounds take milliseconds): a large effect stops after the first round, no
effect runs every round to max_seeds, and a study killed in mid-round resumes in that round
without training a finished seed again. Ray Tune is replaced by running each planned trial in
this process, which is all `_tune` does with them."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from studies import driver, schema, tracking, trial
from studies.study import Budget, Study
from trainers import Recipe


def space(t, base):
    return base


def make_study(max_seeds: int = 9) -> Study:
    return Study(name="sequential", claim="lr 0.1 beats lr 0.2", source="synthetic",
                 base="resnet20", space=space, grid={"recipe.lr": (0.1, 0.2)},
                 baseline="recipe.lr=0.2", expected_order=("recipe.lr=0.1", "recipe.lr=0.2"),
                 recipe=Recipe(epochs=1),
                 quick=Budget(seeds=3, max_seeds=max_seeds, seed_step=3, concurrency=1))


class FakeTraining:
    """Stands in for trainers.train: val_error = 0.20 (+ effect for lr 0.2) + a per-seed
    shared part + the run's own noise; counts the trials it finished."""

    def __init__(self, effect: float, interrupt_after: int | None = None):
        self.effect, self.interrupt_after = effect, interrupt_after
        self.finished: Counter = Counter()
        self.precisions: set[str] = set()
        self.calls = 0

    def __call__(self, net, recipe, **kwargs):
        self.calls += 1
        if self.interrupt_after is not None and self.calls > self.interrupt_after:
            raise KeyboardInterrupt
        rng = np.random.default_rng([recipe.seed, int(recipe.lr * 1000)])
        shared = np.random.default_rng(recipe.seed).normal(0, 0.01)
        error = 0.20 + (self.effect if recipe.lr == 0.2 else 0.0) + shared + rng.normal(0, 0.01)
        self.finished[(recipe.lr, recipe.seed)] += 1
        self.precisions.add(recipe.precision)
        return {"status": "ok", "epochs": 1, "val_error": float(error), "val_loss": 1.0,
                "train_error": float(error), "train_loss": 1.0, "test_error": float(error),
                "test_loss": 1.0, "params": 1, "macs": 1, "wall_s": 0.01, "device": "cpu"}


@pytest.fixture
def in_process(monkeypatch, workdir):
    """Trials run in this process: Tune's context and report are stubs."""

    class Context:
        def get_trial_id(self):
            return "local"

    class Runtime:
        def get_node_id(self):
            return "local"

    monkeypatch.setattr(trial.tune, "report", lambda *a, **k: None)
    monkeypatch.setattr(trial.tune, "get_context", lambda: Context())
    monkeypatch.setattr(trial.ray, "get_runtime_context", lambda: Runtime())
    monkeypatch.setattr(trial.watchdog, "watch", lambda driver_id: None)
    monkeypatch.setattr(trial.watchdog, "exit_if_orphaned", lambda driver_id: None)

    def tune_in_process(job, plan, clock, suffix=""):
        for params in plan.todo:
            trial.run_trial({"point": params}, job)

    monkeypatch.setattr(driver, "_tune", tune_in_process)
    monkeypatch.setattr(driver, "init_ray", lambda study: None)  # no Ray: nothing runs in it

    def install(training: FakeTraining) -> FakeTraining:
        monkeypatch.setattr(trial, "train", training)
        return training

    return install


def trials_of(study: str) -> list[dict]:
    client = tracking.client()
    exp = tracking.find_experiment(client, study)
    return tracking.child_runs(client, exp, 0)


def test_a_large_effect_stops_after_the_first_round(in_process, capsys):
    training = in_process(FakeTraining(effect=0.05))
    outcome = driver.run(make_study(), "quick")
    out = capsys.readouterr().out
    assert outcome["status"] == "FINISHED"
    assert "round 1: 3 seeds; recipe.lr=0.1 vs recipe.lr=0.2: reproduced" in out
    assert "every claim pair decided: stop" in out and "round 2" not in out
    assert sorted(training.finished) == [(lr, s) for lr in (0.1, 0.2) for s in range(3)]
    rows = trials_of("sequential")
    assert {r[schema.SEED_LOOKS] for r in rows} == {"3,6,9"}


def test_no_effect_runs_every_round_to_max_seeds(in_process, capsys):
    training = in_process(FakeTraining(effect=0.0))
    driver.run(make_study(), "quick")
    out = capsys.readouterr().out
    assert "round 1: 3 seeds" in out and "next round 6 seeds" in out
    assert "round 3: 9 seeds" in out and "max_seeds reached: stop" in out
    assert len(training.finished) == 18 and max(training.finished.values()) == 1


def test_a_study_killed_mid_round_resumes_in_that_round_training_no_seed_twice(in_process,
                                                                                capsys):
    study = make_study()
    first = in_process(FakeTraining(effect=0.0, interrupt_after=8))  # round 2 is 6..11
    with pytest.raises(KeyboardInterrupt):
        driver.run(study, "quick")
    assert len(first.finished) == 8
    capsys.readouterr()
    second = in_process(FakeTraining(effect=0.0))
    driver.run(study, "quick")
    out = capsys.readouterr().out
    assert "round 2: 6 seeds" in out and "round 3: 9 seeds" in out
    assert not set(first.finished) & set(second.finished)  # nothing finished is trained again
    assert set(first.finished) | set(second.finished) == {
        (lr, s) for lr in (0.1, 0.2) for s in range(9)}
    finished = [r for r in trials_of("sequential") if r["mlflow_status"] == "FINISHED"]
    assert len(finished) == 18


def test_a_sequential_budget_needs_a_claim_and_a_testable_first_round():
    with pytest.raises(ValueError, match="no expected_order or pairs to decide"):
        Study(name="s", claim="c", source="s", base="resnet20", space=space,
              grid={"recipe.lr": (0.1, 0.2)}, quick=Budget(seeds=2, max_seeds=4))
    with pytest.raises(ValueError, match="use seeds >= 2"):
        Budget(seeds=1, max_seeds=4)
    with pytest.raises(ValueError, match="below seeds"):
        Budget(seeds=4, max_seeds=3)
    assert Budget(seeds=4, max_seeds=12).seed_looks == (4, 8, 12)
    assert Budget(seeds=3, max_seeds=10, seed_step=4).seed_looks == (3, 7, 10)
    assert Budget(seeds=5).seed_looks == (5,)


def test_auto_precision_on_another_cpu_is_another_condition_trained_anew(in_process,
                                                                          monkeypatch, capsys):
    from trainers import contract

    study = make_study(max_seeds=3)  # a fixed design: 3 seeds, 6 trials
    monkeypatch.setattr(contract, "cpu_accelerates_bf16", lambda: False)
    fp32 = in_process(FakeTraining(effect=0.05))
    driver.run(study, "quick")
    monkeypatch.setattr(contract, "cpu_accelerates_bf16", lambda: True)
    bf16 = in_process(FakeTraining(effect=0.05))
    driver.run(study, "quick")
    assert "6 of 6 trials to run" in capsys.readouterr().out.split("parent run")[-2]
    assert len(fp32.finished) == len(bf16.finished) == 6  # nothing reused across precisions
    assert fp32.precisions == {"fp32"} and bf16.precisions == {"bf16"}  # what each trained in
    assert len({r[schema.CONDITION] for r in trials_of("sequential")}) == 2


def test_a_start_interrupted_while_ray_starts_leaves_no_run_open(in_process, monkeypatch):
    def interrupted(study):  # Ctrl-C while Ray starts (the store opens beside it)
        raise KeyboardInterrupt

    monkeypatch.setattr(driver, "init_ray", interrupted)
    with pytest.raises(KeyboardInterrupt):
        driver.run(make_study(), "quick")
    client = tracking.client()
    exp = tracking.find_experiment(client, "sequential")
    assert exp is not None  # the store was opened meanwhile
    assert client.search_runs([exp]) == []  # but no parent run was left RUNNING, or at all


def test_an_invocation_that_started_no_trial_summarises_as_nothing_yet(in_process,
                                                                       monkeypatch):
    from analysis.report import write_report
    from studies.results import load_runs, study_summary
    from verdicts.markdown import summary_markdown

    def interrupted(job, plan, clock, suffix=""):  # Ctrl-C before any trial ran
        raise KeyboardInterrupt

    monkeypatch.setattr(driver, "_tune", interrupted)
    with pytest.raises(KeyboardInterrupt):
        driver.run(make_study(), "quick")
    trials, _ = load_runs("sequential")
    assert trials.empty
    summary, _, _ = study_summary("sequential")
    assert summary_markdown(summary) == "No finished trials yet."
    with pytest.raises(ValueError, match="no trials yet"):
        write_report("sequential", "reports", log_to_mlflow=False)
    with pytest.raises(ValueError, match="no trials of condition 'nope'"):
        load_runs("sequential", condition="nope")  # a condition asked for by name must exist
