"""Typed per-block extras: one frozen dataclass of small hashable fields per block type.

Each extras class also carries its block's channel and geometry rules, so the spec can resolve
and validate a point without building modules:
- `out_width(in_width, width, stride)`: channels the block emits (`width` for most blocks; a
  dense layer appends `width` channels to its input);
- `check(rb)`: raise ValueError for an impossible combination (groups that don't divide, branch
  widths that don't add up to the stage width, ...);
- `downsample`: the spatial reduction of a stride-2 block as (kernel, stride, padding, ceil).

Fields marked `_WIDTH` are channel counts that the net's width multiplier scales.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

_WIDTH = {"width": True}  # dataclass field metadata: scaled by Net.width_mult

Factorize = Literal["none", "stacked_3x3", "asymmetric", "separable"]
"""How a k x k conv (k > 1) is built: as is; as stacked 3x3 convs ((k-1)/2 of them, Inception-v3
Fig. 1); as 1xk then kx1 (Fig. 3); or depthwise-separable (depthwise k x k, then 1x1)."""

CONV_3X3_S2 = (3, 2, 1, False)


@dataclass(frozen=True)
class Extras:
    """Base: the rules most blocks share."""

    downsample = CONV_3X3_S2  # class attribute, not a field

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        return width

    def check(self, rb: Any) -> None:
        """Default: groups split the block's input and output channels."""
        for ch in (rb.in_width, rb.out_width):
            if ch % rb.groups:
                raise ValueError(f"{rb.where}.groups={rb.groups} does not divide {ch} channels")

    def check_factorize(self, rb: Any, kernel: int, factorize: str) -> None:
        if factorize == "stacked_3x3" and (kernel < 3 or kernel % 2 == 0):
            raise ValueError(
                f"{rb.where}.extras.factorize='stacked_3x3' needs an odd kernel >= 3, got {kernel}"
            )


def _no_groups(rb: Any) -> None:
    if rb.groups != 1:
        raise ValueError(f"{rb.where}.groups={rb.groups}: block {rb.block!r} takes no groups")


@dataclass(frozen=True)
class PlainExtras(Extras):
    """Plain conv layer (VGG, AlexNet): k x k conv (with bias) -> [BN] -> ReLU; stride 2 = a
    max-pool (2x2, or AlexNet's overlapping 3x3/2) before the conv."""

    batchnorm: bool = False
    kernel: Literal[3, 1, 5, 7, 11] = 3
    pool: Literal["2x2", "3x3"] = "2x2"
    factorize: Factorize = "none"

    @property
    def downsample(self):  # type: ignore[override]
        return (2, 2, 0, False) if self.pool == "2x2" else (3, 2, 0, False)

    def check(self, rb: Any) -> None:
        super().check(rb)
        self.check_factorize(rb, self.kernel, self.factorize)
        if rb.groups != 1 and self.factorize != "none":
            raise ValueError(f"{rb.where}.groups={rb.groups}: a factorised conv takes no groups")


@dataclass(frozen=True)
class BasicExtras(Extras):
    """Two 3x3 convs. preact: BN-ReLU before each conv (He et al. 2016).
    shortcut: B = 1x1 projection where the shape changes, identity elsewhere; A = strided
    subsample + zero-padded channels, no parameters (He et al. 2015, CIFAR); none = plain net.
    dropout: between the two convs (WRN)."""

    preact: bool = False
    shortcut: Literal["B", "A", "none"] = "B"
    dropout: float = 0.0

    def check(self, rb: Any) -> None:
        super().check(rb)
        if self.shortcut == "A" and rb.out_width < rb.in_width:
            raise ValueError(f"{rb.where}.extras.shortcut='A' cannot reduce channels; use 'B'")


@dataclass(frozen=True)
class BottleneckExtras(Extras):
    """1x1 -> 3x3 -> 1x1. stride_on: 3x3 as torchvision (ResNet v1.5) or 1x1 as the original
    paper (v1). preact and shortcut as in BasicExtras."""

    preact: bool = False
    shortcut: Literal["B", "A", "none"] = "B"
    stride_on: Literal["3x3", "1x1"] = "3x3"

    def check(self, rb: Any) -> None:
        if rb.inner_width % rb.groups:
            raise ValueError(
                f"{rb.where}.groups={rb.groups} does not divide the bottleneck width "
                f"{rb.inner_width}"
            )
        if self.shortcut == "A" and rb.out_width < rb.in_width:
            raise ValueError(f"{rb.where}.extras.shortcut='A' cannot reduce channels; use 'B'")


@dataclass(frozen=True)
class InvertedExtras(Extras):
    """MobileNetV2 inverted residual. activation: after the projection to the bottleneck
    (linear is the paper's choice, Fig. 6a). shortcut: between bottlenecks (the paper), between
    expansions (around the depthwise conv, Fig. 6b), or none."""

    activation: Literal["linear", "relu6", "relu"] = "linear"
    shortcut: Literal["bottleneck", "expansion", "none"] = "bottleneck"

    def check(self, rb: Any) -> None:
        _no_groups(rb)
        if rb.expansion == 1 and rb.inner_width != rb.in_width:
            raise ValueError(f"{rb.where}.expansion=1 needs inner width == input width")


@dataclass(frozen=True)
class InceptionExtras(Extras):
    """GoogLeNet Inception module: branches 1x1 (b1); 1x1 (b3_reduce) -> 3x3 (b3); 1x1
    (b5_reduce) -> k x k (b5, k = b5_kernel); 3x3/1 max-pool -> 1x1 (pool_proj). Without
    `reduce` (the lecture's "naive" module) there are no 1x1 reductions and the pool branch
    passes its input through. stride 2 = a max-pool first (3x3/2, or torchvision's 2x2/2 before
    Inception 5a), ceil mode as torchvision. factorize applies to the 3x3 and k x k convs."""

    b1: int = field(default=64, metadata=_WIDTH)
    b3_reduce: int = field(default=96, metadata=_WIDTH)
    b3: int = field(default=128, metadata=_WIDTH)
    b5_reduce: int = field(default=16, metadata=_WIDTH)
    b5: int = field(default=32, metadata=_WIDTH)
    pool_proj: int = field(default=32, metadata=_WIDTH)
    reduce: bool = True
    b5_kernel: Literal[5, 3] = 5
    pool: Literal["3x3", "2x2"] = "3x3"
    factorize: Factorize = "none"

    @property
    def downsample(self):  # type: ignore[override]
        return (3, 2, 0, True) if self.pool == "3x3" else (2, 2, 0, True)

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        pool = self.pool_proj if self.reduce else in_width
        return self.b1 + self.b3 + self.b5 + pool

    def check(self, rb: Any) -> None:
        _no_groups(rb)
        if rb.width != rb.out_width:
            raise ValueError(
                f"{rb.where}.width={rb.width} but the branches give {rb.out_width} channels "
                f"(b1 + b3 + b5 + {'pool_proj' if self.reduce else 'input'})"
            )
        for name in ("b1", "b3_reduce", "b3", "b5_reduce", "b5", "pool_proj"):
            if getattr(self, name) < 1:
                raise ValueError(f"{rb.where}.extras.{name}={getattr(self, name)} must be >= 1")
        self.check_factorize(rb, self.b5_kernel, self.factorize)


# Output channels of the Inception-v3 modules (Szegedy et al. 2016, Fig. 5-7 and 10; widths as
# torchvision's inception_v3, which follows the authors' TensorFlow release).
_V3_OUT = {
    "A": lambda e, cin: 64 + 64 + 96 + e.pool_features,
    "B": lambda e, cin: 384 + 96 + cin,
    "C": lambda e, cin: 192 * 4,
    "D": lambda e, cin: 320 + 192 + cin,
    "E": lambda e, cin: 320 + 2 * 384 + 2 * 384 + 192,
}


@dataclass(frozen=True)
class InceptionV3Extras(Extras):
    """Inception-v3 modules. A: 5x5 factorised into two 3x3 (Fig. 5); B: 35->17 grid reduction
    (Fig. 10); C: n x n factorised into 1xn + nx1 with n = 7 (Fig. 6); D: 17->8 reduction;
    E: expanded filter banks (Fig. 7). B and D are the stride-2 modules. Inner widths are the
    paper's and fixed (width_mult does not apply); pool_features (A) and channels_7x7 (C) vary."""

    module: Literal["A", "B", "C", "D", "E"] = "A"
    pool_features: int = 32
    channels_7x7: int = 128

    downsample = (3, 2, 0, False)

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        return _V3_OUT[self.module](self, in_width)

    def check(self, rb: Any) -> None:
        _no_groups(rb)
        reducing = self.module in ("B", "D")
        if rb.stride != (2 if reducing else 1):
            raise ValueError(
                f"{rb.where}.stride={rb.stride}: Inception-v3 module {self.module} has stride "
                f"{2 if reducing else 1}"
            )
        for name in ("pool_features", "channels_7x7"):
            if getattr(self, name) < 1:
                raise ValueError(f"{rb.where}.extras.{name}={getattr(self, name)} must be >= 1")
        if rb.width != rb.out_width:
            raise ValueError(
                f"{rb.where}.width={rb.width} but module {self.module} gives {rb.out_width} "
                "channels"
            )


@dataclass(frozen=True)
class DenseExtras(Extras):
    """DenseNet layer: [BN-ReLU-1x1 (bn_size * k) if bottleneck, "B"] -> BN-ReLU-3x3 (k), output
    concatenated to the input; a stage's width is the growth rate k. The first layer of a
    stride-2 stage starts with a transition: BN-ReLU-1x1 to floor(compression * c) ("C") and a
    2x2 average pool."""

    bottleneck: bool = True
    bn_size: int = 4
    compression: float = 0.5
    dropout: float = 0.0

    downsample = (2, 2, 0, False)

    def transition_width(self, in_width: int) -> int:
        return int(in_width * self.compression)

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        base = self.transition_width(in_width) if stride == 2 else in_width
        return base + width

    def check(self, rb: Any) -> None:
        _no_groups(rb)
        if not 0 < self.compression <= 1:
            raise ValueError(f"{rb.where}.extras.compression={self.compression} must be in (0, 1]")
        if self.bn_size < 1:
            raise ValueError(f"{rb.where}.extras.bn_size={self.bn_size} must be >= 1")
        if rb.stride == 2 and self.transition_width(rb.in_width) < 1:
            raise ValueError(
                f"{rb.where}.extras.compression={self.compression}: the transition compresses "
                f"{rb.in_width} channels to 0; raise compression or the width before it")


@dataclass(frozen=True)
class ShuffleExtras(Extras):
    """ShuffleNet v1 unit: g-grouped 1x1 (w * e) -> channel shuffle -> depthwise 3x3, stride s
    -> g-grouped 1x1; stride 1 adds the input, stride 2 concatenates a 3x3/2 average pool of it
    (so the branch emits w - c_in). ungrouped_first: the stage's first unit does not group its
    first 1x1 (the paper does this in stage 2, whose input has only 24 channels)."""

    shuffle: bool = True
    ungrouped_first: bool = False

    def check(self, rb: Any) -> None:
        branch_out = rb.out_width - (rb.in_width if rb.stride == 2 else 0)
        if branch_out < 1:
            raise ValueError(
                f"{rb.where}.width={rb.width} must exceed the input {rb.in_width} of a "
                "stride-2 unit"
            )
        if rb.stride == 1 and rb.in_width != rb.out_width:
            raise ValueError(f"{rb.where}: a stride-1 unit needs width == input width")
        first_groups = 1 if (self.ungrouped_first and rb.index == 0) else rb.groups
        for what, ch, g in (
            ("input", rb.in_width, first_groups),
            ("bottleneck width", rb.inner_width, rb.groups),
            ("branch output", branch_out, rb.groups),
        ):
            if ch % g:
                raise ValueError(f"{rb.where}.groups={g} does not divide the {what} {ch}")


@dataclass(frozen=True)
class ShuffleV2Extras(Extras):
    """ShuffleNet v2 unit: stride 1 splits the channels in half, transforms one half (1x1 ->
    depthwise 3x3 -> 1x1) and concatenates; stride 2 transforms the whole input in two branches
    (depthwise 3x3/2 -> 1x1, and 1x1 -> depthwise 3x3/2 -> 1x1), each w/2 wide. Then a channel
    shuffle of 2 groups (off with shuffle=False)."""

    shuffle: bool = True

    def check(self, rb: Any) -> None:
        _no_groups(rb)
        if rb.out_width % 2:
            raise ValueError(f"{rb.where}.width={rb.out_width} must be even")
        if rb.stride == 1 and rb.in_width != rb.out_width:
            raise ValueError(f"{rb.where}: a stride-1 unit needs width == input width")


@dataclass(frozen=True)
class FractalExtras(Extras):
    """FractalNet block of C columns: f_1 = conv, f_{C+1} = join(f_C o f_C, conv); column c has
    2^(c-1) conv-BN-ReLU layers, joins take the element-wise mean. Training-time drop-path:
    each mini-batch is either local (each join input dropped with probability local_drop,
    keeping at least one) or, with probability global_drop, global (one column, the same in
    every block, is the whole network). dropout: after every conv of the block. stride 2 = a
    2x2 max-pool after the block (the paper pools after every block)."""

    columns: int = 3
    local_drop: float = 0.15
    global_drop: float = 0.5
    dropout: float = 0.0

    downsample = (2, 2, 0, False)

    def check(self, rb: Any) -> None:
        _no_groups(rb)
        if not 1 <= self.columns <= 6:
            raise ValueError(f"{rb.where}.extras.columns={self.columns} must be in 1..6")
        for name in ("local_drop", "global_drop"):
            if not 0 <= getattr(self, name) < 1:
                value = getattr(self, name)
                raise ValueError(f"{rb.where}.extras.{name}={value} must be in [0, 1)")


BLOCK_EXTRAS: dict[str, type[Extras]] = {
    "plain": PlainExtras,
    "basic": BasicExtras,
    "bottleneck": BottleneckExtras,
    "inverted": InvertedExtras,
    "inception": InceptionExtras,
    "inception_v3": InceptionV3Extras,
    "dense": DenseExtras,
    "shuffle": ShuffleExtras,
    "shuffle_v2": ShuffleV2Extras,
    "fractal": FractalExtras,
}
"""Block type -> its extras dataclass. `blocks.BLOCKS` must register exactly these names."""
