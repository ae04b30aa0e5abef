"""The study catalogue: one module per study, each defining `STUDY`.

A new study is a new module here; `studies.STUDIES` picks it up by name.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..study import Study


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
