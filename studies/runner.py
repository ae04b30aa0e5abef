"""Runs a study: the entry point `python -m studies run` calls.

The work is split by concern: `driver` (plan, Ray Tune, closing up), `trial` (the worker's
side of one trial), `progress` (what is printed), `search_store` (a search's Optuna state),
`tune_checkpoints` (trainer checkpoints through Tune), `watchdog` (a worker ends with its
driver), `ray_setup` (Ray start-up and storage), `tracking` + `schema` (MLflow).
"""

from .driver import StudyBusy, run
from .ray_setup import shutdown

__all__ = ["StudyBusy", "run", "shutdown"]
