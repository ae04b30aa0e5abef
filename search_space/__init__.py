"""The search space: points (`Net`), the modules they build, presets and their complexity."""

from .blocks import BLOCKS
from .build import build
from .complexity import Complexity, complexity
from .extras import (
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
from .presets import PRESET_INFO, PRESETS
from .spec import GLOSSARY, Net, Stage

__all__ = [
    "BLOCKS", "BLOCK_EXTRAS", "GLOSSARY", "PRESETS", "PRESET_INFO", "BasicExtras",
    "BottleneckExtras", "Complexity", "DenseExtras", "FractalExtras", "InceptionExtras",
    "InceptionV3Extras", "InvertedExtras", "Net", "PlainExtras", "ShuffleExtras",
    "ShuffleV2Extras", "Stage", "build", "complexity",
]
