"""Residual nets: ResNet (He et al. 2015), pre-activation ResNet (He et al. 2016), Wide ResNet,
ResNeXt and stochastic depth (drop_path), as torchvision lays them out.

Blocks `basic` and `bottleneck`; the stems `imagenet`, `cifar` and `cifar_preact`; the heads
`pool_fc` (which most families use) and `preact_pool_fc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ..extras import Extras, projects
from ..layers import conv, conv_bn, drop_path, pool_fc, residual_shortcut
from ..registry import BlockType, HeadType, StemType, blocks, heads, stems

if TYPE_CHECKING:
    from ..spec import Net, ResolvedBlock


def _check_shortcut_a(rb: Any, shortcut: str) -> None:
    if shortcut == "A" and rb.out_width < rb.in_width:
        raise ValueError(f"{rb.where}.extras.shortcut='A' cannot reduce channels; use 'B'")


def _shortcut_as_built(extras: Extras, rb: Any) -> Extras:
    """A and B are the same identity where the shape does not change; none is not."""
    if extras.shortcut != "none" and not projects(rb):
        return extras.with_defaults("shortcut")
    return extras


@dataclass(frozen=True)
class BasicExtras(Extras):
    """Two 3x3 convs. preact: BN-ReLU before each conv (He et al. 2016).
    shortcut: B = 1x1 projection where the shape changes, identity elsewhere; A = strided
    subsample + zero-padded channels, no parameters (He et al. 2015, CIFAR); none = plain net.
    dropout: between the two convs (WRN)."""

    reads_expansion: ClassVar[bool] = False

    preact: bool = False
    shortcut: Literal["B", "A", "none"] = "B"
    dropout: float = 0.0

    def check(self, rb: Any) -> None:
        super().check(rb)
        _check_shortcut_a(rb, self.shortcut)

    def as_built(self, rb: Any) -> Extras:
        return _shortcut_as_built(self, rb)


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
        _check_shortcut_a(rb, self.shortcut)

    def as_built(self, rb: Any) -> Extras:
        extras = _shortcut_as_built(self, rb)
        return extras.with_defaults("stride_on") if rb.stride == 1 else extras


class ResidualBase(nn.Module):
    """Shared forward for basic and bottleneck blocks, post- or pre-activation.

    post: y = relu(branch(x) + shortcut(x))
    pre:  a = relu(bn(x)); y = branch'(a) + shortcut(a if projecting else x)
    (the projection sees the normalised input, as in He et al. 2016's code and WRN's).
    """

    preact: bool
    shortcut: nn.Module | None

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.preact:
            a = F.relu(self.bn_in(x))
            out = self.branch(a)
            if self.shortcut is None:
                return out
            projecting = isinstance(self.shortcut, (nn.Sequential, nn.Conv2d))
            return self.shortcut(a if projecting else x) + self.drop_path(out)
        out = self.branch(x)
        if self.shortcut is not None:
            out = self.shortcut(x) + self.drop_path(out)
        return F.relu(out)


class BasicBlock(ResidualBase):
    """Basic: 3x3 (w), stride s -> 3x3 (w); + shortcut. Pre-activation puts BN-ReLU before each
    conv; extras.dropout sits between the convs (WRN). groups apply to both 3x3 convs."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        self.preact = ex.preact
        cin, w, g = rb.in_width, rb.out_width, rb.groups
        if self.preact:
            self.bn_in = nn.BatchNorm2d(cin)
        self.conv1 = conv(cin, w, 3, rb.stride, g)
        self.bn1 = nn.BatchNorm2d(w)
        self.dropout = nn.Dropout(ex.dropout) if ex.dropout > 0 else nn.Identity()
        self.conv2 = conv(w, w, 3, 1, g)
        self.bn2 = None if self.preact else nn.BatchNorm2d(w)
        self.shortcut = residual_shortcut(ex.shortcut, cin, w, rb.stride, bn=not self.preact)
        self.drop_path = drop_path(rb.drop_path)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        if self.preact:  # x is already BN-ReLU'd by the caller
            return self.conv2(self.dropout(F.relu(self.bn1(self.conv1(x)))))
        out = F.relu(self.bn1(self.conv1(x)))
        return self.bn2(self.conv2(self.dropout(out)))


class Bottleneck(ResidualBase):
    """Bottleneck: 1x1 (w*e) -> 3x3 g-grouped (w*e) -> 1x1 (w); + shortcut.
    expansion e is relative to the output width w (ResNet-50 0.25, WRN-50-2 and ResNeXt-50
    32x4d 0.5). The stride sits on the 3x3 (torchvision, "v1.5") or the first 1x1 (paper, v1)."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        self.preact = ex.preact
        cin, w, inner = rb.in_width, rb.out_width, rb.inner_width
        s1, s3 = (rb.stride, 1) if ex.stride_on == "1x1" else (1, rb.stride)
        if self.preact:
            self.bn_in = nn.BatchNorm2d(cin)
        self.conv1 = conv(cin, inner, 1, s1)
        self.bn1 = nn.BatchNorm2d(inner)
        self.conv2 = conv(inner, inner, 3, s3, rb.groups)
        self.bn2 = nn.BatchNorm2d(inner)
        self.conv3 = conv(inner, w, 1)
        self.bn3 = None if self.preact else nn.BatchNorm2d(w)
        self.shortcut = residual_shortcut(ex.shortcut, cin, w, rb.stride, bn=not self.preact)
        self.drop_path = drop_path(rb.drop_path)

    def branch(self, x: torch.Tensor) -> torch.Tensor:
        if self.preact:  # x is already BN-ReLU'd by the caller
            out = F.relu(self.bn1(self.conv1(x)))
            out = F.relu(self.bn2(self.conv2(out)))
            return self.conv3(out)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))


def imagenet_stem(net: Net) -> nn.Module:
    """ResNet (and DenseNet): 7x7/2 conv-BN-ReLU, 3x3/2 max-pool."""
    w = net.stem_out
    return nn.Sequential(conv(net.in_channels, w, 7, 2), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                         nn.MaxPool2d(3, 2, 1))


blocks.add(BlockType("basic", extras=BasicExtras, module=BasicBlock))
blocks.add(BlockType("bottleneck", extras=BottleneckExtras, module=Bottleneck))
stems.add(StemType("imagenet", build=imagenet_stem, small_input="cifar"))
# He et al. 2015's CIFAR nets: 3x3/1 conv-BN-ReLU
stems.add(StemType("cifar", build=lambda net: conv_bn(net.in_channels, net.stem_out, 3, 1,
                                                     act=nn.ReLU)))
# pre-activation nets: a bare 3x3/1 conv (the first block normalises its input)
stems.add(StemType("cifar_preact", build=lambda net: conv(net.in_channels, net.stem_out, 3, 1)))
# global average pool -> [dropout] -> FC
heads.add(HeadType("pool_fc", build=lambda net: nn.Sequential(*pool_fc(net))))
# BN-ReLU first: pre-activation nets end un-normalised
heads.add(HeadType("preact_pool_fc", build=lambda net: nn.Sequential(
    nn.BatchNorm2d(net.head_in), nn.ReLU(inplace=True), *pool_fc(net))))
