"""The end-of-study time line: phases, the trials' own time and the harness's share."""

from __future__ import annotations

import pytest

from studies.timing import StudyClock


def clock_of(at_once: int = 1) -> StudyClock:
    clock = StudyClock(started=1000.0, at_once=at_once)
    clock.phases = {"imports": 3.0, "preflight": 1.0, "store": 0.5, "ray_start": 3.0,
                    "tune": 20.0, "shutdown": 1.5, "analysis": 1.0}
    return clock


def test_one_trial_at_a_time_the_harness_is_the_wall_time_not_spent_training():
    clock = clock_of()
    for wall in (6.0, 5.0, 4.0):
        clock.trial_finished({"wall_s": wall, "worker_start_s": 2.0 if wall == 6.0 else 0.0})
    clock.trial_finished({"wall_s": 9.0, "reused": 1})  # finished earlier: not this run's time
    now = 1000.0 + 30.0
    assert clock.trials == 3 and clock.trials_s() == 15.0
    assert clock.harness_share(now) == pytest.approx(0.5)
    line = clock.line(now)
    assert line.startswith("time: 30.0 s = imports 3.0 s + preflight 1.0 s + MLflow store 0.5 s"
                           " + Ray start 3.0 s + trials 15.0 s (3 trained) + around the trials"
                           " 5.0 s (workers' start-up 2.0 s) + analysis 1.0 s + Ray shutdown"
                           " 1.5 s")
    assert line.endswith("; harness 15.0 s (50% of the wall time)")


def test_trials_side_by_side_count_once_on_the_wall_clock():
    clock = clock_of(at_once=2)
    for _ in range(4):
        clock.trial_finished({"wall_s": 8.0})
    assert clock.trials_s() == 16.0  # 32 s of training on two slots
    assert "trials 16.0 s (4 trained, 2 at once)" in clock.line(1030.0)


def test_time_nobody_measured_is_shown_as_other():
    clock = clock_of()
    assert "other 10.0 s" in clock.line(1040.0)  # 40 s wall, 30 s in the phases


def test_an_unknown_phase_is_a_bug_named_at_once():
    with pytest.raises(ValueError, match="unknown phase 'ray'"):
        with StudyClock().phase("ray"):
            pass
