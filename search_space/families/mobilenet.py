"""MobileNetV2 (Sandler et al. 2018), torchvision's layout.

Block `inverted` (the inverted residual, with the Fig. 6 ablations as extras), the stems
`mobilenet_v2` and `mobilenet_v2_small` (the same at stride 1, for small images), and the head
`conv_pool_fc`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import torch
from torch import nn

from ..extras import Extras, no_groups
from ..layers import conv_bn, drop_path, pool_fc
from ..registry import BlockType, HeadType, StemType, blocks, heads, stems
from ..spec import make_divisible

if TYPE_CHECKING:
    from ..spec import Net, ResolvedBlock


@dataclass(frozen=True)
class InvertedExtras(Extras):
    """MobileNetV2 inverted residual. activation: after the projection to the bottleneck
    (linear is the paper's choice, Fig. 6a). shortcut: between bottlenecks (the paper), between
    expansions (around the depthwise conv, Fig. 6b), or none."""

    expansion_of: ClassVar[str] = "input"  # t is relative to the block's input width

    activation: Literal["linear", "relu6", "relu"] = "linear"
    shortcut: Literal["bottleneck", "expansion", "none"] = "bottleneck"

    def check(self, rb: Any) -> None:
        no_groups(rb)
        if rb.expansion == 1 and rb.inner_width != rb.in_width:
            raise ValueError(f"{rb.where}.expansion=1 needs inner width == input width")

    def as_built(self, rb: Any) -> Extras:
        """The shortcut the block has: none where its kind does not fit the block's shape."""
        return replace(self, shortcut=shortcut_of(self.shortcut, rb))


def shortcut_of(kind: str, rb: Any) -> str:
    """An inverted residual's shortcut: between bottlenecks only where the block keeps its
    input's shape, between expansions only at stride 1, else none."""
    if kind == "bottleneck" and not (rb.stride == 1 and rb.in_width == rb.out_width):
        return "none"
    if kind == "expansion" and rb.stride != 1:
        return "none"
    return kind


_ACTIVATIONS = {"linear": None, "relu6": nn.ReLU6, "relu": nn.ReLU}


class InvertedResidual(nn.Module):
    """Inverted residual: 1x1 (t*c_in) -> depthwise 3x3, stride s -> 1x1 (w) -> act.
    expansion t is relative to the input width c_in (MobileNetV2 t = 6; no 1x1 expand when
    t = 1). act is extras.activation (linear in the paper). Shortcut between bottlenecks
    (x + block(x), when stride 1 and c_in = w), between expansions (around the depthwise conv,
    when stride 1), or none."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        cin, w, inner = rb.in_width, rb.out_width, rb.inner_width
        # Layout of torchvision's InvertedResidual.conv, so weights pair up by position.
        self.expand = conv_bn(cin, inner, 1, act=nn.ReLU6) if rb.expansion != 1 else None
        if self.expand is None and inner != cin:
            raise ValueError(f"{rb.label()}: expansion 1 needs inner width {inner} == input {cin}")
        self.depthwise = conv_bn(inner, inner, 3, rb.stride, groups=inner, act=nn.ReLU6)
        self.project = conv_bn(inner, w, 1, act=_ACTIVATIONS[ex.activation])
        self.mode = shortcut_of(ex.shortcut, rb)
        self.drop_path = drop_path(rb.drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.expand is None else self.expand(x)
        if self.mode == "expansion":
            h = h + self.drop_path(self.depthwise(h))
            return self.project(h)
        out = self.project(self.depthwise(h))
        if self.mode == "bottleneck":
            return x + self.drop_path(out)
        return out


def conv_head_width(net: Net) -> int:
    """Channels of a 1x1 conv head: head_width, never shrunk by the width multiplier
    (MobileNetV2's rule; ShuffleNet v2's conv5 follows it), rounded as the stage widths."""
    return make_divisible(net.head_width * max(1.0, net.width_mult), net.round_to)


def conv_pool_fc(activation: type[nn.Module]):
    """A head builder: 1x1 conv to the head width -> BN -> activation -> pool -> [dropout] ->
    FC."""
    return lambda net: nn.Sequential(conv_bn(net.head_in, net.head_out, 1, act=activation),
                                     *pool_fc(net))


def mobilenet_stem(stride: int):
    """3x3 conv-BN-ReLU6 at `stride`."""
    return lambda net: conv_bn(net.in_channels, net.stem_out, 3, stride, act=nn.ReLU6)


blocks.add(BlockType("inverted", extras=InvertedExtras, module=InvertedResidual))
stems.add(StemType("mobilenet_v2", build=mobilenet_stem(2), small_input="mobilenet_v2_small"))
stems.add(StemType("mobilenet_v2_small", build=mobilenet_stem(1)))
heads.add(HeadType("conv_pool_fc", build=conv_pool_fc(nn.ReLU6), out_width=conv_head_width,
                   needs_head_width=True))
