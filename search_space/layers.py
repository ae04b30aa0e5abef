"""Small layers the blocks share: conv helpers, factorised convs, shortcuts, drop-path."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, bias: bool = False):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=bias)


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: type | None = None):
    """conv -> BN (-> act); the layout of torchvision's Conv2dNormActivation."""
    layers: list[nn.Module] = [conv(cin, cout, k, stride, groups), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class ConvBNReLU(nn.Module):
    """conv (no bias) -> BN (eps 1e-3) -> ReLU: the BasicConv2d of the Inception nets.

    The 1e-3 epsilon is the authors' TensorFlow default, kept by torchvision's GoogLeNet and
    Inception-v3; with 1e-5 their outputs would not match after a weight transfer.
    """

    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=1e-3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn(self.conv(x)), inplace=True)


def spatial_conv(cin: int, cout: int, k: int, stride: int, factorize: str, unit) -> nn.Module:
    """A k x k conv, or a factorisation of it (Szegedy et al. 2016, Section 3):

    none:        unit(cin, cout, k x k)
    stacked_3x3: (k-1)/2 units of 3x3, each cout wide (two 3x3 for a 5x5: 18 vs 25 multiplies
                 per output position and channel pair)
    asymmetric:  unit 1 x k then unit k x 1 (2k vs k^2: 6 vs 9 for k = 3)
    separable:   depthwise k x k on cin channels, then unit 1x1 (H^2 D^2 F + N H^2 F instead of
                 N H^2 D^2 F multiply-adds)

    `unit(cin, cout, kernel, stride, padding, groups)` builds one conv with its normalisation and
    activation, so every factor keeps the block's conv -> BN -> ReLU pattern. The stride goes on
    the first factor.
    """
    if factorize == "none" or k == 1:
        return unit(cin, cout, k, stride, k // 2, 1)
    if factorize == "stacked_3x3":
        layers = [unit(cin if i == 0 else cout, cout, 3, stride if i == 0 else 1, 1, 1)
                  for i in range((k - 1) // 2)]
        return nn.Sequential(*layers)
    if factorize == "asymmetric":
        return nn.Sequential(
            unit(cin, cout, (1, k), (1, stride), (0, k // 2), 1),
            unit(cout, cout, (k, 1), (stride, 1), (k // 2, 0), 1),
        )
    if factorize == "separable":
        return nn.Sequential(unit(cin, cin, k, stride, k // 2, cin), unit(cin, cout, 1, 1, 0, 1))
    raise ValueError(f"factorize={factorize!r} is unknown")


def drop_path(rate: float) -> nn.Module:
    """Per-sample stochastic depth, scaled by 1/survival in training, identity in eval."""
    if rate <= 0:
        return nn.Identity()
    # imported here: torchvision's ops import torch._dynamo, seconds that a net without
    # drop-path (and every process that only builds or counts nets) need not pay
    from torchvision.ops import StochasticDepth

    return StochasticDepth(rate, mode="row")


class ZeroPadShortcut(nn.Module):
    """He et al. 2015 option A: subsample by the stride, zero-pad new channels (no params)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        if cout < cin:
            raise ValueError(f"shortcut A cannot reduce channels ({cin} -> {cout}); use B")
        self.stride = stride
        self.pad_before = (cout - cin) // 2
        self.pad_after = cout - cin - self.pad_before

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, self.pad_before, self.pad_after))


def residual_shortcut(kind: str, cin: int, cout: int, stride: int, bn: bool = True):
    """Shortcut of a residual block: identity when shapes agree, else A (pad) or B (1x1 conv,
    with BN after it in post-activation nets; pre-activation projections are a bare conv)."""
    if kind == "none":
        return None
    if cin == cout and stride == 1:
        return nn.Identity()
    if kind == "A":
        return ZeroPadShortcut(cin, cout, stride)
    projection = conv(cin, cout, 1, stride)
    return nn.Sequential(projection, nn.BatchNorm2d(cout)) if bn else projection


def channel_shuffle(x: torch.Tensor, groups: int) -> torch.Tensor:
    """ShuffleNet's channel shuffle: (g, c/g) -> transpose -> (c/g, g)."""
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


def pool_fc(net) -> list[nn.Module]:
    """The classifier most heads end with: global average pool -> [dropout] -> FC classes,
    the FC seeing `net.head_out` features."""
    layers: list[nn.Module] = [nn.AdaptiveAvgPool2d(1), nn.Flatten(1)]
    if net.dropout > 0:
        layers.append(nn.Dropout(net.dropout))
    layers.append(nn.Linear(net.head_out, net.num_classes))
    return layers
