"""The search space: points (`Net`), the modules they build, presets and their complexity.

The points, their extras and the presets are plain dataclasses; `build`, `complexity` and the
families' modules need torch and are imported when first used (search_space.lazy), so code
that only reads points (`python -m studies list`) does not load torch. Each block's extras
class (`BasicExtras`, `InvertedExtras`, ...) is found by name in the block registry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .lazy import lazy_getattr

if TYPE_CHECKING:
    from .backbone import build  # noqa: F401
    from .counting import Complexity, complexity  # noqa: F401
    from .families.dense import DenseExtras  # noqa: F401
    from .families.fractal import FractalExtras  # noqa: F401
    from .families.inception import InceptionExtras, InceptionV3Extras  # noqa: F401
    from .families.mobilenet import InvertedExtras  # noqa: F401
    from .families.plain import PlainExtras  # noqa: F401
    from .families.regnet import RegNetXExtras, RegNetYExtras  # noqa: F401
    from .families.resnet import BasicExtras, BottleneckExtras  # noqa: F401
    from .families.shuffle import ShuffleExtras, ShuffleV2Extras  # noqa: F401
    from .presets import PRESET_INFO, PRESETS, Preset  # noqa: F401
    from .registry import BLOCK_EXTRAS, BLOCKS  # noqa: F401
    from .spec import GLOSSARY, Net, Stage  # noqa: F401

_modules = lazy_getattr(__name__, {
    "BLOCKS": "registry", "BLOCK_EXTRAS": "registry", "build": "backbone",
    "Complexity": "counting", "complexity": "counting", "PRESET_INFO": "presets",
    "PRESETS": "presets", "Preset": "presets", "GLOSSARY": "spec", "Net": "spec", "Stage": "spec",
})


def __getattr__(name: str) -> Any:
    if name.endswith("Extras"):
        from .registry import extras_class

        cls = extras_class(name)
        if cls is not None:
            return cls
    return _modules(name)


__all__ = [
    "BLOCKS", "BLOCK_EXTRAS", "GLOSSARY", "PRESETS", "PRESET_INFO", "BasicExtras",
    "BottleneckExtras", "Complexity", "DenseExtras", "FractalExtras", "InceptionExtras",
    "InceptionV3Extras", "InvertedExtras", "Net", "PlainExtras", "Preset", "RegNetXExtras",
    "RegNetYExtras", "ShuffleExtras", "ShuffleV2Extras", "Stage", "build", "complexity",
]
