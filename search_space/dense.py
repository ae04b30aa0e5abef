"""DenseNet layers (Huang et al. 2017), in torchvision's DenseNet layer order."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import register
from .spec import ResolvedBlock


class Transition(nn.Sequential):
    """BN -> ReLU -> 1x1 conv (compression) -> 2x2 average pool."""

    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(cin)
        self.relu = nn.ReLU(inplace=True)
        self.conv = nn.Conv2d(cin, cout, 1, bias=False)
        self.pool = nn.AvgPool2d(2, 2)


@register("dense")
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
