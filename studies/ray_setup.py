"""Ray start-up and shut-down, and where Ray Tune keeps its results."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import ray

from trainers.data import data_root

from . import liveness
from .study import Study

# Whether this module started (or attached to) the Ray this process uses: a Ray the caller
# started (a notebook's, the test session's) is theirs, used as it is and left running.
_ours = False


def init_ray(study: Study) -> None:
    """Start Ray (or attach to RAY_ADDRESS's cluster) with the environment the workers need,
    unless this process has a Ray already."""
    global _ours
    quiet()
    _pickle_study_file_by_value(study)
    if ray.is_initialized():
        return
    _ours = True  # before ray.init: a start that fails or is interrupted is still shut down
    ray.init(**init_arguments())


def quiet() -> None:
    """What a study prints is its progress lines and summary (studies.progress): Ray's and
    Tune's own notices are off."""
    # Tune's console output (a configuration box, its results folder, a TensorBoard hint): its
    # newer output engine ignores verbose=0 for those lines; the legacy one honours it.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    # Ray's notice that it turned on token authentication for the local cluster (it stays on)
    logging.getLogger("ray._private.authentication.authentication_token_setup").setLevel(
        logging.ERROR)
    # Keeping one checkpoint per trial makes Tune snapshot its experiment state at every
    # checkpoint; that is cheap here (a small JSON file), so its warning is noise.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")


def init_arguments() -> dict:
    """`ray.init`'s arguments for a study: RAY_ADDRESS's cluster or a local Ray without the
    dashboard, and the environment every worker needs."""
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
    return {"include_dashboard": False, "runtime_env": {"env_vars": env},
            "log_to_driver": False, "configure_logging": False}


def _pickle_study_file_by_value(study: Study) -> None:
    """A study from a file of its own (catalogue.from_file) travels to the workers by value:
    they cannot import it by name."""
    from .catalogue import FILE_MODULE_PREFIX

    module = sys.modules.get(getattr(study.space, "__module__", ""))
    if module is not None and module.__name__.startswith(FILE_MODULE_PREFIX):
        ray.cloudpickle.register_pickle_by_value(module)


def shutdown() -> None:
    """Shut down the Ray `init_ray` started (a Ray the caller started keeps running)."""
    global _ours
    if _ours:
        ray.shutdown()  # also ends what a half-finished ray.init started
    _ours = False
