"""Plain conv nets: VGG (Simonyan & Zisserman 2015) and torchvision's AlexNet.

Block `plain`, the stems `none` (the first block sees the image) and `alexnet`, and the heads
`vgg` and `alexnet`. Layers are registered in torchvision's order, so weights pair up by
position (interop.load_torchvision).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import torch
from torch import nn

from ..extras import Extras, Factorize, check_factorize
from ..layers import conv, spatial_conv
from ..registry import BlockType, HeadType, StemType, blocks, heads, stems

if TYPE_CHECKING:
    from ..spec import Net, ResolvedBlock


@dataclass(frozen=True)
class PlainExtras(Extras):
    """Plain conv layer (VGG, AlexNet): k x k conv (with bias) -> [BN] -> ReLU; stride 2 = a
    max-pool (2x2, or AlexNet's overlapping 3x3/2) before the conv."""

    reads_expansion: ClassVar[bool] = False

    batchnorm: bool = False
    kernel: Literal[3, 1, 5, 7, 11] = 3
    pool: Literal["2x2", "3x3"] = "2x2"
    factorize: Factorize = "none"

    def check(self, rb: Any) -> None:
        super().check(rb)
        check_factorize(rb, self.kernel, self.factorize)
        if rb.groups != 1 and self.factorize != "none":
            raise ValueError(f"{rb.where}.groups={rb.groups}: a factorised conv takes no groups")

    def as_built(self, rb: Any) -> Extras:
        """pool is the max-pool of a stride-2 layer; a 1x1 conv has nothing to factorise."""
        unused = (() if rb.stride == 2 else ("pool",)) + (
            () if self.kernel != 1 else ("factorize",))
        return self.with_defaults(*unused)


class PlainConv(nn.Module):
    """Plain layer (VGG, AlexNet): [max-pool if stride 2] -> k x k conv (w, with bias) -> [BN]
    -> ReLU. One block is one conv layer; a stage of depth d is d of them. No residual, so no
    drop-path. extras.factorize replaces the k x k conv by its factorisation (layers.py)."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        if rb.stride == 2:
            self.pool = nn.MaxPool2d(2, 2) if ex.pool == "2x2" else nn.MaxPool2d(3, 2)
        else:
            self.pool = nn.Identity()

        def unit(cin, cout, kernel, stride, padding, groups):
            layers = [nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=True)]
            if ex.batchnorm:
                layers.append(nn.BatchNorm2d(cout))
            return nn.Sequential(*layers, nn.ReLU(inplace=True))

        if ex.factorize == "none" or ex.kernel == 1:
            # flat layout (conv, bn, act) as torchvision's VGG/AlexNet features
            self.conv = conv(rb.in_width, rb.out_width, ex.kernel, 1, rb.groups, bias=True)
            self.bn = nn.BatchNorm2d(rb.out_width) if ex.batchnorm else nn.Identity()
            self.act = nn.ReLU(inplace=True)
        else:
            self.conv = spatial_conv(rb.in_width, rb.out_width, ex.kernel, 1, ex.factorize, unit)
            self.bn = self.act = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(self.pool(x))))


def alexnet_stem(net: Net) -> nn.Module:
    """11x11/4 conv (with bias) -> ReLU -> 3x3/2 max-pool."""
    return nn.Sequential(nn.Conv2d(net.in_channels, net.stem_out, 11, 4, 2), nn.ReLU(inplace=True),
                         nn.MaxPool2d(3, 2))


def vgg_head(net: Net) -> nn.Module:
    """VGG's fifth max-pool, torchvision's adaptive 7x7 pool, then FC 4096-4096-classes."""
    return nn.Sequential(
        nn.MaxPool2d(2, 2),
        nn.AdaptiveAvgPool2d(7),
        nn.Flatten(1),
        nn.Linear(net.head_in * 49, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(net.dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(net.dropout),
        nn.Linear(4096, net.num_classes),
    )


def alexnet_head(net: Net) -> nn.Module:
    """3x3/2 max-pool -> adaptive 6x6 avg-pool -> dropout -> FC 4096 -> dropout -> FC 4096 ->
    FC classes."""
    return nn.Sequential(
        nn.MaxPool2d(3, 2),
        nn.AdaptiveAvgPool2d(6),
        nn.Flatten(1),
        nn.Dropout(net.dropout),
        nn.Linear(net.head_in * 36, 4096),
        nn.ReLU(inplace=True),
        nn.Dropout(net.dropout),
        nn.Linear(4096, 4096),
        nn.ReLU(inplace=True),
        nn.Linear(4096, net.num_classes),
    )


blocks.add(BlockType("plain", extras=PlainExtras, module=PlainConv))
stems.add(StemType("none", build=lambda net: nn.Identity(), out_width=lambda net: net.in_channels,
                   needs_stem_width=False))
stems.add(StemType("alexnet", build=alexnet_stem))
heads.add(HeadType("vgg", build=vgg_head))
heads.add(HeadType("alexnet", build=alexnet_head))
