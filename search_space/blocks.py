"""Block modules and the BLOCKS registry.

Every block is built from one `ResolvedBlock` (spec.py): input and output widths, stride,
groups, expansion, its typed extras and its drop-path rate. Nothing global: everything a block
needs arrives through that argument. Sub-modules are registered in the order torchvision
registers its own, so `interop.load_torchvision` can pair layers by position.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.ops import StochasticDepth

from .spec import BLOCK_EXTRAS, ResolvedBlock, inner_width

BLOCKS: dict[str, type[nn.Module]] = {}


def register(name: str):
    """Class decorator adding a block to BLOCKS; refuses duplicates and unknown names."""

    def add(cls: type[nn.Module]) -> type[nn.Module]:
        if name in BLOCKS:
            raise ValueError(f"block {name!r} is already registered ({BLOCKS[name].__name__})")
        if name not in BLOCK_EXTRAS:
            raise ValueError(f"block {name!r} has no extras dataclass in spec.BLOCK_EXTRAS")
        BLOCKS[name] = cls
        return cls

    return add


def conv(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, bias: bool = False):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=bias)


def conv_bn(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: type | None = None):
    """conv -> BN (-> act); the layout of torchvision's Conv2dNormActivation."""
    layers: list[nn.Module] = [conv(cin, cout, k, stride, groups), nn.BatchNorm2d(cout)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


def drop_path(rate: float) -> nn.Module:
    """Per-sample stochastic depth, scaled by 1/survival in training, identity in eval."""
    return StochasticDepth(rate, mode="row") if rate > 0 else nn.Identity()


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


@register("basic")
class BasicBlock(ResidualBase):
    """Basic: 3x3 (w), stride s -> 3x3 (w); + shortcut. Pre-activation puts BN-ReLU before each
    conv; extras.dropout sits between the convs (WRN). groups apply to both 3x3 convs."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        self.preact = ex.preact
        cin, w, g = rb.in_width, rb.width, rb.groups
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


@register("bottleneck")
class Bottleneck(ResidualBase):
    """Bottleneck: 1x1 (w*e) -> 3x3 g-grouped (w*e) -> 1x1 (w); + shortcut.
    expansion e is relative to the output width w (ResNet-50 0.25, WRN-50-2 and ResNeXt-50
    32x4d 0.5). The stride sits on the 3x3 (torchvision, "v1.5") or the first 1x1 (paper, v1)."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        self.preact = ex.preact
        cin, w, inner = rb.in_width, rb.width, inner_width(rb)
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


_ACTIVATIONS = {"linear": None, "relu6": nn.ReLU6, "relu": nn.ReLU}


@register("inverted")
class InvertedResidual(nn.Module):
    """Inverted residual: 1x1 (t*c_in) -> depthwise 3x3, stride s -> 1x1 (w) -> act.
    expansion t is relative to the input width c_in (MobileNetV2 t = 6; no 1x1 expand when
    t = 1). act is extras.activation (linear in the paper). Shortcut between bottlenecks
    (x + block(x), when stride 1 and c_in = w), between expansions (around the depthwise conv,
    when stride 1), or none."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        cin, w, inner = rb.in_width, rb.width, inner_width(rb)
        # Layout of torchvision's InvertedResidual.conv, so weights pair up by position.
        self.expand = conv_bn(cin, inner, 1, act=nn.ReLU6) if rb.expansion != 1 else None
        if self.expand is None and inner != cin:
            raise ValueError(f"{rb.label()}: expansion 1 needs inner width {inner} == input {cin}")
        self.depthwise = conv_bn(inner, inner, 3, rb.stride, groups=inner, act=nn.ReLU6)
        self.project = conv_bn(inner, w, 1, act=_ACTIVATIONS[ex.activation])
        self.mode = ex.shortcut
        if ex.shortcut == "bottleneck" and not (rb.stride == 1 and cin == w):
            self.mode = "none"
        if ex.shortcut == "expansion" and rb.stride != 1:
            self.mode = "none"
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


@register("plain")
class PlainConv(nn.Module):
    """Plain (VGG) layer: [2x2 max-pool if stride 2] -> 3x3 conv (w, with bias) -> [BN] -> ReLU.
    One block is one conv layer; a stage of depth d is d of them. No residual, so no drop-path."""

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        self.pool = nn.MaxPool2d(2, 2) if rb.stride == 2 else nn.Identity()
        self.conv = conv(rb.in_width, rb.width, 3, 1, rb.groups, bias=True)
        self.bn = nn.BatchNorm2d(rb.width) if rb.extras.batchnorm else nn.Identity()
        self.act = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.bn(self.conv(self.pool(x))))


missing = sorted(set(BLOCK_EXTRAS) - set(BLOCKS))
if missing:  # a spec entry without a module would fail only when a point uses it
    raise RuntimeError(f"blocks {missing} have extras in spec.py but no module in BLOCKS")
