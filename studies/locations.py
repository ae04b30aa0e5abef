"""Where a study keeps its state, from the environment or beside the working folder (light: the
preflight checks read these before Ray or Optuna is imported)."""

from __future__ import annotations

import os
from pathlib import Path


def atlas_folder() -> Path:
    """Trial checkpoints and Ray's results: ./.atlas (ATLAS_HOME overrides)."""
    return Path(os.environ.get("ATLAS_HOME") or Path.cwd() / ".atlas").resolve()


def optuna_storage_url() -> str:
    """Optuna's study store: beside the default MLflow store, or ATLAS_OPTUNA_STORAGE."""
    return os.environ.get("ATLAS_OPTUNA_STORAGE") or f"sqlite:///{Path.cwd() / 'optuna.db'}"
