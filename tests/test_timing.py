"""The end-of-study time line: phases, the wall-clock time the trials covered, the harness."""

from __future__ import annotations

import pytest

from studies.timing import StudyClock


def clock_of(at_once: int = 1) -> StudyClock:
    clock = StudyClock(started=1000.0, at_once=at_once)
    clock.phases = {"imports": 3.0, "preflight": 1.0, "store": 0.5, "ray_start": 3.0,
                    "tune": 20.0, "shutdown": 1.5, "analysis": 1.0}
    return clock


def trained(start: float, end: float, **more) -> dict:
    return {"trained_from": start, "trained_to": end, **more}


def test_one_trial_at_a_time_the_harness_is_the_wall_time_not_spent_training():
    clock = clock_of()
    clock.trial_finished(trained(1010.0, 1016.0, worker_start_s=2.0))  # a new worker's first
    clock.trial_finished(trained(1016.5, 1021.5, worker_start_s=0.0))
    clock.trial_finished(trained(1022.0, 1026.0))
    clock.trial_finished({**trained(1000.0, 1009.0), "reused": 1})  # not this run's training
    clock.trial_finished({"status": "failed"})  # no span: its time is the harness's
    now = 1000.0 + 30.0
    assert clock.trials == 3 and clock.trials_s() == 15.0
    assert clock.harness_share(now) == pytest.approx(0.5)
    line = clock.line(now)
    assert line.startswith("time: 30.0 s = imports 3.0 s + preflight 1.0 s + MLflow store 0.5 s"
                           " + Ray start 3.0 s + trials 15.0 s (3 trained) + around the trials"
                           " 5.0 s (workers' start-up 2.0 s) + analysis 1.0 s + Ray shutdown"
                           " 1.5 s")
    assert line.endswith("; harness 15.0 s (50% of the wall time)")


def test_trials_side_by_side_count_once_and_an_idle_slot_not_at_all():
    clock = clock_of(at_once=2)
    # two waves of two, then a fifth trial alone: 8 + 8 + 8 s of the wall clock
    for start in (1005.0, 1005.0, 1013.0, 1014.0):
        clock.trial_finished(trained(start, start + 8.0, worker_start_s=3.0 * (start < 1010)))
    clock.trial_finished(trained(1022.0, 1030.0))
    assert clock.trials_s() == 8.0 + 9.0 + 8.0  # 1005-1013, 1013-1022, 1022-1030
    line = clock.line(1040.0)
    assert "trials 25.0 s (5 trained, up to 2 at once)" in line
    assert "(workers' start-up 6.0 s, summed over 2)" in line


def test_time_nobody_measured_is_shown_as_other():
    clock = clock_of()
    assert "other 10.0 s" in clock.line(1040.0)  # 40 s wall, 30 s in the phases


def test_a_phase_beside_another_is_shown_with_it_and_not_added():
    clock = clock_of()
    clock.beside("store", 2.5, host="ray_start")
    del clock.phases["store"]
    line = clock.line(1030.0)
    assert "Ray start 3.0 s (MLflow store 2.5 s beside it)" in line
    assert "other 0.5 s" in line  # 29.5 s in the phases that ran one after another


def test_an_unknown_phase_is_a_bug_named_at_once():
    with pytest.raises(ValueError, match="unknown phase 'ray'"):
        with StudyClock().phase("ray"):
            pass


def test_a_phase_beside_a_named_one_and_the_wait_after_it():
    clock = clock_of()
    del clock.phases["ray_start"], clock.phases["store"]
    clock.phases.update({"ray_wait": 0.5, "store_wait": 1.0})
    clock.beside("ray_start", 4.0, host="preflight")  # Ray started while preflight checked
    clock.beside("store", 1.5, host="ray_wait")  # opened while the driver waited for Ray
    line = clock.line(1030.0)
    assert ("preflight 1.0 s (Ray start 4.0 s beside it) + waiting for Ray 0.5 s (MLflow "
            "store 1.5 s beside it) + waiting for the MLflow store 1.0 s + trials") in line
    with pytest.raises(ValueError, match="unknown phase 'checks'"):
        clock.beside("ray_start", 1.0, host="checks")
