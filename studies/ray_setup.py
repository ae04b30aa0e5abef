"""Ray start-up and shut-down, and where Ray Tune keeps its results."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import ray

from . import liveness
from .study import Study

# Whether this module started (or attached to) the Ray this process uses: a Ray the caller
# started (a notebook's, the test session's) is theirs, used as it is and left running.
_ours = False
# A local Ray starting on another thread (start_beside): its seconds, once started; the
# thread holds until `shutdown` releases it
_starting: Future[float] | None = None
_holding: threading.Event | None = None


def start_beside() -> bool:
    """Start a local Ray on another thread while the caller checks its input; returns whether
    it did. Ray's start is mostly waiting for its own processes (GCS, raylet, agents), so the
    checks' imports and builds fill that time. Ray writes only its session folder in its temp
    folder, and `shutdown` ends it when the checks refuse the input. A cluster (RAY_ADDRESS)
    is attached to only after the checks, which test its address first; a Ray this process
    has already (a notebook's, the test session's) is used as it is."""
    global _ours, _starting, _holding
    if os.environ.get("RAY_ADDRESS") or ray.is_initialized() or _starting is not None:
        return False
    quiet()
    if threading.current_thread() is threading.main_thread():
        # what ray.init does on the main thread, and cannot do on another: SIGTERM exits the
        # driver through its clean-up (trials cut short are closed, Ray is shut down)
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
    _ours = True  # before ray.init: a start that fails or is interrupted is still shut down
    _starting, _holding = Future(), threading.Event()
    threading.Thread(target=_start_and_hold, args=(_starting, _holding),
                     name="atlas-ray-start", daemon=True).start()
    return True


def _exit_on_sigterm(signum, frame) -> None:
    sys.exit(signum)


def _start_and_hold(started: Future, holding: threading.Event) -> None:
    """ray.init on this thread, then hold the thread until `shutdown`: Ray's processes die
    with the thread that started them (Linux's parent-death signal is per thread), so a
    thread that ended would take the local Ray with it."""
    start = time.time()
    try:
        ray.init(**init_arguments())
    except BaseException as e:
        started.set_exception(e)
        return
    started.set_result(time.time() - start)
    holding.wait()


def init_ray(study: Study) -> float | None:
    """Start Ray (or attach to RAY_ADDRESS's cluster) with the environment the workers need,
    unless this process has a Ray already; a Ray `start_beside` is starting is waited for
    (returns the seconds its start took; None otherwise)."""
    global _ours, _starting
    quiet()
    _pickle_study_file_by_value(study)
    if _starting is not None:
        seconds = _starting.result()  # raises what ray.init raised
        _starting = None  # (only now: an interrupt while waiting leaves it for `shutdown`)
        return seconds
    if ray.is_initialized():
        return None
    _ours = True  # before ray.init: a start that fails or is interrupted is still shut down
    ray.init(**init_arguments())
    return None


def quiet() -> None:
    """What a study prints is its progress lines and summary (studies.progress): Ray's and
    Tune's own notices are off."""
    # Tune's console output (a configuration box, its results folder, a TensorBoard hint): its
    # newer output engine ignores verbose=0 for those lines; the legacy one honours it.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Ray's notice that it turned on token authentication for the local cluster (it stays on)
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(
        logging.ERROR)
    # and that ray.init on another thread (start_beside) sets no SIGTERM handler: set there
    worker_log = logging.getLogger("ray._private.worker")
    if _no_sigterm_notice not in worker_log.filters:
        worker_log.addFilter(_no_sigterm_notice)
    # Keeping one checkpoint per trial makes Tune snapshot its experiment state at every
    # checkpoint; that is cheap here (a small JSON file), so its warning is noise.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")


def _no_sigterm_notice(record: logging.LogRecord) -> bool:
    return not str(record.msg).startswith("SIGTERM handler is not set")


def init_arguments() -> dict:
    """`ray.init`'s arguments for a study: RAY_ADDRESS's cluster or a local Ray without the
    dashboard, and the environment every worker needs."""
    from trainers.data import data_root  # torch: imported here, off a caller's critical path

    address = os.environ.get("RAY_ADDRESS")
    repo = str(Path(__file__).resolve().parent.parent)
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")])),
           # Tune runs each trial in its own folder: one absolute data folder for all of them,
           # so the dataset is unpacked once, not per trial
           "ATLAS_DATA": str(data_root()),
           # which driver a worker serves (its watchdog has it from the Job; this names it
           # in the process's environment, for `ps e` and the tests)
           "ATLAS_DRIVER": liveness.identity(),
           # Tune runs each trial on a new thread of a reused worker. Past glibc's arena limit
           # (8 per core, which a Ray worker's own threads reach on a small machine) a new
           # thread shares an arena in turn, and a shared arena never returns to the free list
           # a later thread would take it from: each trial landed in another arena, which kept
           # what its trial freed, and the worker grew with every trial. With two arenas every
           # trial's memory is reused (tests/test_worker_memory.py).
           "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2")}
    if address:  # attach to a cluster (KubeRay, `ray up`, or `ray start --head`)
        return {"address": address, "runtime_env": {"env_vars": env}, "log_to_driver": False}
    # "local": a new Ray of this study's own, even where `ray start` left a cluster's address
    # for ray.init to find (a cluster is attached to through RAY_ADDRESS, above)
    return {"address": "local", "include_dashboard": False, "runtime_env": {"env_vars": env},
            "log_to_driver": False, "configure_logging": False,
            # Ray starts a worker per core for the first driver's tasks; Tune gives every trial
            # actor a process of its own, so they would only cost start-up CPU and memory
            "_system_config": {"prestart_worker_first_driver": False}}


def _pickle_study_file_by_value(study: Study) -> None:
    """A study from a file of its own (catalogue.from_file) travels to the workers by value:
    they cannot import it by name."""
    from .catalogue import FILE_MODULE_PREFIX

    module = sys.modules.get(getattr(study.space, "__module__", ""))
    if module is not None and module.__name__.startswith(FILE_MODULE_PREFIX):
        ray.cloudpickle.register_pickle_by_value(module)


def shutdown() -> None:
    """Shut down the Ray `init_ray` or `start_beside` started (a Ray the caller started keeps
    running)."""
    global _ours, _starting, _holding
    try:
        if _starting is not None:  # a start still under way is let finish, then undone
            _starting.exception()
        if _ours:
            if not os.environ.get("RAY_ADDRESS"):
                _kill_autoscaler_monitor()
            ray.shutdown()  # also ends what a half-finished ray.init started
    finally:
        _starting, _ours = None, False
        if _holding is not None:  # the thread that started it may end now
            _holding.set()
            _holding = None


def _kill_autoscaler_monitor() -> None:
    """Ray's shut-down stops its processes one type after another, the GCS before the
    autoscaler's monitor, whose SIGTERM handler then tries to tell the GCS and is killed a
    second later. A local Ray has nothing to autoscale and nobody to tell: its monitor is
    killed first. (Ray's own Node object; if a Ray version lacks it, the shut-down is only
    slower.)"""
    node = getattr(ray._private.worker, "_global_node", None)
    try:
        node.kill_monitor(check_alive=False)
    except Exception:  # no node (a start that failed early), or another Ray version
        pass
