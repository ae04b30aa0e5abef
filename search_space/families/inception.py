"""The Inception nets: GoogLeNet (Szegedy et al. 2015) and Inception-v3 (Szegedy et al. 2016).

Blocks `inception` (the v1 module, with the lecture's naive variant and the factorisations as
extras) and `inception_v3` (modules A-E), the stems `googlenet` and `inception_v3`, and the
auxiliary classifiers `googlenet` and `inception_v3`. Layer registration follows torchvision's
GoogLeNet and Inception3 so that weights pair up by position; every conv is conv -> BN (eps
1e-3) -> ReLU (`ConvBNReLU`), as there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from ..extras import WIDTH, Extras, Factorize, at_least_one, check_factorize, no_groups
from ..layers import ConvBNReLU, spatial_conv
from ..registry import AuxHeadType, BlockType, StemType, aux_heads, blocks, stems

if TYPE_CHECKING:
    from ..spec import Net, ResolvedBlock


@dataclass(frozen=True)
class InceptionExtras(Extras):
    """GoogLeNet Inception module: branches 1x1 (b1); 1x1 (b3_reduce) -> 3x3 (b3); 1x1
    (b5_reduce) -> k x k (b5, k = b5_kernel); 3x3/1 max-pool -> 1x1 (pool_proj). Without
    `reduce` (the lecture's "naive" module) there are no 1x1 reductions and the pool branch
    passes its input through. stride 2 = a max-pool first (3x3/2, or torchvision's 2x2/2 before
    Inception 5a), ceil mode as torchvision. factorize applies to the 3x3 and k x k convs."""

    reads_expansion: ClassVar[bool] = False

    b1: int = field(default=64, metadata=WIDTH)
    b3_reduce: int = field(default=96, metadata=WIDTH)
    b3: int = field(default=128, metadata=WIDTH)
    b5_reduce: int = field(default=16, metadata=WIDTH)
    b5: int = field(default=32, metadata=WIDTH)
    pool_proj: int = field(default=32, metadata=WIDTH)
    reduce: bool = True
    b5_kernel: Literal[5, 3] = 5
    pool: Literal["3x3", "2x2"] = "3x3"
    factorize: Factorize = "none"

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        pool = self.pool_proj if self.reduce else in_width
        return self.b1 + self.b3 + self.b5 + pool

    def check(self, rb: Any) -> None:
        no_groups(rb)
        if rb.width != rb.out_width:
            raise ValueError(
                f"{rb.where}.width={rb.width} but the branches give {rb.out_width} channels "
                f"(b1 + b3 + b5 + {'pool_proj' if self.reduce else 'input'})"
            )
        at_least_one(rb, self, ("b1", "b3_reduce", "b3", "b5_reduce", "b5", "pool_proj"))
        check_factorize(rb, self.b5_kernel, self.factorize)

    def as_built(self, rb: Any) -> Extras:
        """pool is the max-pool of a stride-2 module; the naive module has no reductions."""
        unused = (() if rb.stride == 2 else ("pool",)) + (
            () if self.reduce else ("b3_reduce", "b5_reduce", "pool_proj"))
        return self.with_defaults(*unused)


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

    reads_expansion: ClassVar[bool] = False
    fixed_widths: ClassVar[str] = ("Inception-v3 modules have fixed inner widths; scale "
                                   "pool_features/channels_7x7 instead")

    module: Literal["A", "B", "C", "D", "E"] = "A"
    pool_features: int = 32
    channels_7x7: int = 128

    def out_width(self, in_width: int, width: int, stride: int) -> int:
        return _V3_OUT[self.module](self, in_width)

    def check(self, rb: Any) -> None:
        no_groups(rb)
        reducing = self.module in ("B", "D")
        if rb.stride != (2 if reducing else 1):
            raise ValueError(
                f"{rb.where}.stride={rb.stride}: Inception-v3 module {self.module} has stride "
                f"{2 if reducing else 1}"
            )
        at_least_one(rb, self, ("pool_features", "channels_7x7"))
        if rb.width != rb.out_width:
            raise ValueError(
                f"{rb.where}.width={rb.width} but module {self.module} gives {rb.out_width} "
                "channels"
            )

    def as_built(self, rb: Any) -> Extras:
        """pool_features is module A's, channels_7x7 module C's."""
        unused = (() if self.module == "A" else ("pool_features",)) + (
            () if self.module == "C" else ("channels_7x7",))
        return self.with_defaults(*unused)


def _unit(cin, cout, kernel, stride, padding, groups):
    if groups != 1:  # the depthwise half of a separable factorisation
        conv = nn.Conv2d(cin, cout, kernel, stride, padding, groups=groups, bias=False)
        return nn.Sequential(conv, nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU(inplace=True))
    return ConvBNReLU(cin, cout, kernel, stride, padding)


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


def googlenet_stem(net: Net) -> nn.Module:
    """torchvision GoogLeNet conv1 .. maxpool2: 7x7/2, max-pool, 1x1, 3x3 (3 x stem_width),
    max-pool (ceil mode)."""
    w = net.stem_out
    return nn.Sequential(
        ConvBNReLU(net.in_channels, w // 3, 7, 2, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
        ConvBNReLU(w // 3, w // 3, 1), ConvBNReLU(w // 3, w, 3, padding=1),
        nn.MaxPool2d(3, 2, ceil_mode=True),
    )


def inception_v3_stem(net: Net) -> nn.Module:
    """torchvision Inception3 Conv2d_1a_3x3 .. maxpool2: 3x3/2, 3x3, 3x3, max-pool, 1x1, 3x3,
    max-pool (inner widths 32/32/64/80, output stem_width)."""
    return nn.Sequential(
        ConvBNReLU(net.in_channels, 32, 3, 2), ConvBNReLU(32, 32, 3),
        ConvBNReLU(32, 64, 3, padding=1), nn.MaxPool2d(3, 2), ConvBNReLU(64, 80, 1),
        ConvBNReLU(80, net.stem_out, 3), nn.MaxPool2d(3, 2),
    )


blocks.add(BlockType("inception", extras=InceptionExtras, module=Inception))
blocks.add(BlockType("inception_v3", extras=InceptionV3Extras, module=InceptionV3Module))
# the 1x1 reads stem_width channels, the 3x3 writes 3 x stem_width
stems.add(StemType("googlenet", build=googlenet_stem,
                   out_width=lambda net: 3 * net.scaled(net.stem_width)))
stems.add(StemType("inception_v3", build=inception_v3_stem))
# Loss weights: GoogLeNet's paper (0.3 per head); Inception-v3 as the authors' TF-slim
# training code (0.4).
aux_heads.add(AuxHeadType("googlenet", module=GoogLeNetAux, loss_weight=0.3))
aux_heads.add(AuxHeadType("inception_v3", module=InceptionV3Aux, loss_weight=0.4))
