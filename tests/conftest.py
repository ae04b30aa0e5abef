"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

SYSTEM_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="session")
def fashion_root(tmp_path_factory) -> Path:
    """One data folder per test session (Fashion-MNIST is decompressed into it once)."""
    if not SYSTEM_FASHION_MNIST.exists():
        pytest.skip("Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist")
    return tmp_path_factory.mktemp("atlas-data")


@pytest.fixture
def fashion_data(fashion_root, monkeypatch) -> Path:
    monkeypatch.setenv("ATLAS_DATA", str(fashion_root))
    return fashion_root


@pytest.fixture(scope="session")
def shared_ray(fashion_root):
    """One local Ray for every study run in this process, started on first use with the
    arguments a study would start it with (its workers' environment included) and shut down at
    the end of the session. A study finds it running, uses it and leaves it running
    (studies.ray_setup), so each test pays no Ray start-up or shut-down. Its address (GCS
    host:port) is the value: a study in a subprocess given it as RAY_ADDRESS attaches to it as
    to a cluster; the drills of what a local Ray does start their own."""
    import ray

    from studies import ray_setup

    with pytest.MonkeyPatch.context() as env:
        env.setenv("ATLAS_DATA", str(fashion_root))  # what the workers read: the session's
        env.delenv("RAY_ADDRESS", raising=False)
        ray_setup.quiet()
        ray.init(**ray_setup.init_arguments())
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


@pytest.fixture(scope="session")
def user_cache(tmp_path_factory) -> Path:
    """The session's user cache (XDG_CACHE_HOME): what the tool keeps between invocations,
    made once per test session, never the user's own."""
    return tmp_path_factory.mktemp("user-cache")


@pytest.fixture
def workdir(tmp_path, monkeypatch, fashion_data, shared_ray, user_cache):
    """A fresh folder for mlruns.db, optuna.db, mlartifacts and .atlas (Ray's results and the
    trial checkpoints), with no tracking, Optuna or Ray address inherited."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(user_cache))
    for name in ("MLFLOW_TRACKING_URI", "ATLAS_OPTUNA_STORAGE", "RAY_ADDRESS", "ATLAS_HOME",
                 "ATLAS_RAY_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
