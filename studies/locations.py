"""Where a study keeps its state, from the environment or beside the working folder: the one
module that decides it (light: importing it loads no torch, Ray, MLflow or Optuna). The
datasets' folder is the trainer's (trainers.data.data_root: ATLAS_DATA, else ./data)."""

from __future__ import annotations

import os
from pathlib import Path


def atlas_folder() -> Path:
    """Trial checkpoints and Ray's results: ./.atlas (ATLAS_HOME overrides)."""
    return Path(os.environ.get("ATLAS_HOME") or Path.cwd() / ".atlas").resolve()


def optuna_storage_url() -> str:
    """Optuna's study store: beside the default MLflow store, or ATLAS_OPTUNA_STORAGE."""
    return os.environ.get("ATLAS_OPTUNA_STORAGE") or f"sqlite:///{Path.cwd() / 'optuna.db'}"


def default_tracking_uri() -> str:
    """The MLflow store when MLFLOW_TRACKING_URI is unset: ./mlruns.db (SQLite)."""
    return f"sqlite:///{Path.cwd() / 'mlruns.db'}"


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri()


def artifact_root() -> str:
    """Where the default store keeps artifacts (reports): ./mlartifacts."""
    return (Path.cwd() / "mlartifacts").as_uri()


def user_cache() -> Path:
    """What this tool keeps between invocations for this user (never needed, only faster):
    $XDG_CACHE_HOME/backbone-atlas, else ~/.cache/backbone-atlas. RuntimeError where there is
    no such folder to name (no home folder: a cache is never kept in the working folder)."""
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    if not root.is_absolute():
        raise RuntimeError(f"no user cache folder ({root} is not an absolute path)")
    return root / "backbone-atlas"


def ray_storage() -> str:
    """Where Ray Tune keeps results and trial checkpoints: ./.atlas/ray_results, or
    ATLAS_RAY_STORAGE (on a multi-machine cluster, storage every node reaches: NFS, s3://)."""
    return os.environ.get("ATLAS_RAY_STORAGE") or str(atlas_folder() / "ray_results")
