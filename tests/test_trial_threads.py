"""A trial trains with as many threads as the CPU cores it was granted, and by default the
machine's cores are shared out among the trials that run at once (none left idle, none
oversubscribed)."""

from __future__ import annotations

import pytest

from studies import STUDIES, driver, trial
from studies.study import Budget


@pytest.mark.parametrize(("concurrency", "cores", "expected"),
                         [(1, 2, 2), (2, 2, 1), (4, 2, 1), (2, 16, 8), (3, 16, 5)])
def test_default_shares_the_cores_among_the_trials_at_once(concurrency, cores, expected):
    assert Budget(concurrency=concurrency).trial_cpus(cores) == expected


def test_an_explicit_cpus_per_trial_is_kept():
    assert Budget(concurrency=1, cpus_per_trial=3).trial_cpus(2) == 3


def test_a_negative_cpus_per_trial_is_refused():
    with pytest.raises(ValueError, match="cpus_per_trial"):
        Budget(cpus_per_trial=-1)


def test_a_cluster_trial_gets_one_cpu_unless_asked(monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6379")
    assert driver.granted_cpus(Budget(concurrency=1)).cpus_per_trial == 1
    assert driver.granted_cpus(Budget(concurrency=1, cpus_per_trial=4)).cpus_per_trial == 4


def test_the_trial_recipe_trains_with_the_granted_cores(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr("studies.host.machine_cores", lambda: 2)
    monkeypatch.setattr("studies.study.machine_cores", lambda: 2)
    study = STUDIES["width_vs_depth"]
    for concurrency, threads in ((1, 2), (2, 1)):
        budget = driver.granted_cpus(Budget(concurrency=concurrency))
        job = trial.Job(study=study, budget_name="quick", budget=budget,
                        recipe=study.recipe_for(budget), tracking_uri="", experiment_id="",
                        parent_id="", generation=0, checkpoint_root="", input_size=(1, 28, 28),
                        num_classes=10)
        point = study.grid_points(budget)[0]
        _, recipe, _ = job.resolve({**point, "seed": 0})
        assert recipe.threads == threads, (concurrency, recipe.threads)


@pytest.mark.parametrize(("files", "expected"), [
    ({"cpu.max": "200000 100000\n"}, 2),  # cgroup v2, docker --cpus=2
    ({"cpu.max": "150000 100000\n"}, 1),  # 1.5 CPUs: whole cores only
    ({"cpu.max": "max 100000\n"}, None),  # no quota
    ({"cpu/cpu.cfs_quota_us": "300000", "cpu/cpu.cfs_period_us": "100000"}, 3),  # cgroup v1
    ({"cpu/cpu.cfs_quota_us": "-1", "cpu/cpu.cfs_period_us": "100000"}, None),
    ({}, None),
])
def test_a_containers_cpu_quota_is_read(tmp_path, files, expected):
    from studies.host import cgroup_cpu_quota, machine_cores

    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert cgroup_cpu_quota(tmp_path) == expected
    cores = machine_cores(tmp_path)
    assert cores >= 1 and (expected is None or cores <= max(1, expected))
