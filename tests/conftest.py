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


@pytest.fixture
def workdir(tmp_path, monkeypatch, fashion_data):
    """A fresh folder for mlruns.db, optuna.db, mlartifacts and .atlas (Ray's results and the
    trial checkpoints), with no tracking, Optuna or Ray address inherited."""
    monkeypatch.chdir(tmp_path)
    for name in ("MLFLOW_TRACKING_URI", "ATLAS_OPTUNA_STORAGE", "RAY_ADDRESS", "ATLAS_HOME",
                 "ATLAS_RAY_STORAGE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
