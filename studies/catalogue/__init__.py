"""The study catalogue: one module per study, each defining `STUDY`.

A new study is a new module here; `studies.STUDIES` picks it up by name (modules whose names
start with an underscore hold what several studies share and define none). Nothing is imported
until a study is asked for, and a module that fails to import breaks only its own study: the
catalogue lists it under `broken` with its error. A study can also live in a file of its own
anywhere (`python -m studies run path/to/my_study.py`): `from_file`.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..study import Study

FILE_MODULE_PREFIX = "atlas_study_file_"


def names() -> list[str]:
    """The catalogue's study names (its module names), without importing any."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


class Catalogue(Mapping):
    """name -> Study, each module imported on first use. A name whose module fails is absent
    from the mapping (KeyError / `get` -> None) and listed in `broken` with its error."""

    def __init__(self) -> None:
        self._names = names()  # read once: a lookup scans no folder
        self._loaded: dict[str, Study] = {}
        self._broken: dict[str, str] = {}

    def _load(self, name: str) -> Study | None:
        if name in self._loaded:
            return self._loaded[name]
        if name in self._broken or name not in self._names:
            return None
        try:
            study = _import_study(name)
        except Exception as e:  # a broken module breaks only its own study
            self._broken[name] = _one_line(e, f"{name}.py")
            return None
        self._loaded[name] = study
        return study

    def __getitem__(self, name: str) -> Study:
        study = self._load(name)
        if study is None:
            raise KeyError(name)
        return study

    def __iter__(self) -> Iterator[str]:
        return iter([n for n in self._names if self._load(n) is not None])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._load(name) is not None

    @property
    def broken(self) -> dict[str, str]:
        """Studies whose module failed to import: name -> one-line error (loads them all)."""
        for name in self._names:
            self._load(name)
        return dict(self._broken)

    def error(self, name: str) -> str | None:
        """Why the catalogue study `name` cannot load (None if it loads or does not exist)."""
        self._load(name)
        return self._broken.get(name)


def _import_study(name: str) -> Study:
    from ..study import Study

    study = getattr(importlib.import_module(f"{__name__}.{name}"), "STUDY", None)
    if not isinstance(study, Study):
        raise ValueError(f"{name}.py must define STUDY = Study(...)")
    if study.name != name:
        raise ValueError(f"{name}.py defines study {study.name!r}; name them alike")
    return study


def _one_line(e: BaseException, file: str) -> str:
    """`file (line N): Type: first line of the message` (the line for a SyntaxError)."""
    where = f" (line {e.lineno})" if isinstance(e, SyntaxError) and e.lineno else ""
    first = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{file}{where}: {type(e).__name__}: {first}"


def from_file(path: str | Path) -> Study:
    """The `STUDY` a Python file defines (its module is named FILE_MODULE_PREFIX + the file's
    stem; the runner pickles such modules by value, so Ray workers need not find the file).
    Raises ValueError in one line if the file is missing, fails to import, or defines no
    Study."""
    from ..study import Study

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"study file {path} does not exist")
    name = FILE_MODULE_PREFIX + path.stem
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"study file {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as e:  # SystemExit: a file that calls exit() at import
        del sys.modules[name]
        raise ValueError(f"study file {_one_line(e, str(path))}") from None
    study = getattr(module, "STUDY", None)
    if not isinstance(study, Study):
        raise ValueError(f"study file {path} must define STUDY = Study(...); "
                         f"it defines STUDY={type(study).__name__}")
    return study
