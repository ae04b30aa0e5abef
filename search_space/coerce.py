"""Field coercion for the frozen value objects (Net, Stage, extras, Recipe, ...).

Values may arrive as strings (MLflow gives params back that way, `--set` passes text) or as
lists (JSON); `coerce` turns them into the annotated type or raises a ValueError that names the
field and the bad value.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing
from typing import Any, Literal


def coerce(value: Any, annotation: Any, where: str) -> Any:
    """`value` as `annotation` (bool, int, float, str, Literal, Optional, tuple[T, ...])."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):  # X | None
        if value is None or value == "None":
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return coerce(value, inner, where)
    if origin is Literal:
        for choice in args:  # "5" from MLflow matches the int choice 5
            if value == choice and type(value) is type(choice):
                return value
            if isinstance(value, str) and value == str(choice):
                return choice
        raise ValueError(f"{where}={value!r} is not one of {list(args)}")
    if origin is tuple:  # tuple[T, ...]; written as "2,5" or "(0.5, 0.75)" in text
        if isinstance(value, str):
            value = [v for v in value.strip("()[] ").replace(" ", "").split(",") if v]
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{where}={value!r} is not a sequence")
        return tuple(coerce(v, args[0], where) for v in value)
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if value in ("True", "False", "true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{where}={value!r} is not a bool")
    if annotation is int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(f"{where}={value!r} is not an integer")
        try:
            return int(value)
        except (TypeError, ValueError, OverflowError):
            raise ValueError(f"{where}={value!r} is not an integer") from None
    if annotation is float:
        if isinstance(value, bool):
            raise ValueError(f"{where}={value!r} is not a number")
        try:
            out = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}={value!r} is not a number") from None
        if not math.isfinite(out):  # nan, or an infinity no size or rate can use
            raise ValueError(f"{where}={value!r} is not a finite number")
        return value if isinstance(value, float) else out
    if annotation is str:
        if not isinstance(value, str):
            raise ValueError(f"{where}={value!r} is not a string")
        return value
    raise TypeError(f"no coercion for {annotation!r} ({where})")


@functools.cache
def _type_hints(cls: type) -> dict[str, Any]:
    # resolving string annotations is slow, and every preset is built when the space is imported
    return typing.get_type_hints(cls)


def coerce_fields(obj: Any, prefix: str, skip: tuple[str, ...] = ()) -> None:
    """Coerce every field of a frozen dataclass in place (from its __post_init__)."""
    hints = _type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        coerced = coerce(value, hints[f.name], f"{prefix}{f.name}")
        if coerced is not value:
            object.__setattr__(obj, f.name, coerced)
