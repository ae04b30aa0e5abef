"""The search space as data: `Net` and `Stage`, the axes, their validation and serialisation.

A `Net` is a point of the space. Nothing here builds modules; `build.py` turns a point into an
`nn.Module`, and `Net.blocks()` is the one place that resolves multipliers, widths and the
drop-path schedule into concrete per-block settings that both validation and `build` use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Any, Literal

# --------------------------------------------------------------------------------------------
# Glossary: every axis of the space, defined once.
# --------------------------------------------------------------------------------------------

GLOSSARY: dict[str, str] = {
    "block": "block type of a stage: one of BLOCK_EXTRAS (plain, basic, bottleneck, inverted)",
    "depth": "number of blocks in a stage (scaled by Net.depth_mult, rounded up)",
    "width": "output channels of every block in a stage (scaled by Net.width_mult)",
    "stride": "stride of the first block of a stage; the other blocks have stride 1",
    "groups": "groups of the spatial conv (ResNeXt cardinality)",
    "expansion": (
        "inner width / reference width. Bottleneck: reference = output width "
        "(ResNet-50 0.25, WRN-50-2 0.5). Inverted: reference = input width (MobileNetV2 t = 6)"
    ),
    "drop_path": (
        "stochastic depth: drop rate of the last block; block l of L (1-based) drops its "
        "residual branch with probability drop_path * l / L (Huang et al. 2016, linear decay)"
    ),
    "extras": "typed per-block fields; see the *Extras dataclasses (BLOCK_EXTRAS)",
    "width_mult": "global multiplier on every stage width, the stem and the head width",
    "depth_mult": "global multiplier on every stage depth (rounded up)",
    "round_to": "scaled widths are rounded to a multiple of this (MobileNetV2 uses 8)",
}

STEMS = ("imagenet", "cifar", "cifar_preact", "mobilenet_v2", "mobilenet_v2_small", "none")
"""imagenet: 7x7/2 conv-BN-ReLU + 3x3/2 max-pool. cifar: 3x3/1 conv-BN-ReLU. cifar_preact: a
bare 3x3/1 conv (pre-activation blocks normalise their own input). mobilenet_v2: 3x3/2
conv-BN-ReLU6; mobilenet_v2_small: the same at stride 1. none: no stem (VGG)."""

HEADS = ("pool_fc", "preact_pool_fc", "conv_pool_fc", "vgg")
"""pool_fc: global average pool -> dropout -> FC. preact_pool_fc: BN-ReLU first (pre-activation
nets end un-normalised). conv_pool_fc: 1x1 conv to head_width -> BN -> ReLU6 -> pool -> dropout
-> FC (MobileNetV2). vgg: 2x2 max-pool -> adaptive 7x7 avg-pool -> FC 4096 -> FC 4096 -> FC,
ReLU and dropout between the FCs."""

# Stems and the input-size reduction they apply (stride product), for `validate`.
_SMALL_INPUT_STEM = {"imagenet": "cifar", "mobilenet_v2": "mobilenet_v2_small"}


# --------------------------------------------------------------------------------------------
# Typed per-block extras. Each block type has one frozen dataclass of small hashable fields.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlainExtras:
    """VGG conv stack: conv3x3 (-> BN) -> ReLU per layer; stride 2 = 2x2 max-pool first."""

    batchnorm: bool = False


@dataclass(frozen=True)
class BasicExtras:
    """Two 3x3 convs. preact: BN-ReLU before each conv (He et al. 2016).
    shortcut: B = 1x1 projection where the shape changes, identity elsewhere; A = strided
    subsample + zero-padded channels, no parameters (He et al. 2015, CIFAR); none = plain net.
    dropout: between the two convs (WRN)."""

    preact: bool = False
    shortcut: Literal["B", "A", "none"] = "B"
    dropout: float = 0.0


@dataclass(frozen=True)
class BottleneckExtras:
    """1x1 -> 3x3 -> 1x1. stride_on: 3x3 as torchvision (ResNet v1.5) or 1x1 as the original
    paper (v1). preact and shortcut as in BasicExtras."""

    preact: bool = False
    shortcut: Literal["B", "A", "none"] = "B"
    stride_on: Literal["3x3", "1x1"] = "3x3"


@dataclass(frozen=True)
class InvertedExtras:
    """MobileNetV2 inverted residual. activation: after the projection to the bottleneck
    (linear is the paper's choice, Fig. 6a). shortcut: between bottlenecks (the paper), between
    expansions (around the depthwise conv, Fig. 6b), or none."""

    activation: Literal["linear", "relu6", "relu"] = "linear"
    shortcut: Literal["bottleneck", "expansion", "none"] = "bottleneck"


BLOCK_EXTRAS: dict[str, type] = {
    "plain": PlainExtras,
    "basic": BasicExtras,
    "bottleneck": BottleneckExtras,
    "inverted": InvertedExtras,
}
"""Block type -> its extras dataclass. `blocks.BLOCKS` must register exactly these names."""


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Convert `value` (possibly a string, as MLflow returns params) to `annotation`'s type."""
    origin = typing.get_origin(annotation)
    if origin is Literal:
        choices = typing.get_args(annotation)
        if value not in choices:
            raise ValueError(f"{where}={value!r} is not one of {list(choices)}")
        return value
    if annotation is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("True", "False", "true", "false"):
            return value.lower() == "true"
        raise ValueError(f"{where}={value!r} is not a bool")
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError(f"{where}={value!r} is not an int")
        try:
            return int(value)
        except ValueError:
            raise ValueError(f"{where}={value!r} is not an int") from None
    if annotation is float:
        if isinstance(value, bool):
            raise ValueError(f"{where}={value!r} is not a number")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where}={value!r} is not a number") from None
    if annotation is str:
        if not isinstance(value, str):
            raise ValueError(f"{where}={value!r} is not a string")
        return value
    raise TypeError(f"no coercion for {annotation!r} ({where})")


def _check_fields(obj: Any, prefix: str) -> None:
    """Coerce and check every field of a frozen dataclass against its type hints."""
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        if f.name in ("stages", "extras"):
            continue
        value = getattr(obj, f.name)
        coerced = _coerce(value, hints[f.name], f"{prefix}{f.name}")
        if coerced is not value:
            object.__setattr__(obj, f.name, coerced)


def make_extras(block: str, values: dict[str, Any] | None = None, where: str = "extras") -> Any:
    """The extras object of `block` from a dict of field values (strings are coerced)."""
    if block not in BLOCK_EXTRAS:
        raise ValueError(f"block={block!r} is unknown; choose one of {sorted(BLOCK_EXTRAS)}")
    cls = BLOCK_EXTRAS[block]
    values = dict(values or {})
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(
            f"{where}: {unknown} not an extra of block {block!r}; valid: {sorted(names)}"
        )
    hints = typing.get_type_hints(cls)
    return cls(**{k: _coerce(v, hints[k], f"{where}.{k}") for k, v in values.items()})


# --------------------------------------------------------------------------------------------
# Stage and Net
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """`depth` blocks of type `block`, each `width` channels out; the first has `stride`."""

    block: str
    depth: int
    width: int
    stride: int = 1
    groups: int = 1
    expansion: float = 1.0
    extras: Any = None  # the block's *Extras dataclass; None = its defaults

    def __post_init__(self) -> None:
        if self.block not in BLOCK_EXTRAS:
            raise ValueError(
                f"block={self.block!r} is unknown; choose one of {sorted(BLOCK_EXTRAS)}"
            )
        _check_fields(self, "")
        if self.depth < 1:
            raise ValueError(f"depth={self.depth} must be >= 1")
        if self.width < 1:
            raise ValueError(f"width={self.width} must be >= 1")
        if self.stride not in (1, 2):
            raise ValueError(f"stride={self.stride} must be 1 or 2")
        if self.groups < 1:
            raise ValueError(f"groups={self.groups} must be >= 1")
        if not self.expansion > 0:
            raise ValueError(f"expansion={self.expansion} must be > 0")
        extras_cls = BLOCK_EXTRAS[self.block]
        if self.extras is None:
            object.__setattr__(self, "extras", extras_cls())
        elif isinstance(self.extras, dict):
            object.__setattr__(self, "extras", make_extras(self.block, self.extras))
        elif not isinstance(self.extras, extras_cls):
            raise ValueError(
                f"extras={self.extras!r} does not belong to block {self.block!r}; "
                f"use {extras_cls.__name__}"
            )
        _check_fields(self.extras, "extras.")
        dropout = getattr(self.extras, "dropout", 0.0)
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"extras.dropout={dropout} must be in [0, 1)")


@dataclass(frozen=True)
class ResolvedBlock:
    """One block with every multiplier applied: what `build` instantiates."""

    stage: int
    index: int  # within the stage
    block: str
    in_width: int
    width: int
    stride: int
    groups: int
    expansion: float
    extras: Any
    drop_path: float

    def label(self) -> str:
        return f"stages.{self.stage}.{self.index}"


def make_divisible(value: float, divisor: int) -> int:
    """Round a scaled width to a multiple of `divisor`, never more than 10% down.

    The rule of the MobileNet reference code (torchvision `_make_divisible`); with divisor 1 it
    is plain rounding.
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


@dataclass(frozen=True)
class Net:
    """A point of the search space: stem -> stages -> head."""

    stages: tuple[Stage, ...]
    stem: str = "cifar"
    stem_width: int = 16
    head: str = "pool_fc"
    head_width: int = 0  # conv_pool_fc only: channels of the 1x1 conv before pooling
    dropout: float = 0.0  # before the final FC (VGG: between the FCs)
    num_classes: int = 10
    in_channels: int = 3
    width_mult: float = 1.0
    depth_mult: float = 1.0
    round_to: int = 1
    drop_path: float = 0.0
    name: str = field(default="", compare=False)  # preset label; not part of the point

    def __post_init__(self) -> None:
        stages = self.stages
        if isinstance(stages, list):
            stages = tuple(stages)
            object.__setattr__(self, "stages", stages)
        if not isinstance(stages, tuple) or not stages:
            raise ValueError(f"stages={self.stages!r} must be a non-empty tuple of Stage")
        for i, s in enumerate(stages):
            if not isinstance(s, Stage):
                raise ValueError(f"stages[{i}]={s!r} is not a Stage")
        _check_fields(self, "")
        if self.stem not in STEMS:
            raise ValueError(f"stem={self.stem!r} is unknown; choose one of {list(STEMS)}")
        if self.head not in HEADS:
            raise ValueError(f"head={self.head!r} is unknown; choose one of {list(HEADS)}")
        for name in ("num_classes", "in_channels", "round_to"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must be >= 1")
        if self.stem != "none" and self.stem_width < 1:
            raise ValueError(f"stem_width={self.stem_width} must be >= 1")
        if self.head == "conv_pool_fc" and self.head_width < 1:
            raise ValueError(f"head_width={self.head_width} must be >= 1 for head conv_pool_fc")
        if not 0.0 <= self.drop_path < 1.0:
            raise ValueError(f"drop_path={self.drop_path} must be in [0, 1)")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout} must be in [0, 1)")
        for name in ("width_mult", "depth_mult"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)} must be > 0")
        self.blocks()  # resolves widths and checks groups against the channels they split

    # ---- resolution -----------------------------------------------------------------------

    def scaled(self, width: int) -> int:
        """A width after the global width multiplier."""
        if self.width_mult == 1.0:
            return width
        return make_divisible(width * self.width_mult, self.round_to)

    @property
    def stem_out(self) -> int:
        return self.in_channels if self.stem == "none" else self.scaled(self.stem_width)

    @property
    def head_in(self) -> int:
        return self.blocks()[-1].width

    @property
    def head_out(self) -> int:
        """Channels the final FC sees. MobileNetV2 never shrinks its head below head_width."""
        if self.head == "conv_pool_fc":
            return make_divisible(self.head_width * max(1.0, self.width_mult), self.round_to)
        return self.head_in

    def blocks(self) -> list[ResolvedBlock]:
        """Every block of the net, multipliers and drop-path schedule applied, validated."""
        depths = [max(1, math.ceil(s.depth * self.depth_mult)) for s in self.stages]
        total = sum(depths)
        out: list[ResolvedBlock] = []
        in_width = self.stem_out
        for si, (stage, depth) in enumerate(zip(self.stages, depths, strict=True)):
            width = self.scaled(stage.width)
            for bi in range(depth):
                position = len(out) + 1  # 1-based index over the whole net (Huang et al.)
                rb = ResolvedBlock(
                    stage=si,
                    index=bi,
                    block=stage.block,
                    in_width=in_width,
                    width=width,
                    stride=stage.stride if bi == 0 else 1,
                    groups=stage.groups,
                    expansion=stage.expansion,
                    extras=stage.extras,
                    drop_path=self.drop_path * position / total,
                )
                _check_groups(rb)
                out.append(rb)
                in_width = width
        return out

    def validate(self, input_size: tuple[int, int, int] | tuple[int, int] | int) -> None:
        """Raise ValueError if the input channels differ or a feature map shrinks below 1 px."""
        if isinstance(input_size, int):
            h = w = input_size
        elif len(input_size) == 3:
            c, h, w = input_size
            if c != self.in_channels:
                raise ValueError(
                    f"input_size channels={c} but in_channels={self.in_channels}; "
                    "adapt the net with .adapt(in_channels=...)"
                )
        else:
            h, w = input_size
        size = input_size if isinstance(input_size, int) else tuple(input_size)
        for where, reduce in _size_steps(self):
            h, w = reduce(h), reduce(w)
            if h < 1 or w < 1:
                raise ValueError(
                    f"stride sequence shrinks a {size} input below 1 pixel at {where}; "
                    "use a larger input or fewer stride-2 stages"
                )

    # ---- variants ---------------------------------------------------------------------------

    def replace(self, **changes: Any) -> Net:
        return dataclasses.replace(self, **changes)

    def adapt(
        self,
        *,
        num_classes: int | None = None,
        in_channels: int | None = None,
        small_input: bool = False,
    ) -> Net:
        """The same point for another dataset: classes, input channels, and (small_input) the
        small-image stem instead of an ImageNet-style downsampling stem."""
        changes: dict[str, Any] = {}
        if num_classes is not None:
            changes["num_classes"] = num_classes
        if in_channels is not None:
            changes["in_channels"] = in_channels
        if small_input:
            changes["stem"] = _SMALL_INPUT_STEM.get(self.stem, self.stem)
        return self.replace(**changes)

    # ---- serialisation --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.compare}
        d["stages"] = [
            {**{f.name: getattr(s, f.name) for f in dataclasses.fields(s) if f.name != "extras"},
             "extras": dataclasses.asdict(s.extras)}
            for s in self.stages
        ]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Net:
        d = dict(d)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"{unknown} not a field of Net; valid: {sorted(names)}")
        if "stages" not in d:
            raise ValueError("stages missing")
        stages = []
        for i, s in enumerate(d.pop("stages")):
            s = dict(s)
            snames = {f.name for f in dataclasses.fields(Stage)}
            bad = sorted(set(s) - snames)
            if bad:
                raise ValueError(f"stages.{i}: {bad} not a field of Stage; valid: {sorted(snames)}")
            if "block" not in s:
                raise ValueError(f"stages.{i}.block missing")
            s["extras"] = make_extras(s["block"], s.get("extras"), f"stages.{i}.extras")
            stages.append(Stage(**s))
        return cls(stages=tuple(stages), **d)

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace. The preset name is not part of it."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Net:
        return cls.from_dict(json.loads(text))

    def key(self) -> str:
        """Stable 16-hex-digit hash of the canonical form; equal points have equal keys."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    def flat(self) -> dict[str, Any]:
        """One level of dotted keys with scalar values, e.g. ``stages.0.extras.preact``."""
        out: dict[str, Any] = {}
        for k, v in self.to_dict().items():
            if k != "stages":
                out[k] = v
        out["num_stages"] = len(self.stages)
        for i, s in enumerate(self.to_dict()["stages"]):
            for k, v in s.items():
                if k == "extras":
                    for ek, ev in v.items():
                        out[f"stages.{i}.extras.{ek}"] = ev
                else:
                    out[f"stages.{i}.{k}"] = v
        return out

    @classmethod
    def from_flat(cls, flat: dict[str, Any]) -> Net:
        """Inverse of `flat`; values may be strings (as MLflow params come back)."""
        top: dict[str, Any] = {}
        stages: dict[int, dict[str, Any]] = {}
        for k, v in flat.items():
            if k == "num_stages":
                continue
            if not k.startswith("stages."):
                top[k] = v
                continue
            parts = k.split(".")
            try:
                i = int(parts[1])
            except (IndexError, ValueError):
                raise ValueError(f"{k!r} is not a valid stage key (stages.<i>.<field>)") from None
            st = stages.setdefault(i, {"extras": {}})
            if len(parts) == 4 and parts[2] == "extras":
                st["extras"][parts[3]] = v
            elif len(parts) == 3:
                st[parts[2]] = v
            else:
                raise ValueError(f"{k!r} is not a valid stage key (stages.<i>.<field>)")
        if "num_stages" in flat and int(flat["num_stages"]) != len(stages):
            raise ValueError(f"num_stages={flat['num_stages']} but {len(stages)} stages given")
        if sorted(stages) != list(range(len(stages))):
            raise ValueError(f"stage indices {sorted(stages)} are not 0..{len(stages) - 1}")
        top["stages"] = [stages[i] for i in range(len(stages))]
        return cls.from_dict(top)


def _check_groups(rb: ResolvedBlock) -> None:
    """groups must divide every channel count its conv splits."""
    where = f"stages.{rb.stage}.groups={rb.groups}"
    if rb.block == "bottleneck":
        inner = inner_width(rb)
        if inner % rb.groups:
            raise ValueError(f"{where} does not divide the bottleneck width {inner}")
    elif rb.block in ("basic", "plain"):
        for ch in (rb.in_width, rb.width):
            if ch % rb.groups:
                raise ValueError(f"{where} does not divide {ch} channels")
    elif rb.groups != 1:
        raise ValueError(f"{where}: block {rb.block!r} takes no groups (its 3x3 is depthwise)")


def inner_width(rb: ResolvedBlock) -> int:
    """Width inside a block: bottleneck = expansion x output width; inverted = x input width."""
    reference = rb.in_width if rb.block == "inverted" else rb.width
    return max(1, round(reference * rb.expansion))


def _size_steps(net: Net) -> list[tuple[str, Any]]:
    """Spatial reductions in order, as (where, size -> size) for `validate`."""

    def conv(k: int, s: int, p: int):
        return lambda n: (n + 2 * p - k) // s + 1

    steps: list[tuple[str, Any]] = []
    if net.stem == "imagenet":
        steps += [("stem conv", conv(7, 2, 3)), ("stem max-pool", conv(3, 2, 1))]
    elif net.stem == "mobilenet_v2":
        steps.append(("stem conv", conv(3, 2, 1)))
    for rb in net.blocks():
        if rb.stride == 2:
            # VGG downsamples with a 2x2 max-pool (floors), the others with a padded 3x3 conv.
            reduce = conv(2, 2, 0) if rb.block == "plain" else conv(3, 2, 1)
            steps.append((f"{rb.label()} (stride 2)", reduce))
    if net.head == "vgg":
        steps.append(("head max-pool", conv(2, 2, 0)))
    return steps
