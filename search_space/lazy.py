"""Lazy package attributes (PEP 562), so that importing a package, or a light module inside it,
does not load torch: `python -m studies list` reads every study's claim in well under a second."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, modules: dict[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `package.<modules[name]>` (or, for a dotted
    `modules[name]`, that module itself) when `name` is first used."""

    def __getattr__(name: str) -> Any:
        if name in modules:
            module = modules[name] if "." in modules[name] else f"{package}.{modules[name]}"
            return getattr(importlib.import_module(module), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
