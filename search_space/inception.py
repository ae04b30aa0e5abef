"""Inception blocks (GoogLeNet v1 and the Inception-v3 modules) and the auxiliary classifiers.

Layer registration follows torchvision's GoogLeNet and Inception3 so that weights pair up by
position; every conv is conv -> BN (eps 1e-3) -> ReLU (`ConvBNReLU`), as there.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .blocks import register
from .layers import ConvBNReLU, spatial_conv
from .spec import ResolvedBlock


def _unit(cin, cout, kernel, stride, padding, groups):
    if groups != 1:  # the depthwise half of a separable factorisation
        conv = nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)
        return nn.Sequential(conv, nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU(inplace=True))
    return ConvBNReLU(cin, cout, kernel, stride, padding)


@register("inception")
class Inception(nn.Module):
    """Inception (v1): concat[1x1 (b1); 1x1 (b3_reduce) -> 3x3 (b3); 1x1 (b5_reduce) -> k x k
    (b5); 3x3/1 max-pool -> 1x1 (pool_proj)]. Naive (reduce=False): concat[1x1; 3x3; k x k;
    3x3/1 max-pool]. Stride 2: a 3x3/2 (or 2x2/2) ceil-mode max-pool before the module."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex, cin = rb.extras, rb.in_width
        if rb.stride == 2:
            self.pool = nn.MaxPool2d(3 if ex.pool == "3x3" else 2, 2, ceil_mode=True)
        else:
            self.pool = nn.Identity()
        k5, fz = ex.b5_kernel, ex.factorize
        self.branch1 = ConvBNReLU(cin, ex.b1, 1)
        if ex.reduce:
            self.branch2 = nn.Sequential(
                ConvBNReLU(cin, ex.b3_reduce, 1),
                spatial_conv(ex.b3_reduce, ex.b3, 3, 1, fz, _unit),
            )
            self.branch3 = nn.Sequential(
                ConvBNReLU(cin, ex.b5_reduce, 1),
                spatial_conv(ex.b5_reduce, ex.b5, k5, 1, fz, _unit),
            )
            self.branch4 = nn.Sequential(
                nn.MaxPool2d(3, 1, 1, ceil_mode=True), ConvBNReLU(cin, ex.pool_proj, 1)
            )
        else:
            self.branch2 = spatial_conv(cin, ex.b3, 3, 1, fz, _unit)
            self.branch3 = spatial_conv(cin, ex.b5, k5, 1, fz, _unit)
            self.branch4 = nn.MaxPool2d(3, 1, 1, ceil_mode=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(x)
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


def _c(cin, cout, kernel, stride=1, padding=0):
    return ConvBNReLU(cin, cout, kernel, stride, padding)


class _InceptionA(nn.Module):
    """35x35: concat[1x1 64; 1x1 48 -> 5x5 64; 1x1 64 -> 3x3 96 -> 3x3 96; avg-pool -> 1x1]."""

    def __init__(self, cin: int, pool_features: int):
        super().__init__()
        self.branch1x1 = _c(cin, 64, 1)
        self.branch5x5_1 = _c(cin, 48, 1)
        self.branch5x5_2 = _c(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _c(cin, 64, 1)
        self.branch3x3dbl_2 = _c(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _c(96, 96, 3, padding=1)
        self.branch_pool = _c(cin, pool_features, 1)

    def forward(self, x):
        b5 = self.branch5x5_2(self.branch5x5_1(x))
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        bp = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        return torch.cat([self.branch1x1(x), b5, b3, bp], 1)


class _InceptionB(nn.Module):
    """35 -> 17 reduction: concat[3x3/2 384; 1x1 64 -> 3x3 96 -> 3x3/2 96; 3x3/2 max-pool]."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = _c(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = _c(cin, 64, 1)
        self.branch3x3dbl_2 = _c(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _c(96, 96, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x)))
        return torch.cat([self.branch3x3(x), b3, F.max_pool2d(x, 3, 2)], 1)


class _InceptionC(nn.Module):
    """17x17, 7x7 factorised into 1x7 + 7x1: concat[1x1 192; 1x1 c -> 1x7 c -> 7x1 192;
    1x1 c -> 7x1 -> 1x7 -> 7x1 -> 1x7 192; avg-pool -> 1x1 192]."""

    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = _c(cin, 192, 1)
        self.branch7x7_1 = _c(cin, c7, 1)
        self.branch7x7_2 = _c(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _c(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _c(cin, c7, 1)
        self.branch7x7dbl_2 = _c(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _c(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _c(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _c(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = _c(cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3,
                      self.branch7x7dbl_4, self.branch7x7dbl_5):
            d = layer(d)
        bp = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        return torch.cat([self.branch1x1(x), b7, d, bp], 1)


class _InceptionD(nn.Module):
    """17 -> 8 reduction: concat[1x1 192 -> 3x3/2 320; 1x1 192 -> 1x7 -> 7x1 -> 3x3/2 192;
    3x3/2 max-pool]."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = _c(cin, 192, 1)
        self.branch3x3_2 = _c(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _c(cin, 192, 1)
        self.branch7x7x3_2 = _c(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _c(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _c(192, 192, 3, stride=2)

    def forward(self, x):
        b3 = self.branch3x3_2(self.branch3x3_1(x))
        b7 = self.branch7x7x3_1(x)
        for layer in (self.branch7x7x3_2, self.branch7x7x3_3, self.branch7x7x3_4):
            b7 = layer(b7)
        return torch.cat([b3, b7, F.max_pool2d(x, 3, 2)], 1)


class _InceptionE(nn.Module):
    """8x8, expanded filter bank: concat[1x1 320; 1x1 384 -> (1x3 | 3x1) 2x384;
    1x1 448 -> 3x3 384 -> (1x3 | 3x1) 2x384; avg-pool -> 1x1 192]."""

    def __init__(self, cin: int):
        super().__init__()
        self.branch1x1 = _c(cin, 320, 1)
        self.branch3x3_1 = _c(cin, 384, 1)
        self.branch3x3_2a = _c(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _c(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _c(cin, 448, 1)
        self.branch3x3dbl_2 = _c(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _c(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _c(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _c(cin, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        bp = self.branch_pool(F.avg_pool2d(x, 3, 1, 1))
        return torch.cat([self.branch1x1(x), b3, d, bp], 1)


@register("inception_v3")
class InceptionV3Module(nn.Module):
    """One Inception-v3 module, chosen by extras.module (A-E, see InceptionV3Extras)."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex, cin = rb.extras, rb.in_width
        self.module = {
            "A": lambda: _InceptionA(cin, ex.pool_features),
            "B": lambda: _InceptionB(cin),
            "C": lambda: _InceptionC(cin, ex.channels_7x7),
            "D": lambda: _InceptionD(cin),
            "E": lambda: _InceptionE(cin),
        }[ex.module]()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)


class GoogLeNetAux(nn.Module):
    """GoogLeNet auxiliary classifier: 4x4 adaptive avg-pool (the paper's 5x5/3 at 14x14) ->
    1x1 conv 128 -> FC 1024 -> ReLU -> dropout 0.7 -> FC classes."""

    def __init__(self, cin: int, num_classes: int):
        super().__init__()
        self.conv = ConvBNReLU(cin, 128, 1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(0.7)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(self.conv(F.adaptive_avg_pool2d(x, (4, 4))), 1)
        return self.fc2(self.dropout(F.relu(self.fc1(x), inplace=True)))


class InceptionV3Aux(nn.Module):
    """Inception-v3 auxiliary classifier: 5x5/3 avg-pool -> 1x1 conv 128 -> 5x5 conv 768 ->
    global pool -> FC classes."""

    def __init__(self, cin: int, num_classes: int):
        super().__init__()
        self.conv0 = ConvBNReLU(cin, 128, 1)
        self.conv1 = ConvBNReLU(128, 768, 5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv1(self.conv0(F.avg_pool2d(x, 5, 3)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


AUX_MODULES = {"googlenet": GoogLeNetAux, "inception_v3": InceptionV3Aux}
