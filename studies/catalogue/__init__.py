"""The study catalogue: one module per study, each defining `STUDY`.

A new study is a new module here; `studies.STUDIES` picks it up by name. A study can also live
in a file of its own anywhere (`python -m studies run path/to/my_study.py`): `from_file`.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

from ..study import Study

FILE_MODULE_PREFIX = "atlas_study_file_"


def load() -> dict[str, Study]:
    studies: dict[str, Study] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        study = importlib.import_module(f"{__name__}.{info.name}").STUDY
        if study.name != info.name:
            raise ValueError(f"{info.name}.py defines study {study.name!r}; name them alike")
        if study.name in studies:
            raise ValueError(f"study {study.name!r} is declared twice")
        studies[study.name] = study
    return studies


def from_file(path: str | Path) -> Study:
    """The `STUDY` a Python file defines (its module is named FILE_MODULE_PREFIX + the file's
    stem; the runner pickles such modules by value, so Ray workers need not find the file).
    Raises ValueError in one line if the file is missing,
    fails to import, or defines no Study."""
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
    except Exception as e:
        del sys.modules[name]
        where = f" (line {e.lineno})" if isinstance(e, SyntaxError) and e.lineno else ""
        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        raise ValueError(f"study file {path}{where}: {type(e).__name__}: {first}") from None
    study = getattr(module, "STUDY", None)
    if not isinstance(study, Study):
        raise ValueError(f"study file {path} must define STUDY = Study(...); "
                         f"it defines STUDY={type(study).__name__}")
    return study
