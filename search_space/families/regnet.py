"""RegNet (Radosavovic et al. 2020, "Designing Network Design Spaces"), torchvision's layout.

Blocks `regnet_x` (the X block: a residual bottleneck whose 3x3 conv is grouped) and `regnet_y`
(X plus squeeze-excitation), the stem `regnet` (torchvision's SimpleStemIN), and `regnet()`,
which turns the six numbers of RegNet's own design space into a point. The nets end with the
`pool_fc` head (resnet family).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..extras import Extras
from ..layers import conv_bn, drop_path
from ..registry import BlockType, StemType, blocks, stems
from ..spec import Net, Stage, make_divisible

if TYPE_CHECKING:
    from ..spec import ResolvedBlock


@dataclass(frozen=True)
class RegNetXExtras(Extras):
    """RegNet X block: 1x1 (w_b) -> 3x3 (w_b), stride s, `groups` groups of the group width
    -> 1x1 (w); + shortcut (identity, or 1x1/s conv-BN where the shape changes); ReLU after the
    sum. w_b = w * expansion (the paper's bottleneck ratio b is 1 / expansion)."""

    se_ratio: ClassVar[float] = 0.0  # the X block has no squeeze-excitation

    def check(self, rb: Any) -> None:
        if rb.inner_width % rb.groups:
            raise ValueError(f"{rb.where}.groups={rb.groups} does not divide the bottleneck "
                             f"width {rb.inner_width}")


@dataclass(frozen=True)
class RegNetYExtras(RegNetXExtras):
    """RegNet Y block: the X block with squeeze-excitation after the 3x3 conv: global pool ->
    1x1 (round(se_ratio * c_in), c_in the block's input width, as torchvision) -> ReLU -> 1x1
    (w_b) -> sigmoid, scaling the channels."""

    se_ratio: float = 0.25

    def check(self, rb: Any) -> None:
        super().check(rb)
        if not 0 < self.se_ratio <= 1:
            raise ValueError(f"{rb.where}.extras.se_ratio={self.se_ratio} must be in (0, 1]")
        if round(self.se_ratio * rb.in_width) < 1:
            raise ValueError(f"{rb.where}.extras.se_ratio={self.se_ratio}: the squeeze of "
                             f"{rb.in_width} input channels has no channel; raise it")


class SqueezeExcitation(nn.Module):
    """x * sigmoid(fc2(relu(fc1(avgpool(x))))), the FCs as 1x1 convs with bias."""

    def __init__(self, channels: int, squeeze: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)), inplace=True))
        return x * torch.sigmoid(scale)


class RegNetBlock(nn.Module):
    """The X and Y blocks (RegNetXExtras, RegNetYExtras), registered in torchvision's order:
    projection, then a (1x1), b (3x3 grouped), [se], c (1x1)."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        cin, w, inner = rb.in_width, rb.out_width, rb.inner_width
        self.proj = conv_bn(cin, w, 1, rb.stride) if (cin != w or rb.stride != 1) else None
        self.a = conv_bn(cin, inner, 1, act=nn.ReLU)
        self.b = conv_bn(inner, inner, 3, rb.stride, groups=rb.groups, act=nn.ReLU)
        se_ratio = rb.extras.se_ratio
        self.se = SqueezeExcitation(inner, round(se_ratio * cin)) if se_ratio else nn.Identity()
        self.c = conv_bn(inner, w, 1)
        self.drop_path = drop_path(rb.drop_path)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.drop_path(self.c(self.se(self.b(self.a(x)))))
        return F.relu(out + (x if self.proj is None else self.proj(x)))


# ---- the design space ---------------------------------------------------------------------

QUANTUM = 8  # widths are multiples of 8 (the paper's q)


@dataclass(frozen=True)
class RegNetStage:
    width: int
    depth: int
    groups: int


def regnet_stages(depth: int, w0: int, wa: float, wm: float, group_width: int,
                  bottleneck_ratio: float = 1.0) -> list[RegNetStage]:
    """The stages of the RegNet with these design parameters (paper Section 3.3):

    u_j = w0 + wa * j for the blocks j < depth (a linear width ramp), quantised in log space:
    s_j = round(log(u_j / w0) / log(wm)), w_j = q * round(w0 * wm^s_j / q). Consecutive blocks
    of one width form a stage. Then each stage's bottleneck width w / b is made a multiple of
    its group width (which is capped at the bottleneck width), and w follows it back.
    """
    for name, value, ok, rule in (
        ("depth", depth, depth >= 1, ">= 1"),
        ("w0", w0, w0 > 0 and w0 % QUANTUM == 0, f"a positive multiple of {QUANTUM}"),
        ("wa", wa, wa >= 0, ">= 0"),
        ("wm", wm, wm > 1, "> 1"),
        ("group_width", group_width, group_width >= 1, ">= 1"),
        ("bottleneck_ratio", bottleneck_ratio, bottleneck_ratio > 0, "> 0"),
    ):
        if not ok:
            raise ValueError(f"RegNet {name}={value} must be {rule}")
    # float32, as torchvision computes them: the rounding of the quantisation follows it
    # (on the CPU whatever the default device: under `torch.device("meta")` they have no values)
    f32, cpu = torch.float32, torch.device("cpu")
    ramp = torch.arange(depth, dtype=f32, device=cpu) * wa + w0
    steps = torch.round(torch.log(ramp / w0) / math.log(wm))
    widths = (torch.round(w0 * torch.pow(torch.tensor(wm, dtype=f32, device=cpu), steps) / QUANTUM)
              * QUANTUM).int().tolist()
    runs: list[list[int]] = []  # [width, depth] per stage
    for width in widths:
        if runs and runs[-1][0] == width:
            runs[-1][1] += 1
        else:
            runs.append([width, 1])
    return [compatible_stage(width, blocks_in_stage, group_width, bottleneck_ratio)
            for width, blocks_in_stage in runs]


def compatible_stage(width: int, depth: int, group_width: int,
                     bottleneck_ratio: float = 1.0) -> RegNetStage:
    """A stage of X blocks of about this width whose bottleneck width w / b is a multiple of
    its group width (capped at the bottleneck width), the width following it back: the rule
    of RegNet's and AnyNet's design spaces (pycls `adjust_block_compat`)."""
    bottleneck = int(width / bottleneck_ratio)
    g = min(group_width, bottleneck)
    bottleneck = make_divisible(bottleneck, g)
    return RegNetStage(int(bottleneck * bottleneck_ratio), depth, bottleneck // g)


def regnet(*, depth: int, w0: int, wa: float, wm: float, group_width: int,
           bottleneck_ratio: float = 1.0, se_ratio: float = 0.0, num_classes: int = 1000,
           stem_width: int = 32) -> Net:
    """A point of RegNet's design space: depth d, initial width w0, slope wa, quantisation wm,
    group width g and bottleneck ratio b (the paper's six numbers; torchvision's
    `BlockParams.from_init_params`), X blocks, or Y blocks with squeeze-excitation when
    `se_ratio` > 0. Every stage has stride 2, after torchvision's 3x3/2 stem."""
    stages = regnet_stages(depth, w0, wa, wm, group_width, bottleneck_ratio)
    block, extras = ("regnet_y", RegNetYExtras(se_ratio)) if se_ratio else ("regnet_x", None)
    return Net(
        stages=tuple(Stage(block, s.depth, s.width, stride=2, groups=s.groups,
                           expansion=1 / bottleneck_ratio, extras=extras) for s in stages),
        stem="regnet", stem_width=stem_width, head="pool_fc", num_classes=num_classes,
    )


blocks.add(BlockType("regnet_x", extras=RegNetXExtras, module=RegNetBlock))
blocks.add(BlockType("regnet_y", extras=RegNetYExtras, module=RegNetBlock))
# torchvision's SimpleStemIN: 3x3/2 conv-BN-ReLU
stems.add(StemType("regnet", build=lambda net: conv_bn(net.in_channels, net.stem_out, 3, 2,
                                                      act=nn.ReLU)))
