"""The search space: points (`Net`), the modules they build, presets and their complexity.

The points, their extras and the presets are plain dataclasses; `build`, `complexity` and the
block registry need torch and are imported when first used (search_space.lazy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import lazy_getattr

if TYPE_CHECKING:
    from .backbone import build  # noqa: F401
    from .blocks import BLOCKS  # noqa: F401
    from .counting import Complexity, complexity  # noqa: F401
    from .extras import (  # noqa: F401
        BLOCK_EXTRAS,
        BasicExtras,
        BottleneckExtras,
        DenseExtras,
        FractalExtras,
        InceptionExtras,
        InceptionV3Extras,
        InvertedExtras,
        PlainExtras,
        ShuffleExtras,
        ShuffleV2Extras,
    )
    from .presets import PRESET_INFO, PRESETS  # noqa: F401
    from .spec import GLOSSARY, Net, Stage  # noqa: F401

_EXTRAS = ("BLOCK_EXTRAS", "BasicExtras", "BottleneckExtras", "DenseExtras", "FractalExtras",
           "InceptionExtras", "InceptionV3Extras", "InvertedExtras", "PlainExtras",
           "ShuffleExtras", "ShuffleV2Extras")
__getattr__ = lazy_getattr(__name__, {
    "BLOCKS": "blocks", "build": "backbone", "Complexity": "counting",
    "complexity": "counting", "PRESET_INFO": "presets", "PRESETS": "presets",
    "GLOSSARY": "spec", "Net": "spec", "Stage": "spec", **dict.fromkeys(_EXTRAS, "extras"),
})

__all__ = [
    "BLOCKS", "BLOCK_EXTRAS", "GLOSSARY", "PRESETS", "PRESET_INFO", "BasicExtras",
    "BottleneckExtras", "Complexity", "DenseExtras", "FractalExtras", "InceptionExtras",
    "InceptionV3Extras", "InvertedExtras", "Net", "PlainExtras", "ShuffleExtras",
    "ShuffleV2Extras", "Stage", "build", "complexity",
]
