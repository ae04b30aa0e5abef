"""Studies: ablations and searches declared in Python, run by Ray Tune + Optuna, tracked in
MLflow. `python -m studies list | show NAME | run NAME`.

Importing this package is cheap and has no side effects: the catalogue (`STUDIES`) loads each
study on first use, and `Study`, `Budget` and `variant_label` (which import torch and Optuna)
are imported when first named.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from .catalogue import Catalogue, from_file

if TYPE_CHECKING:
    from .study import Budget, Study, variant_label  # noqa: F401

STUDIES = Catalogue()

_LAZY = ("Budget", "Study", "variant_label")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from . import study

        return getattr(study, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_study_file(name: str) -> bool:
    return name.endswith(".py") or os.sep in name


def find_study(name: str) -> Study | None:
    """The study a command names: a catalogue entry, or the STUDY of a file (ValueError if
    that study fails to load); None for a name the catalogue lacks."""
    if is_study_file(name):
        return from_file(name)
    study = STUDIES.get(name)
    error = STUDIES.error(name) if study is None else None
    if error:
        raise ValueError(f"study {name}: {error}")
    return study


def did_you_mean(name: str) -> str:
    """' (did you mean A or B?)' naming the catalogue studies closest to a mistyped name, or ''."""
    import difflib

    close = difflib.get_close_matches(name, list(STUDIES), n=2, cutoff=0.6)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


__all__ = ["STUDIES", "Budget", "Study", "did_you_mean", "find_study", "is_study_file",
           "variant_label"]
