"""DenseNet (Huang et al. 2017), in torchvision's DenseNet layer order.

Block `dense` (one dense layer; a stride-2 stage's first layer starts with a transition). The
ImageNet nets use the `imagenet` stem and CIFAR ones `cifar_preact` (resnet family), both with
the `preact_pool_fc` head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ..extras import Extras, no_groups
from ..registry import BlockType, blocks

if TYPE_CHECKING:
    from ..spec import ResolvedBlock


@dataclass(frozen=True)
class DenseExtras(Extras):
    """DenseNet layer: [BN-ReLU-1x1 (bn_size * k) if bottleneck, "B"] -> BN-ReLU-3x3 (k), output
    concatenated to the input; a stage's width is the growth rate k. The first layer of a
    stride-2 stage starts with a transition: BN-ReLU-1x1 to floor(compression * c) ("C") and a
    2x2 average pool."""

    reads_expansion: ClassVar[bool] = False

    bottleneck: bool = True
    bn_size: int = 4
    compression: float = 0.5
    dropout: float = 0.0

    def transition_width(self, in_width: int) -> int:
        return int(in_width * self.compression)

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        base = self.transition_width(in_width) if stride == 2 else in_width
        return base + width

    def check(self, rb: Any) -> None:
        no_groups(rb)
        if not 0 < self.compression <= 1:
            raise ValueError(f"{rb.where}.extras.compression={self.compression} must be in (0, 1]")
        if self.bn_size < 1:
            raise ValueError(f"{rb.where}.extras.bn_size={self.bn_size} must be >= 1")
        if rb.stride == 2 and self.transition_width(rb.in_width) < 1:
            raise ValueError(
                f"{rb.where}.extras.compression={self.compression}: the transition compresses "
                f"{rb.in_width} channels to 0; raise compression or the width before it")

    def as_built(self, rb: Any) -> Extras:
        """bn_size sizes the bottleneck, compression the transition of a stride-2 layer."""
        unused = (() if self.bottleneck else ("bn_size",)) + (
            () if rb.stride == 2 else ("compression",))
        return self.with_defaults(*unused)


class Transition(nn.Sequential):
    """BN -> ReLU -> 1x1 conv (compression) -> 2x2 average pool."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.pool = nn.AvgPool2d(2, 2)


class DenseLayer(nn.Module):
    """Dense layer: y = [BN-ReLU-1x1 (bn_size * k) ->] BN-ReLU-3x3 (k) -> dropout;
    out = concat[x, y]. The first layer of a stride-2 stage starts with a Transition."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex, k = rb.extras, rb.width
        cin = rb.in_width
        self.transition = None
        if rb.stride == 2:
            self.transition = Transition(cin, ex.transition_width(cin))
            cin = ex.transition_width(cin)
        if ex.bottleneck:
            inner = ex.bn_size * k
            self.norm1 = nn.BatchNorm2d(cin)
            self.conv1 = nn.Conv2d(cin, inner, 1, bias=False)
            cin = inner
        else:
            self.norm1 = self.conv1 = None
        self.norm2 = nn.BatchNorm2d(cin)
        self.conv2 = nn.Conv2d(cin, k, 3, padding=1, bias=False)
        self.dropout = ex.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.transition is not None:
            x = self.transition(x)
        y = x
        if self.conv1 is not None:
            y = self.conv1(F.relu(self.norm1(y)))
        y = self.conv2(F.relu(self.norm2(y)))
        if self.dropout > 0:
            y = F.dropout(y, self.dropout, self.training)
        return torch.cat([x, y], 1)


blocks.add(BlockType("dense", extras=DenseExtras, module=DenseLayer))
