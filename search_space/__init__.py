"""The search space: points (`Net`), the modules they build, presets and their complexity."""

from .blocks import BLOCKS
from .build import build
from .complexity import Complexity, complexity
from .presets import PRESET_INFO, PRESETS
from .spec import (
    BLOCK_EXTRAS,
    GLOSSARY,
    BasicExtras,
    BottleneckExtras,
    InvertedExtras,
    Net,
    PlainExtras,
    Stage,
)

__all__ = [
    "BLOCKS", "BLOCK_EXTRAS", "GLOSSARY", "PRESETS", "PRESET_INFO", "BasicExtras",
    "BottleneckExtras", "Complexity", "InvertedExtras", "Net", "PlainExtras", "Stage", "build",
    "complexity",
]
