"""Studies: ablations and searches declared in Python, run by Ray Tune + Optuna, tracked in
MLflow. `python -m studies list | show NAME | run NAME`."""

import os

from .catalogue import from_file
from .catalogue import load as _load
from .study import Budget, Study, variant_label

STUDIES = _load()


def is_study_file(name: str) -> bool:
    return name.endswith(".py") or os.sep in name


def find_study(name: str) -> Study | None:
    """The study a command names: a catalogue entry, or the STUDY of a file (ValueError if
    that file fails); None for a name the catalogue lacks."""
    return from_file(name) if is_study_file(name) else STUDIES.get(name)


__all__ = ["STUDIES", "Budget", "Study", "find_study", "is_study_file", "variant_label"]
