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

from .extras import BLOCK_EXTRAS
from .layers import conv, conv_bn, drop_path, residual_shortcut, spatial_conv
from .spec import ResolvedBlock

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


@register("bottleneck")
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
        cin, w, inner = rb.in_width, rb.out_width, rb.inner_width
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


# The other families register themselves on import.
from . import dense, fractal, inception, shuffle  # noqa: E402,F401

missing = sorted(set(BLOCK_EXTRAS) - set(BLOCKS))
if missing:  # a spec entry without a module would fail only when a point uses it
    raise RuntimeError(f"blocks {missing} have extras in extras.py but no module in BLOCKS")
