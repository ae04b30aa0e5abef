"""ShuffleNet v1 (Zhang et al. 2017) and v2 (Ma et al. 2018).

Blocks `shuffle` (v1 unit) and `shuffle_v2`, the stem `shufflenet` (both versions) and v2's
head `conv_relu_pool_fc` (its conv5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..extras import Extras, no_groups
from ..layers import channel_shuffle, conv_bn
from ..registry import BlockType, HeadType, StemType, blocks, heads, stems
from .mobilenet import conv_head_width, conv_pool_fc

if TYPE_CHECKING:
    from ..spec import Net, ResolvedBlock


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

    def as_built(self, rb: Any) -> Extras:
        """One group has nothing to shuffle, and ungrouped_first concerns a stage's first unit
        only."""
        if rb.groups == 1:
            return self.with_defaults("shuffle", "ungrouped_first")
        return self.with_defaults("ungrouped_first") if rb.index else self


@dataclass(frozen=True)
class ShuffleV2Extras(Extras):
    """ShuffleNet v2 unit: stride 1 splits the channels in half, transforms one half (1x1 ->
    depthwise 3x3 -> 1x1) and concatenates; stride 2 transforms the whole input in two branches
    (depthwise 3x3/2 -> 1x1, and 1x1 -> depthwise 3x3/2 -> 1x1), each w/2 wide. Then a channel
    shuffle of 2 groups (off with shuffle=False)."""

    reads_expansion: ClassVar[bool] = False

    shuffle: bool = True

    def check(self, rb: Any) -> None:
        no_groups(rb)
        if rb.out_width % 2:
            raise ValueError(f"{rb.where}.width={rb.out_width} must be even")
        if rb.stride == 1 and rb.in_width != rb.out_width:
            raise ValueError(f"{rb.where}: a stride-1 unit needs width == input width")


class ShuffleUnit(nn.Module):
    """ShuffleNet v1 unit: g-grouped 1x1 (w/4) -> BN-ReLU -> shuffle -> depthwise 3x3, stride s
    -> BN -> g-grouped 1x1 -> BN; stride 1: ReLU(x + branch); stride 2: ReLU(concat[3x3/2
    avg-pool(x), branch]), the branch emitting w - c_in channels."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex, g, mid = rb.extras, rb.groups, rb.inner_width
        self.stride, self.groups, self.shuffle = rb.stride, g, ex.shuffle and g > 1
        branch_out = rb.out_width - (rb.in_width if rb.stride == 2 else 0)
        first_groups = 1 if (ex.ungrouped_first and rb.index == 0) else g
        self.compress = nn.Conv2d(rb.in_width, mid, 1, groups=first_groups, bias=False)
        self.compress_bn = nn.BatchNorm2d(mid)
        self.depthwise = nn.Conv2d(mid, mid, 3, rb.stride, 1, groups=mid, bias=False)
        self.depthwise_bn = nn.BatchNorm2d(mid)
        self.expand = nn.Conv2d(mid, branch_out, 1, groups=g, bias=False)
        self.expand_bn = nn.BatchNorm2d(branch_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.compress_bn(self.compress(x)))
        if self.shuffle:
            y = channel_shuffle(y, self.groups)
        y = self.depthwise_bn(self.depthwise(y))
        y = self.expand_bn(self.expand(y))
        if self.stride == 2:
            return F.relu(torch.cat([F.avg_pool2d(x, 3, 2, 1), y], 1))
        return F.relu(x + y)


def _pointwise(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


def _depthwise(channels: int, stride: int) -> list[nn.Module]:
    return [nn.Conv2d(channels, channels, 3, stride, 1, groups=channels, bias=False),
            nn.BatchNorm2d(channels)]


class ShuffleV2Unit(nn.Module):
    """ShuffleNet v2 unit (torchvision's InvertedResidual layout). stride 1: x -> (x1, x2);
    concat[x1, 1x1 -> dw 3x3 -> 1x1 (x2)]; stride 2: concat[dw 3x3/2 -> 1x1 (x),
    1x1 -> dw 3x3/2 -> 1x1 (x)]; each half w/2 wide; then a 2-group channel shuffle."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        half, cin = rb.out_width // 2, rb.in_width
        self.stride, self.shuffle = rb.stride, rb.extras.shuffle
        if rb.stride == 2:
            self.branch1 = nn.Sequential(*_depthwise(cin, 2), *_pointwise(cin, half))
        else:
            self.branch1 = nn.Sequential()
        self.branch2 = nn.Sequential(
            *_pointwise(cin if rb.stride == 2 else half, half),
            *_depthwise(half, rb.stride),
            *_pointwise(half, half),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat((x1, self.branch2(x2)), dim=1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), dim=1)
        return channel_shuffle(out, 2) if self.shuffle else out


def shufflenet_stem(net: Net) -> nn.Module:
    """3x3/2 conv-BN-ReLU, 3x3/2 max-pool (v1 and v2)."""
    return nn.Sequential(conv_bn(net.in_channels, net.stem_out, 3, 2, act=nn.ReLU),
                         nn.MaxPool2d(3, 2, 1))


blocks.add(BlockType("shuffle", extras=ShuffleExtras, module=ShuffleUnit))
blocks.add(BlockType("shuffle_v2", extras=ShuffleV2Extras, module=ShuffleV2Unit))
stems.add(StemType("shufflenet", build=shufflenet_stem))
# ShuffleNet v2's conv5: MobileNetV2's conv head with ReLU
heads.add(HeadType("conv_relu_pool_fc", build=conv_pool_fc(nn.ReLU), out_width=conv_head_width,
                   needs_head_width=True))
