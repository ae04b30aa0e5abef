"""A local Ray started beside the preflight checks (studies.ray_setup): an interrupt while the
driver waits for it, or while it is shut down, leaves nothing for a later invocation in the
same process to trip on. (The real start, refusal and shut-down: test_reliability.py.)"""

from __future__ import annotations

import threading
from concurrent.futures import Future

import pytest

from studies import STUDIES, ray_setup


@pytest.fixture
def starting(monkeypatch):
    """A Ray start under way, as start_beside leaves it, with ray itself stubbed out."""
    calls = []
    monkeypatch.setattr(ray_setup.ray, "shutdown", lambda: calls.append("shutdown"))
    monkeypatch.setattr(ray_setup, "_kill_autoscaler_monitor", lambda: calls.append("monitor"))
    monkeypatch.setattr(ray_setup, "_starting", Future())
    monkeypatch.setattr(ray_setup, "_holding", threading.Event())
    monkeypatch.setattr(ray_setup, "_ours", True)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    return calls


def test_an_interrupt_while_waiting_for_the_start_leaves_it_for_shutdown(starting, monkeypatch):
    future, holding = ray_setup._starting, ray_setup._holding

    def interrupted(self, timeout=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(Future, "result", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ray_setup.init_ray(STUDIES["width_vs_depth"])
    assert ray_setup._starting is future  # shutdown still knows a start is under way
    monkeypatch.undo()  # Future.result and the module state back, the stubs with them
    future.set_result(3.0)
    ray_setup._starting, ray_setup._holding, ray_setup._ours = future, holding, True
    calls = []
    monkeypatch.setattr(ray_setup.ray, "shutdown", lambda: calls.append("shutdown"))
    monkeypatch.setattr(ray_setup, "_kill_autoscaler_monitor", lambda: calls.append("monitor"))
    ray_setup.shutdown()
    assert calls == ["monitor", "shutdown"] and holding.is_set()
    assert (ray_setup._starting, ray_setup._holding, ray_setup._ours) == (None, None, False)


def test_an_interrupt_during_shutdown_still_releases_everything(starting, monkeypatch):
    holding = ray_setup._holding
    ray_setup._starting.set_result(3.0)

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(ray_setup.ray, "shutdown", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ray_setup.shutdown()
    assert holding.is_set()  # the starter thread may end
    assert (ray_setup._starting, ray_setup._holding, ray_setup._ours) == (None, None, False)


def test_a_started_ray_is_waited_for_once(starting):
    ray_setup._starting.set_result(4.5)
    assert ray_setup.init_ray(STUDIES["width_vs_depth"]) == 4.5
    assert ray_setup._starting is None  # started: nothing to wait for at shutdown
