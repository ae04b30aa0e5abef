"""The search space as data: `Net` and `Stage`, the axes, their validation and serialisation.

A `Net` is a point of the space. Nothing here builds modules or names a family: blocks, stems,
heads and auxiliary classifiers are looked up by name in the registry (registry.py), which the
families fill (families/). `backbone.build` turns a point into an `nn.Module`; `Net.blocks()` is
the one place that resolves multipliers, widths and the drop-path schedule into concrete
per-block settings that both validation and `build` use. Feature-map sizes come from the
modules themselves (`validate`, geometry.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Any

from .coerce import coerce, coerce_fields
from .extras import Extras
from .registry import aux_heads, blocks, heads, stems

# --------------------------------------------------------------------------------------------
# Glossary: every axis of the space, defined once.
# --------------------------------------------------------------------------------------------

GLOSSARY: dict[str, str] = {
    "block": "block type of a stage: a name in the block registry (search_space.registry.blocks: "
    "plain, basic, bottleneck, inverted, inception, dense, shuffle, fractal, regnet_x, ...)",
    "depth": "number of blocks in a stage (scaled by Net.depth_mult, rounded up)",
    "width": (
        "output channels of every block in a stage (scaled by Net.width_mult); for dense "
        "layers the growth rate k, the channels each layer appends"
    ),
    "stride": "stride of the first block of a stage; the other blocks have stride 1",
    "groups": (
        "groups of the spatial conv (ResNeXt cardinality); for shuffle units, groups of the "
        "1x1 convs"
    ),
    "expansion": (
        "inner width / reference width. Bottleneck: reference = output width "
        "(ResNet-50 0.25, WRN-50-2 0.5). Inverted: reference = input width (MobileNetV2 t = 6)"
    ),
    "drop_path": (
        "stochastic depth: drop rate of the last block; block l of L (1-based) drops its "
        "residual branch with probability drop_path * l / L (Huang et al. 2016, linear decay)"
    ),
    "extras": "typed per-block fields: each block's *Extras dataclass, in its family module",
    "aux_after": "stage indices followed by an auxiliary classifier (GoogLeNet, Inception-v3)",
    "width_mult": "global multiplier on every stage width, the stem and the head width",
    "depth_mult": "global multiplier on every stage depth (rounded up)",
    "round_to": "scaled widths are rounded to a multiple of this (MobileNetV2 uses 8)",
}

# Bounds that keep every point buildable in finite time and memory arithmetic: no classic net
# comes near them (ResNet-1202 has 600 blocks; the widest multipliers in use are below 100).
MAX_BLOCKS = 5000
MAX_MULTIPLIER = 1e6

def _check_fields(obj: Any, prefix: str) -> None:
    """Coerce and check every field of a frozen dataclass against its type hints."""
    coerce_fields(obj, prefix, skip=("stages", "extras"))


def make_extras(block: str, values: dict[str, Any] | None = None, where: str = "extras") -> Any:
    """The extras object of `block` from a dict of field values (strings are coerced)."""
    cls = blocks.lookup(block, "block").extras
    values = dict(values or {})
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(
            f"{where}: {unknown} not an extra of block {block!r}; valid: {sorted(names)}"
        )
    hints = typing.get_type_hints(cls)
    return cls(**{k: coerce(v, hints[k], f"{where}.{k}") for k, v in values.items()})


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
        if not isinstance(self.block, str):
            raise ValueError(f"block={self.block!r} is not a string")
        extras_cls = blocks.lookup(self.block, "block").extras
        _check_fields(self, "")
        if self.depth < 1:
            raise ValueError(f"depth={self.depth} must be >= 1")
        if self.width < 1:
            raise ValueError(f"width={self.width} must be >= 1")
        if self.stride not in (1, 2):
            raise ValueError(f"stride={self.stride} must be 1 or 2")
        if self.groups < 1:
            raise ValueError(f"groups={self.groups} must be >= 1")
        if not 0 < self.expansion <= MAX_MULTIPLIER:
            raise ValueError(f"expansion={self.expansion} must be in (0, {MAX_MULTIPLIER:g}]")
        if self.depth > MAX_BLOCKS:
            raise ValueError(f"depth={self.depth} is above the limit of {MAX_BLOCKS} blocks")
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
    width: int  # the stage's (scaled) width axis
    stride: int
    groups: int
    expansion: float
    extras: Any
    drop_path: float
    out_width: int = -1  # channels the block emits; -1 = derive from the extras
    inner_width: int = -1  # width inside the block; -1 = derive from expansion

    def __post_init__(self) -> None:
        if self.out_width < 0:
            out = self.extras.out_width(self.in_width, self.width, self.stride)
            object.__setattr__(self, "out_width", out)
        if self.inner_width < 0:
            # Reference width of `expansion`, as the block's paper defines it (Extras.expansion_of)
            reference = self.in_width if self.extras.expansion_of == "input" else self.width
            object.__setattr__(self, "inner_width", max(1, round(reference * self.expansion)))

    @property
    def where(self) -> str:
        return f"stages.{self.stage}"

    def label(self) -> str:
        return f"stages.{self.stage}.{self.index}"


def _probes(value: Any, default: Any, hint: Any) -> list:
    """Other values of an extras field to ask whether they build the same as `value`: every
    option of a bool or a Literal; for a number the default and one more (a block that reads
    a number is changed by every other value)."""
    if isinstance(value, bool):
        options: tuple = (True, False)
    elif typing.get_origin(hint) is typing.Literal:
        options = typing.get_args(hint)
    elif isinstance(value, (int, float)):
        options = (default, value * 2 if value else 1)
    else:
        options = (default,)
    return [option for option in options if option != value]


def _known_fields(given: dict[str, Any], cls: type, where: str) -> None:
    """ValueError naming the keys of `given` that are not fields of the dataclass `cls`."""
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(given) - names)
    if unknown:
        raise ValueError(f"{where}{unknown} not a field of {cls.__name__}; valid: "
                         f"{sorted(names)}")


def make_divisible(value: float, divisor: int) -> int:
    """Round a scaled width to a multiple of `divisor`, never more than 10% down.

    The rule of the MobileNet reference code (torchvision `_make_divisible`); with divisor 1 it
    is plain rounding.
    """
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


# Net fields whose whole effect on the built modules goes through the point's resolution (the
# stem's output width, the resolved blocks, the head's output width): Net.canonical compares
# those to decide whether a value has any effect (tests/test_axes_with_effect.py builds every
# preset with each of them changed to check that nothing else reads them).
RESOLVED_FIELDS = ("stem_width", "width_mult", "depth_mult", "round_to")


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
    aux_after: tuple[int, ...] = ()  # stage indices followed by an auxiliary classifier
    aux_head: str = "googlenet"  # the kind of auxiliary classifier (registry.aux_heads)
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
        stem = stems.lookup(self.stem, "stem")
        head = heads.lookup(self.head, "head")
        aux_heads.lookup(self.aux_head, "aux_head")
        for name in ("num_classes", "in_channels", "round_to"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must be >= 1")
        if stem.needs_stem_width and self.stem_width < 1:
            raise ValueError(f"stem_width={self.stem_width} must be >= 1")
        if head.needs_head_width and self.head_width < 1:
            raise ValueError(f"head_width={self.head_width} must be >= 1 for head {self.head}")
        if not head.needs_head_width and self.head_width != 0:  # a point no module differs by
            users = ", ".join(sorted(name for name in heads if heads[name].needs_head_width))
            raise ValueError(f"head_width={self.head_width} has no effect on head {self.head} "
                             f"(only {users} use it); leave it at 0")
        if not 0.0 <= self.drop_path < 1.0:
            raise ValueError(f"drop_path={self.drop_path} must be in [0, 1)")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout} must be in [0, 1)")
        for name in ("width_mult", "depth_mult"):
            if not 0 < getattr(self, name) <= MAX_MULTIPLIER:
                raise ValueError(f"{name}={getattr(self, name)} must be in (0, "
                                 f"{MAX_MULTIPLIER:g}]")
        blocks = sum(math.ceil(s.depth * self.depth_mult) for s in stages)
        if blocks > MAX_BLOCKS:  # checked before the blocks are listed one by one
            raise ValueError(f"depth_mult={self.depth_mult}: {blocks} blocks, above the limit "
                             f"of {MAX_BLOCKS} (the deepest classic net, ResNet-1202, has 600)")
        if list(self.aux_after) != sorted(set(self.aux_after)) or any(
            not 0 <= i < len(stages) - 1 for i in self.aux_after
        ):
            raise ValueError(
                f"aux_after={self.aux_after} must be increasing stage indices below the last "
                f"stage ({len(stages) - 1})"
            )
        fixed = [s.extras.fixed_widths for s in stages if s.extras.fixed_widths]
        if self.width_mult != 1.0 and fixed:
            raise ValueError(f"width_mult={self.width_mult}: {fixed[0]}")
        self.blocks()  # resolves widths and runs every block's own checks

    # ---- resolution -----------------------------------------------------------------------

    def scaled(self, width: int) -> int:
        """A width after the global width multiplier."""
        if self.width_mult == 1.0:
            return width
        return make_divisible(width * self.width_mult, self.round_to)

    @property
    def stem_out(self) -> int:
        """Channels the stem emits: the scaled stem_width unless the stem says otherwise."""
        out_width = stems.lookup(self.stem, "stem").out_width
        return out_width(self) if out_width else self.scaled(self.stem_width)

    @property
    def aux_weights(self) -> tuple[float, ...]:
        """Loss weight of each auxiliary head, as the papers train them."""
        return (aux_heads.lookup(self.aux_head, "aux_head").loss_weight,) * len(self.aux_after)

    @property
    def head_in(self) -> int:
        return self.blocks()[-1].out_width

    @property
    def head_out(self) -> int:
        """Channels the final FC sees: the last block's unless the head says otherwise."""
        out_width = heads.lookup(self.head, "head").out_width
        return out_width(self) if out_width else self.head_in

    def blocks(self) -> list[ResolvedBlock]:
        """Every block of the net, multipliers and drop-path schedule applied, validated."""
        depths = [max(1, math.ceil(s.depth * self.depth_mult)) for s in self.stages]
        total = sum(depths)
        out: list[ResolvedBlock] = []
        in_width = self.stem_out
        for si, (stage, depth) in enumerate(zip(self.stages, depths, strict=True)):
            width = self.scaled(stage.width)
            extras = self._scaled_extras(stage.extras)
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
                    extras=extras,
                    drop_path=self.drop_path * position / total,
                )
                rb.extras.check(rb)
                out.append(rb)
                in_width = rb.out_width
        return out

    def _scaled_extras(self, extras: Extras) -> Extras:
        """Extras with their channel-count fields (metadata width=True) scaled."""
        if self.width_mult == 1:
            return extras
        changes = {
            f.name: self.scaled(getattr(extras, f.name))
            for f in dataclasses.fields(extras)
            if f.metadata.get("width")
        }
        return dataclasses.replace(extras, **changes) if changes else extras

    def input_shape(self, input_size: tuple[int, int, int] | tuple[int, int] | int
                    ) -> tuple[int, int, int]:
        """(C, H, W) from any of the accepted conventions: N (an N x N image), (H, W), or
        (C, H, W), whose C must be this net's in_channels."""
        if isinstance(input_size, int) and not isinstance(input_size, bool):
            size: tuple = (self.in_channels, input_size, input_size)
        elif isinstance(input_size, (tuple, list)) and len(input_size) in (2, 3):
            size = tuple(input_size)
            if len(size) == 2:
                size = (self.in_channels, *size)
        else:
            raise ValueError(f"input_size={input_size!r} must be N, (H, W) or (C, H, W)")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in size):
            raise ValueError(f"input_size={input_size!r} must hold positive integers")
        if size[0] != self.in_channels:
            raise ValueError(
                f"input_size channels={size[0]} but in_channels={self.in_channels}; "
                "adapt the net with .adapt(in_channels=...)"
            )
        return size  # type: ignore[return-value]

    def validate(self, input_size: tuple[int, int, int] | tuple[int, int] | int) -> None:
        """Raise ValueError if the input channels differ or a feature map shrinks below 1 px
        (naming the stem, block, auxiliary head or head where it does). The sizes come from
        the modules themselves, run on the meta device (geometry.py; imports torch)."""
        from .geometry import check_feature_maps

        check_feature_maps(self, self.input_shape(input_size), input_size)

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
            changes["stem"] = stems.lookup(self.stem, "stem").small_input or self.stem
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
        if not isinstance(d, dict):
            raise ValueError(f"a point is a JSON object of Net fields, not {type(d).__name__}")
        d = dict(d)
        _known_fields(d, cls, "")
        if "stages" not in d:
            raise ValueError("stages missing")
        stages = []
        listed = d.pop("stages")
        if not isinstance(listed, (list, tuple)) or not listed:
            raise ValueError(f"stages={listed!r} must be a non-empty list of stages")
        for i, s in enumerate(listed):
            if not isinstance(s, dict):
                raise ValueError(f"stages.{i}={s!r} is not an object of Stage fields")
            s = dict(s)
            _known_fields(s, Stage, f"stages.{i}: ")
            if "block" not in s:
                raise ValueError(f"stages.{i}.block missing")
            extras = s.get("extras")
            if extras is not None and not isinstance(extras, dict):
                raise ValueError(f"stages.{i}.extras={extras!r} is not an object")
            s["extras"] = make_extras(s["block"], extras, f"stages.{i}.extras")
            stages.append(_construct(Stage, s, f"stages.{i}"))
        return _construct(cls, {**d, "stages": tuple(stages)}, "Net")

    def to_json(self) -> str:
        """Canonical JSON: sorted keys, no whitespace. The preset name is not part of it."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Net:
        try:
            d = json.loads(text)
        except ValueError as e:
            raise ValueError(f"a point's JSON does not parse: {e}") from None
        return cls.from_dict(d)

    def key(self) -> str:
        """Stable 16-hex-digit hash of the canonical form (`canonical`): equal points, and
        points that differ only by a value with no effect on what they build, have equal keys,
        so an ablation cannot count one net twice and a search does not train it twice."""
        return hashlib.sha256(self.canonical().to_json().encode()).hexdigest()[:16]

    def canonical(self) -> Net:
        """This point with every value that changes nothing it builds (the same stem output,
        resolved blocks and head output) settled, so that two points build the same modules
        exactly when their canonical forms are equal:
        - a RESOLVED_FIELDS value goes back to its default: e.g. round_to=16 on a net whose
          widths are all multiples of 16 already, depth_mult=0.5 on stages of one block each,
          stem_width on a stem of fixed width;
        - aux_head goes back to its default on a net without auxiliary classifiers;
        - a stage's expansion goes back to its default where its blocks do not read it
          (Extras.reads_expansion: a basic block, a dense layer, ...);
        - a block extra that a stage's blocks leave unused (Extras.as_built: shortcut B or A
          where no block changes shape, a pool on a stride-1 stage) takes the value the other
          stages of its block type agree on where it does matter, else its default. So a
          uniform point keeps its key: ResNet-20's shortcut A on every stage, the first
          stage's identity shortcuts included."""
        net, resolution = self, self._resolution()  # every accepted change keeps it
        defaults = {f.name: f.default for f in dataclasses.fields(Net)}
        for name in RESOLVED_FIELDS:
            if getattr(net, name) != defaults[name]:
                net = net._if_same(resolution, **{name: defaults[name]}) or net
        if not net.aux_after:  # no auxiliary classifier: its kind builds nothing
            net = dataclasses.replace(net, aux_head=defaults["aux_head"])
        expansion = Stage.__dataclass_fields__["expansion"].default
        for i, stage in enumerate(self.stages):  # an expansion its blocks do not read
            if stage.expansion != expansion:
                net = net._with_stage(resolution, i, expansion=expansion) or net
        return net._settled_extras(resolution)

    def _settled_extras(self, resolution: tuple) -> Net:
        net = self
        for kind in dict.fromkeys(type(s.extras) for s in self.stages):  # in stage order
            at = [i for i, s in enumerate(self.stages) if type(s.extras) is kind]
            hints = typing.get_type_hints(kind)
            for f in dataclasses.fields(kind):
                value_at = {i: getattr(net.stages[i].extras, f.name) for i in at}
                # A stage's value is pinned where no other value builds the same there.
                pinned = {i for i, v in value_at.items() if not any(
                    net._with_extra(resolution, i, f.name, probe) is not None
                    for probe in _probes(v, f.default, hints[f.name]))}
                agreed = {value_at[i] for i in pinned}
                preferred = [*agreed, f.default] if len(agreed) == 1 else [f.default]
                for i in sorted(set(at) - pinned):
                    for value in preferred:
                        if value == value_at[i]:
                            break
                        other = net._with_extra(resolution, i, f.name, value)
                        if other is not None:
                            net = other
                            break
        return net

    def _with_extra(self, resolution: tuple, i: int, name: str, value: Any) -> Net | None:
        """This point with stage i's extras field `name` set to `value`, if it still resolves
        to `resolution`, else None."""
        try:
            extras = dataclasses.replace(self.stages[i].extras, **{name: value})
        except ValueError:  # not a value of this field
            return None
        return self._with_stage(resolution, i, extras=extras)

    def _with_stage(self, resolution: tuple, i: int, **changes: Any) -> Net | None:
        """This point with stage i's fields `changes`, if it still resolves to `resolution`,
        else None."""
        try:
            stage = dataclasses.replace(self.stages[i], **changes)
        except ValueError:  # the stage refuses the value
            return None
        return self._if_same(resolution, stages=(*self.stages[:i], stage, *self.stages[i + 1:]))

    def _if_same(self, resolution: tuple, **changes: Any) -> Net | None:
        """This point with `changes` if it resolves to `resolution` (builds the same), else
        None."""
        try:
            other = dataclasses.replace(self, **changes)
            return other if other._resolution() == resolution else None
        except ValueError:  # the changed point does not resolve: the value matters
            return None

    def _resolution(self) -> tuple:
        """What the point's modules are built from: the stem's output, every resolved block
        with its extras as the block reads them (Extras.as_built; no expansion where it reads
        none) and the head's output."""
        blocks = tuple(dataclasses.replace(rb, extras=rb.extras.as_built(rb), **(
            {} if rb.extras.reads_expansion else {"expansion": 0.0, "inner_width": 0}))
            for rb in self.blocks())
        return self.stem_out, blocks, self.head_out

    def flat(self) -> dict[str, Any]:
        """One level of dotted keys with scalar values, e.g. ``stages.0.extras.preact``."""
        out: dict[str, Any] = {}
        for k, v in self.to_dict().items():
            if k != "stages":
                out[k] = ",".join(map(str, v)) if isinstance(v, tuple) else v
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


def _construct(cls: type, fields: dict[str, Any], where: str) -> Any:
    """cls(**fields), a missing required field named as a ValueError (not a TypeError)."""
    missing = [f.name for f in dataclasses.fields(cls) if f.init and f.name not in fields
               and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if missing:
        raise ValueError(f"{where}: {', '.join(missing)} missing")
    return cls(**fields)
