"""The parts of the space by name: block types, stems, heads and auxiliary classifiers.

One small generic `Registry` per kind of part. A family module (search_space/families/) adds
its parts with one call each, and code outside the package can add its own the same way:

    from search_space.registry import BlockType, blocks
    blocks.add(BlockType("my_block", extras=MyExtras, module=MyBlock))

This module imports no family. The first lookup by name imports `search_space.families`, the
one list of the families that ship with the space, so a point can name any of their parts
without its code importing them first.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

FAMILIES = "search_space.families"
_families_loaded = False
_families_failed: Exception | None = None  # why importing them failed, raised at every lookup


class FamiliesImportError(ImportError):
    """The families that ship with the space could not be imported: every lookup says why,
    rather than calling the parts they hold unknown."""


def load_families() -> None:
    """Import the families that ship with the space (once; they register themselves). If that
    fails, this and every later call raise FamiliesImportError with the family's own error."""
    global _families_loaded, _families_failed
    if _families_failed is not None:
        raise FamiliesImportError(_failure_text(_families_failed)) from _families_failed
    if not _families_loaded:
        _families_loaded = True  # before the import: the families' own lookups must not recurse
        try:
            importlib.import_module(FAMILIES)
        except Exception as e:
            _families_failed = e
            raise FamiliesImportError(_failure_text(e)) from e


def _failure_text(error: Exception) -> str:
    return (f"the block families ({FAMILIES}) failed to import: {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}")


@dataclass(frozen=True)
class BlockType:
    """A block: its typed extras (fields and rules, torch-free) and its module class, built
    from one `spec.ResolvedBlock`. `before_batch`, if given, is called before every forward
    pass with the net's modules of this type and the training flag (FractalNet draws its
    global drop-path column there)."""

    name: str
    extras: type
    module: type
    before_batch: Callable[[list[Any], bool], None] | None = None


@dataclass(frozen=True)
class StemType:
    """A stem: `build(net)` returns its module; `out_width(net)` the channels it emits (the
    scaled stem_width unless given). `small_input`: the stem to use for small images
    (`Net.adapt(small_input=True)`), if the stem downsamples. `needs_stem_width`: Net.stem_width
    must be >= 1 (not for a stem that passes the image through)."""

    name: str
    build: Callable[[Any], Any]
    out_width: Callable[[Any], int] | None = None
    small_input: str | None = None
    needs_stem_width: bool = True


@dataclass(frozen=True)
class HeadType:
    """A head: `build(net)` returns its module; `out_width(net)` the features its final FC
    sees (the last block's width unless given); `needs_head_width`: Net.head_width must be set."""

    name: str
    build: Callable[[Any], Any]
    out_width: Callable[[Any], int] | None = None
    needs_head_width: bool = False


@dataclass(frozen=True)
class AuxHeadType:
    """An auxiliary classifier: `module(in_channels, num_classes)`, and the weight of its loss
    as its paper trains it."""

    name: str
    module: Callable[[int, int], Any]
    loss_weight: float


class Registry(Mapping[str, T], Generic[T]):
    """Name -> part, for one kind of part. Refuses duplicate names; unknown names raise a
    ValueError that lists the known ones."""

    def __init__(self, kind: str):
        self.kind = kind
        self._parts: dict[str, T] = {}

    def add(self, part: T) -> T:
        name = part.name  # type: ignore[attr-defined]
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"{self.kind} name {name!r} must be an identifier")
        if name in self._parts:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._parts[name] = part
        return part

    def remove(self, name: str) -> T:
        """Take a part out again (a notebook's or a test's own part); returns it."""
        if name not in self._parts:
            raise ValueError(f"{self.kind} {name!r} is not registered")
        return self._parts.pop(name)

    def lookup(self, name: str, where: str | None = None) -> T:
        """The part called `name`, or a ValueError naming `where` (default: the kind)."""
        load_families()
        if name not in self._parts:
            raise ValueError(f"{where or self.kind}={name!r} is unknown; choose one of "
                             f"{sorted(self._parts)}")
        return self._parts[name]

    def __getitem__(self, name: str) -> T:
        load_families()
        return self._parts[name]

    def __iter__(self) -> Iterator[str]:
        load_families()
        return iter(self._parts)

    def __len__(self) -> int:
        load_families()
        return len(self._parts)

    def __contains__(self, name: object) -> bool:
        load_families()
        return name in self._parts

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {sorted(self._parts)})"


class View(Mapping[str, Any]):
    """A read-only mapping over a registry that gives one attribute of each part
    (`BLOCKS`: block name -> module class; `BLOCK_EXTRAS`: block name -> extras class)."""

    def __init__(self, registry: Registry, attribute: str):
        self._registry, self._attribute = registry, attribute

    def __getitem__(self, name: str) -> Any:
        return getattr(self._registry[name], self._attribute)

    def __iter__(self) -> Iterator[str]:
        return iter(self._registry)

    def __len__(self) -> int:
        return len(self._registry)

    def __repr__(self) -> str:
        return repr(dict(self))


blocks: Registry[BlockType] = Registry("block")
stems: Registry[StemType] = Registry("stem")
heads: Registry[HeadType] = Registry("head")
aux_heads: Registry[AuxHeadType] = Registry("aux_head")

BLOCKS = View(blocks, "module")
"""Block name -> its module class (the contract suite runs over every entry)."""
BLOCK_EXTRAS = View(blocks, "extras")
"""Block name -> its extras dataclass."""


def extras_class(class_name: str) -> type | None:
    """The registered extras dataclass called `class_name` (e.g. "BasicExtras"), or None."""
    for kind in blocks.values():
        if kind.extras.__name__ == class_name:
            return kind.extras
    return None
