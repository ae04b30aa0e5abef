"""Studies: ablations and searches declared in Python, run by Ray Tune + Optuna, tracked in
MLflow. `python -m studies list | show NAME | run NAME`."""

from .catalogue import load as _load
from .study import Budget, Study, variant_label

STUDIES = _load()

__all__ = ["STUDIES", "Budget", "Study", "variant_label"]
