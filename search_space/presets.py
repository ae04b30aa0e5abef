"""Named points of the space: every classic backbone, each name written once, as one `Preset`.

torchvision names where torchvision has the model (ImageNet, 224x224, 1000 classes); paper names
for the CIFAR nets (32x32, 10 classes). A preset adapts to a dataset with `Net.adapt(...)`;
`width_mult`/`depth_mult` give scaled variants (`PRESETS["mobilenet_v2"].replace(width_mult=1.4)`).
Each record says what it is checked against (its torchvision twin, or its parameter count from
../shared/REFERENCE.md); tests/test_presets.py checks every one.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .registry import BLOCK_EXTRAS
from .spec import Net, Stage

IMAGENET = (3, 224, 224)
CIFAR = (3, 32, 32)


# The paper's architecture of a preset -> the registry family (search_space/families/<family>.py)
# whose blocks build it (tests/test_presets.py checks it against the built net's blocks).
ARCHITECTURE_FAMILY = {
    "resnet": "resnet", "resnet_cifar": "resnet", "preact_resnet": "resnet",
    "wide_resnet": "resnet", "resnext": "resnet", "stochastic_depth": "resnet",
    "plain_cifar": "resnet",  # ResNet's basic blocks without their shortcuts
    "vgg": "plain", "alexnet": "plain", "googlenet": "inception", "inception_v3": "inception",
    "densenet": "dense", "mobilenet_v2": "mobilenet", "shufflenet_v1": "shuffle",
    "shufflenet_v2": "shuffle", "fractalnet": "fractal", "regnet": "regnet",
}


@dataclass(frozen=True)
class Preset:
    """A named point: how to build it, its architecture (the paper's: wide_resnet, densenet, ...)
    and the registry family whose blocks build it, its native input (C, H, W), where it is from
    (paper and table, or the torchvision builder) and what it is checked against: its
    torchvision twin (builder and keyword arguments; same parameters and outputs), else its
    exact parameter count from ../shared/REFERENCE.md. The point is made on first use (`.net`),
    so that reading the names (a study's `base`, `studies list`) loads no family and no torch."""

    name: str
    build: Callable[[], Net]
    architecture: str
    source: str
    input_size: tuple[int, int, int] = IMAGENET
    torchvision: tuple[str, tuple[tuple[str, Any], ...]] | None = None
    params: int | None = None

    @property
    def family(self) -> str:
        """The registry family (a module of search_space/families/) whose blocks build it."""
        return ARCHITECTURE_FAMILY[self.architecture]

    @functools.cached_property
    def net(self) -> Net:
        return self.build().replace(name=self.name)


CATALOGUE: dict[str, Preset] = {}


def _preset(name: str, build: Callable[[], Net], architecture: str, source: str,
            input_size=IMAGENET) -> None:
    if name in CATALOGUE:
        raise ValueError(f"preset {name!r} is already registered")
    if architecture not in ARCHITECTURE_FAMILY:
        raise ValueError(f"preset {name!r}: architecture {architecture!r} has no family in "
                         "ARCHITECTURE_FAMILY")
    CATALOGUE[name] = Preset(name, build, architecture, source, input_size)


class _Points(Mapping[str, Net]):
    """Name -> point over CATALOGUE, each point made when first looked up."""

    def __getitem__(self, name: str) -> Net:
        return CATALOGUE[name].net

    def __iter__(self) -> Iterator[str]:
        return iter(CATALOGUE)

    def __len__(self) -> int:
        return len(CATALOGUE)

    def __contains__(self, name: object) -> bool:  # by name: makes no point
        return name in CATALOGUE

    def __repr__(self) -> str:
        return f"PRESETS({list(CATALOGUE)})"


def _stages(block: str, widths, depths, strides, **common) -> tuple[Stage, ...]:
    return tuple(
        Stage(block, depth=d, width=w, stride=s, **common)
        for w, d, s in zip(widths, depths, strides, strict=True)
    )


# ---- VGG (Simonyan & Zisserman 2015, Table 1 configurations A, B, D, E) --------------------
# One plain block = one 3x3 conv (with bias, as in the paper and torchvision). The max-pools
# between stages are the stride-2 of each stage's first layer; the fifth pool is in the head.
# torchvision adds an adaptive 7x7 avg-pool before the classifier (identity at 224x224).
def vgg(depths: tuple[int, ...], batchnorm: bool = False) -> Net:
    """VGG with `depths` 3x3 convs in its five stages of 64-128-256-512-512 channels."""
    return Net(stages=_stages("plain", (64, 128, 256, 512, 512), depths, (1, 2, 2, 2, 2),
                              extras=BLOCK_EXTRAS["plain"](batchnorm=batchnorm)),
               stem="none", head="vgg", dropout=0.5, num_classes=1000)


VGG_A, VGG_B, VGG_D, VGG_E = (1, 1, 2, 2, 2), (2, 2, 2, 2, 2), (2, 2, 3, 3, 3), (2, 2, 4, 4, 4)
_preset("vgg11", lambda: vgg(VGG_A), "vgg", "VGG config A; torchvision vgg11")
_preset("vgg11_bn", lambda: vgg(VGG_A, batchnorm=True), "vgg", "VGG config A; torchvision vgg11_bn")
_preset("vgg13", lambda: vgg(VGG_B), "vgg", "VGG config B; torchvision vgg13")
_preset("vgg13_bn", lambda: vgg(VGG_B, batchnorm=True), "vgg", "VGG config B; torchvision vgg13_bn")
_preset("vgg16", lambda: vgg(VGG_D), "vgg", "VGG config D; torchvision vgg16")
_preset("vgg16_bn", lambda: vgg(VGG_D, batchnorm=True), "vgg", "VGG config D; torchvision vgg16_bn")
_preset("vgg19", lambda: vgg(VGG_E), "vgg", "VGG config E; torchvision vgg19")
_preset("vgg19_bn", lambda: vgg(VGG_E, batchnorm=True), "vgg", "VGG config E; torchvision vgg19_bn")


# ---- ResNet (He et al. 2015, Table 1), torchvision layout ("v1.5": stride on the 3x3) -------
def imagenet_resnet(depths: tuple[int, ...], block: str = "bottleneck", expansion: float = 0.25,
                    groups: int = 1) -> Net:
    """An ImageNet ResNet of four stages: basic blocks 64-512 wide, or bottlenecks 256-2048
    wide outside with `expansion` x that inside (ResNet 0.25, WRN-2 0.5; ResNeXt's C groups)."""
    if block == "basic":
        return Net(stages=_stages("basic", (64, 128, 256, 512), depths, (1, 2, 2, 2)),
                   stem="imagenet", stem_width=64, num_classes=1000)
    return Net(stages=_stages("bottleneck", (256, 512, 1024, 2048), depths, (1, 2, 2, 2),
                              expansion=expansion, groups=groups),
               stem="imagenet", stem_width=64, num_classes=1000)


RESNET_50, RESNET_101, RESNET_152 = (3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3)
_preset("resnet18", lambda: imagenet_resnet((2, 2, 2, 2), "basic"), "resnet",
        "He et al. 2015 Table 1; torchvision resnet18")
_preset("resnet34", lambda: imagenet_resnet((3, 4, 6, 3), "basic"), "resnet",
        "He et al. 2015 Table 1; torchvision resnet34")
_V15 = "He et al. 2015 Table 1 (stride on the 3x3 as torchvision v1.5)"
_preset("resnet50", lambda: imagenet_resnet(RESNET_50), "resnet", f"{_V15}; torchvision resnet50")
_preset("resnet101", lambda: imagenet_resnet(RESNET_101), "resnet",
        f"{_V15}; torchvision resnet101")
_preset("resnet152", lambda: imagenet_resnet(RESNET_152), "resnet",
        f"{_V15}; torchvision resnet152")
# Wide ResNet-50/101-2 (Zagoruyko & Komodakis 2016): bottleneck twice as wide, 0.5 x output.
_preset("wide_resnet50_2", lambda: imagenet_resnet(RESNET_50, expansion=0.5), "wide_resnet",
        "WRN-50-2-bottleneck; torchvision wide_resnet50_2")
_preset("wide_resnet101_2", lambda: imagenet_resnet(RESNET_101, expansion=0.5), "wide_resnet",
        "WRN-101-2-bottleneck; torchvision wide_resnet101_2")
# ResNeXt (Xie et al. 2017, Table 1): C groups of width d in stage 1 -> inner C*d of 256 out.
_preset("resnext50_32x4d", lambda: imagenet_resnet(RESNET_50, expansion=32 * 4 / 256, groups=32),
        "resnext", "Xie et al. 2017 Table 1 / torchvision resnext50_32x4d")
_preset("resnext101_32x8d", lambda: imagenet_resnet(RESNET_101, expansion=32 * 8 / 256, groups=32),
        "resnext", "Xie et al. 2017 Table 1 / torchvision resnext101_32x8d")
_preset("resnext101_64x4d", lambda: imagenet_resnet(RESNET_101, expansion=64 * 4 / 256, groups=64),
        "resnext", "Xie et al. 2017 Table 1 / torchvision resnext101_64x4d")

# ---- MobileNetV2 (Sandler et al. 2018, Table 2: t, c, n, s) ---------------------------------
_MBV2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
         (6, 160, 3, 2), (6, 320, 1, 1))


def _mobilenet_v2(strides, stem: str, num_classes: int) -> Net:
    return Net(
        stages=tuple(Stage("inverted", depth=n, width=c, stride=s, expansion=t)
                     for (t, c, n, _), s in zip(_MBV2, strides, strict=True)),
        stem=stem, stem_width=32, head="conv_pool_fc", head_width=1280, dropout=0.2,
        num_classes=num_classes, round_to=8,  # widths scale in multiples of 8, as the paper's code
    )


_preset("mobilenet_v2", lambda: _mobilenet_v2([s for *_, s in _MBV2], "mobilenet_v2", 1000),
        "mobilenet_v2", "Sandler et al. 2018 Table 2; torchvision mobilenet_v2 (width 1.4: "
        ".replace(width_mult=1.4))")
# CIFAR MobileNetV2: torchvision's layout with a 10-class head; the stem and the 24-channel
# stage run at stride 1 so a 32x32 image ends at 4x4 (as kuangliu/pytorch-cifar). Strides don't
# change the count: 2,236,682 (REFERENCE.md 2.8).
_preset("mobilenet_v2_cifar",
        lambda: _mobilenet_v2((1, 1, 2, 2, 1, 2, 1), "mobilenet_v2_small", 10),
        "mobilenet_v2", "MobileNetV2 for 32x32 (REFERENCE.md 2.8)", CIFAR)


# ---- CIFAR ResNets (He et al. 2015 Section 4.2): 6n+2 layers, widths 16/32/64 -----------------
def cifar_resnet(n: int, shortcut: str = "A", num_classes: int = 10) -> Net:
    """He et al. 2015's CIFAR ResNet-(6n+2); shortcut A (zero-pad) as in the paper's Table 6."""
    return Net(
        stages=_stages("basic", (16, 32, 64), (n, n, n), (1, 2, 2),
                       extras=BLOCK_EXTRAS["basic"](shortcut=shortcut)),
        stem="cifar", stem_width=16, num_classes=num_classes,
    )


_TABLE6 = "He et al. 2015 Table 6, option A"
_preset("resnet20", lambda: cifar_resnet(3), "resnet_cifar", _TABLE6, CIFAR)
_preset("resnet32", lambda: cifar_resnet(5), "resnet_cifar", _TABLE6, CIFAR)
_preset("resnet44", lambda: cifar_resnet(7), "resnet_cifar", _TABLE6, CIFAR)
_preset("resnet56", lambda: cifar_resnet(9), "resnet_cifar", _TABLE6, CIFAR)
_preset("resnet110", lambda: cifar_resnet(18), "resnet_cifar", _TABLE6, CIFAR)
_preset("resnet1202", lambda: cifar_resnet(200), "resnet_cifar", _TABLE6, CIFAR)
# Plain nets of Fig. 6 (left): the same layers without shortcuts; option A adds no params, so
# the counts equal ResNet-20/56's.
_preset("plain20", lambda: cifar_resnet(3, shortcut="none"), "plain_cifar",
        "He et al. 2015 Fig. 6 plain nets", CIFAR)
_preset("plain56", lambda: cifar_resnet(9, shortcut="none"), "plain_cifar",
        "He et al. 2015 Fig. 6 plain nets", CIFAR)
# Stochastic depth (Huang et al. 2016): ResNet-110, linear decay to survival 0.5 at the last of
# its 54 blocks. Deviation: Huang's transition shortcut is avg-pool + zero-pad; ours subsamples
# (option A). Neither has parameters.
_preset("resnet110_stochastic_depth", lambda: cifar_resnet(18).replace(drop_path=0.5),
        "stochastic_depth", "Huang et al. 2016 Table 1 (p_L = 0.5, linear decay)", CIFAR)


# ---- Pre-activation ResNets (He et al. 2016, Identity Mappings) ----------------------------
_preset("preact_resnet110",
        lambda: Net(stages=_stages("basic", (16, 32, 64), (18, 18, 18), (1, 2, 2),
                                   extras={"preact": True, "shortcut": "A"}),
                    stem="cifar_preact", stem_width=16, head="preact_pool_fc"),
        "preact_resnet", "He et al. 2016 Table 3, full pre-activation, option A shortcut", CIFAR)


def preact_bottleneck_resnet(depth: int, num_classes: int = 10) -> Net:
    """He et al. 2016's CIFAR ResNet-(9n+2): pre-activation bottlenecks 16/32/64 wide inside,
    4x outside, projection shortcuts (as the authors' resnet-1k-layers code)."""
    if (depth - 2) % 9:
        raise ValueError(f"depth={depth} must be 9n+2 (164, 1001, ...)")
    n = (depth - 2) // 9
    return Net(
        stages=_stages("bottleneck", (64, 128, 256), (n, n, n), (1, 2, 2), expansion=0.25,
                       extras=BLOCK_EXTRAS["bottleneck"](preact=True)),
        stem="cifar_preact", stem_width=16, head="preact_pool_fc", num_classes=num_classes,
    )


_preset("preact_resnet164", lambda: preact_bottleneck_resnet(164), "preact_resnet",
        "He et al. 2016 Table 3/4, bottleneck, projection shortcuts", CIFAR)
_preset("preact_resnet1001", lambda: preact_bottleneck_resnet(1001), "preact_resnet",
        "He et al. 2016 Table 3/4, bottleneck, projection shortcuts", CIFAR)


# ---- Wide ResNets (Zagoruyko & Komodakis 2016) ------------------------------------------------
def wrn(depth: int, k: int, dropout: float = 0.0, num_classes: int = 10) -> Net:
    """WRN-depth-k: pre-activation basic blocks, widths 16k/32k/64k, (depth-4)/6 per stage,
    1x1 projection wherever the width changes (also stage 1's first block). Any row of the
    paper's width-vs-depth table (Table 4) is wrn(depth, k)."""
    if (depth - 4) % 6:
        raise ValueError(f"depth={depth} must be 6n+4 (16, 22, 28, 40, ...)")
    n = (depth - 4) // 6
    return Net(
        stages=_stages("basic", (16 * k, 32 * k, 64 * k), (n, n, n), (1, 2, 2),
                       extras=BLOCK_EXTRAS["basic"](preact=True, shortcut="B", dropout=dropout)),
        stem="cifar_preact", stem_width=16, head="preact_pool_fc", num_classes=num_classes,
    )


# Rows of the paper's Table 4/5; any other row is wrn(depth, k).
_WRN_ROWS = {"wrn_16_8": (16, 8), "wrn_28_10": (28, 10), "wrn_40_4": (40, 4)}
for _name, (_depth, _k) in _WRN_ROWS.items():
    _preset(_name, lambda depth=_depth, k=_k: wrn(depth, k), "wide_resnet",
            "Zagoruyko & Komodakis 2016 Table 4/5", CIFAR)


# ---- ResNeXt-29 on CIFAR (Xie et al. 2017 Section 5.3, Table 7) -------------------------------
def resnext29(cardinality: int, bottleneck_width: int, num_classes: int = 10) -> Net:
    """ResNeXt-29 (C x d): 3 stages of 3 post-activation bottlenecks, outputs 256/512/1024,
    inner width C*d in stage 1 (doubling per stage), 3x3/1 stem of 64."""
    return Net(
        stages=_stages("bottleneck", (256, 512, 1024), (3, 3, 3), (1, 2, 2),
                       groups=cardinality, expansion=cardinality * bottleneck_width / 256),
        stem="cifar", stem_width=64, num_classes=num_classes,
    )


_preset("resnext29_8x64d", lambda: resnext29(8, 64), "resnext", "Xie et al. 2017 Table 7", CIFAR)
_preset("resnext29_16x64d", lambda: resnext29(16, 64), "resnext", "Xie et al. 2017 Table 7", CIFAR)

# ---- GoogLeNet (Szegedy et al. 2015, Table 1) -------------------------------------------------
# Each Inception module is a stage of depth 1 (their branch widths differ). Stride 2 = the
# max-pool before 4a and 5a. torchvision deviations kept by the `googlenet*` presets: BN after
# every conv, a 3x3 conv in the "5x5" branch (pytorch/vision#906) and a 2x2 pool before 5a.
_GOOGLENET = (  # name, b1, b3_reduce, b3, b5_reduce, b5, pool_proj, stride
    ("3a", 64, 96, 128, 16, 32, 32, 1), ("3b", 128, 128, 192, 32, 96, 64, 1),
    ("4a", 192, 96, 208, 16, 48, 64, 2), ("4b", 160, 112, 224, 24, 64, 64, 1),
    ("4c", 128, 128, 256, 24, 64, 64, 1), ("4d", 112, 144, 288, 32, 64, 64, 1),
    ("4e", 256, 160, 320, 32, 128, 128, 1), ("5a", 256, 160, 320, 32, 128, 128, 2),
    ("5b", 384, 192, 384, 48, 128, 128, 1),
)


def googlenet(*, aux: bool, b5_kernel: int = 3, pool_5a: str = "2x2", dropout: float = 0.2,
              num_classes: int = 1000) -> Net:
    """GoogLeNet; aux heads after 4a and 4d (stages 2 and 5) when `aux`."""
    stages = tuple(
        Stage("inception", depth=1, width=b1 + b3 + b5 + pp, stride=stride,
              extras=BLOCK_EXTRAS["inception"](b1=b1, b3_reduce=b3r, b3=b3, b5_reduce=b5r, b5=b5,
                                     pool_proj=pp, b5_kernel=b5_kernel,
                                     pool=pool_5a if name == "5a" else "3x3"))
        for name, b1, b3r, b3, b5r, b5, pp, stride in _GOOGLENET
    )
    return Net(stages=stages, stem="googlenet", stem_width=64, dropout=dropout,
               num_classes=num_classes, aux_after=(2, 5) if aux else (), aux_head="googlenet")


_preset("googlenet", lambda: googlenet(aux=False), "googlenet",
        "Szegedy et al. 2015 Table 1; torchvision googlenet as its weights (no aux heads)")
_preset("googlenet_aux", lambda: googlenet(aux=True), "googlenet",
        "torchvision googlenet(aux_logits=True): both auxiliary classifiers")
# The paper's true 5x5 branch and 3x3/2 pool before 5a, dropout 0.4; BN convs kept.
_preset("googlenet_5x5", lambda: googlenet(aux=False, b5_kernel=5, pool_5a="3x3", dropout=0.4),
        "googlenet", "Szegedy et al. 2015 Table 1 with the 5x5 branch (REFERENCE.md 1.1 note)")


# ---- Inception-v3 (Szegedy et al. 2016, Table 1), torchvision layout, 299x299 -----------------
def inception_v3(*, aux: bool, num_classes: int = 1000) -> Net:
    """Inception-v3: 3 x A (35x35), B, 4 x C (17x17), D, 2 x E (8x8); aux head after 6e."""
    plan = (("A", 1, {"pool_features": 32}), ("A", 1, {"pool_features": 64}),
            ("A", 1, {"pool_features": 64}), ("B", 2, {}), ("C", 1, {"channels_7x7": 128}),
            ("C", 1, {"channels_7x7": 160}), ("C", 1, {"channels_7x7": 160}),
            ("C", 1, {"channels_7x7": 192}), ("D", 2, {}), ("E", 1, {}), ("E", 1, {}))
    stages, cin = [], 192
    for module, stride, kw in plan:
        extras = BLOCK_EXTRAS["inception_v3"](module=module, **kw)
        width = extras.out_width(cin, 0, stride)
        stages.append(Stage("inception_v3", 1, width, stride=stride, extras=extras))
        cin = width
    return Net(stages=tuple(stages), stem="inception_v3", stem_width=192, dropout=0.5,
               num_classes=num_classes, aux_after=(7,) if aux else (), aux_head="inception_v3")


_INCEPTION_INPUT = (3, 299, 299)
_preset("inception_v3", lambda: inception_v3(aux=True), "inception_v3",
        "Szegedy et al. 2016; torchvision inception_v3 (its num_params counts the aux head)",
        _INCEPTION_INPUT)
_preset("inception_v3_no_aux", lambda: inception_v3(aux=False), "inception_v3",
        "torchvision inception_v3(aux_logits=False)", _INCEPTION_INPUT)


# ---- DenseNet (Huang et al. 2017) ---------------------------------------------------------------
def densenet(k: int, layers: tuple[int, ...], *, stem: str, stem_width: int, bottleneck: bool,
             compression: float, num_classes: int) -> Net:
    """Dense stages of `layers` layers (growth rate k), a transition before each but the first."""
    extras = BLOCK_EXTRAS["dense"](bottleneck=bottleneck, compression=compression)
    return Net(
        stages=tuple(Stage("dense", n, k, stride=1 if i == 0 else 2, extras=extras)
                     for i, n in enumerate(layers)),
        stem=stem, stem_width=stem_width, head="preact_pool_fc", num_classes=num_classes,
    )


# DenseNet-BC for ImageNet (paper Table 1; torchvision densenet121/161/169/201)
def imagenet_densenet(k: int, layers: tuple[int, ...], stem_width: int = 64) -> Net:
    return densenet(k, layers, stem="imagenet", stem_width=stem_width, bottleneck=True,
                    compression=0.5, num_classes=1000)


_preset("densenet121", lambda: imagenet_densenet(32, (6, 12, 24, 16)), "densenet",
        "Huang et al. 2017 Table 1; torchvision densenet121")
_preset("densenet161", lambda: imagenet_densenet(48, (6, 12, 36, 24), stem_width=96), "densenet",
        "Huang et al. 2017 Table 1; torchvision densenet161")
_preset("densenet169", lambda: imagenet_densenet(32, (6, 12, 32, 32)), "densenet",
        "Huang et al. 2017 Table 1; torchvision densenet169")
_preset("densenet201", lambda: imagenet_densenet(32, (6, 12, 48, 32)), "densenet",
        "Huang et al. 2017 Table 1; torchvision densenet201")
# CIFAR DenseNets (paper Table 2): 3 dense blocks of (L-4)/3 layers (plain) or (L-4)/6
# (bottleneck); a bare 3x3 stem of 16 (2k for BC).
_preset("densenet40_k12", lambda: densenet(12, (12, 12, 12), stem="cifar_preact", stem_width=16,
                                   bottleneck=False, compression=1.0, num_classes=10),
        "densenet", "Huang et al. 2017 Table 2, DenseNet (L=40, k=12)", CIFAR)


def densenet_bc(depth: int, k: int) -> Net:
    """CIFAR DenseNet-BC (L = depth, growth rate k): 3 blocks of (L-4)/6 bottleneck layers."""
    n = (depth - 4) // 6
    return densenet(k, (n, n, n), stem="cifar_preact", stem_width=2 * k, bottleneck=True,
                    compression=0.5, num_classes=10)


_preset("densenet_bc_100_k12", lambda: densenet_bc(100, 12), "densenet",
        "Huang et al. 2017 Table 2, DenseNet-BC (L=100, k=12)", CIFAR)
_preset("densenet_bc_250_k24", lambda: densenet_bc(250, 24), "densenet",
        "Huang et al. 2017 Table 2, DenseNet-BC (L=250, k=24)", CIFAR)


# ---- ShuffleNet v1 (Zhang et al. 2017, Table 1) and v2 (Ma et al. 2018, Table 5) --------------
_SHUFFLE_V1_WIDTHS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # stage-2 output at 1x


def shufflenet_v1(groups: int, scale: float = 1.0, num_classes: int = 1000) -> Net:
    """ShuffleNet v1 (g groups, scale s): stages of 4/8/4 units, widths c/2c/4c, bottleneck
    w/4, the first 1x1 of stage 2 ungrouped; scale via the width multiplier (stem included)."""
    c = _SHUFFLE_V1_WIDTHS[groups]
    return Net(
        stages=tuple(
            Stage("shuffle", n, c * m, stride=2, groups=groups, expansion=0.25,
                  extras=BLOCK_EXTRAS["shuffle"](ungrouped_first=i == 0))
            for i, (n, m) in enumerate(((4, 1), (8, 2), (4, 4)))
        ),
        stem="shufflenet", stem_width=24, width_mult=scale, num_classes=num_classes,
    )


_TABLE1 = "Zhang et al. 2017 Table 1, ShuffleNet 1x"
_preset("shufflenet_v1_g1", lambda: shufflenet_v1(1), "shufflenet_v1", f"{_TABLE1} (g = 1)")
_preset("shufflenet_v1_g2", lambda: shufflenet_v1(2), "shufflenet_v1", f"{_TABLE1} (g = 2)")
_preset("shufflenet_v1_g3", lambda: shufflenet_v1(3), "shufflenet_v1", f"{_TABLE1} (g = 3)")
_preset("shufflenet_v1_g4", lambda: shufflenet_v1(4), "shufflenet_v1", f"{_TABLE1} (g = 4)")
_preset("shufflenet_v1_g8", lambda: shufflenet_v1(8), "shufflenet_v1", f"{_TABLE1} (g = 8)")
# 0.5x and 0.25x only for g = 3: for g = 2, 4, 8 the paper's rounding rule is unknown
# (REFERENCE.md 1.3, note *).
_preset("shufflenet_v1_x0_5_g3", lambda: shufflenet_v1(3, 0.5), "shufflenet_v1",
        "Zhang et al. 2017 Table 2, ShuffleNet 0.5x (g = 3)")
_preset("shufflenet_v1_x0_25_g3", lambda: shufflenet_v1(3, 0.25), "shufflenet_v1",
        "Zhang et al. 2017 Table 2, ShuffleNet 0.25x (g = 3)")


def shufflenet_v2(widths: tuple[int, int, int], head_width: int) -> Net:
    """ShuffleNet v2: stages of 4/8/4 units of `widths`, conv5 of `head_width` (Table 5)."""
    return Net(stages=_stages("shuffle_v2", widths, (4, 8, 4), (2, 2, 2)), stem="shufflenet",
               stem_width=24, head="conv_relu_pool_fc", head_width=head_width, num_classes=1000)


_TABLE5 = "Ma et al. 2018 Table 5"
_preset("shufflenet_v2_x0_5", lambda: shufflenet_v2((48, 96, 192), 1024), "shufflenet_v2",
        f"{_TABLE5}; torchvision shufflenet_v2_x0_5")
_preset("shufflenet_v2_x1_0", lambda: shufflenet_v2((116, 232, 464), 1024), "shufflenet_v2",
        f"{_TABLE5}; torchvision shufflenet_v2_x1_0")
_preset("shufflenet_v2_x1_5", lambda: shufflenet_v2((176, 352, 704), 1024), "shufflenet_v2",
        f"{_TABLE5}; torchvision shufflenet_v2_x1_5")
_preset("shufflenet_v2_x2_0", lambda: shufflenet_v2((244, 488, 976), 2048), "shufflenet_v2",
        f"{_TABLE5}; torchvision shufflenet_v2_x2_0")


# ---- AlexNet, torchvision's single-tower "one weird trick" variant (Krizhevsky 2014) ---------
_preset("alexnet",
        lambda: Net(stages=(Stage("plain", 1, 192, extras={"kernel": 5}),
                            Stage("plain", 1, 384, stride=2, extras={"pool": "3x3"}),
                            Stage("plain", 2, 256)),
                    stem="alexnet", stem_width=64, head="alexnet", dropout=0.5,
                    num_classes=1000),
        "alexnet", "torchvision alexnet (Krizhevsky 2014, one tower)")


# ---- FractalNet (Larsson et al. 2017, Section 4), CIFAR ---------------------------------------
def fractalnet(columns: int, num_classes: int = 10) -> Net:
    """B = 5 fractal blocks of C columns (depth 5 * 2^(C-1)), widths 64/128/256/512/512, a 2x2
    max-pool after each, per-block dropout 0/0.1/0.2/0.3/0.4 and drop-path (local 0.15, global
    for half the mini-batches), as Section 4 describes. No stem: the first block sees the image.

    Parameter count, derived from that description (pinned in tests/test_presets.py): a block
    of C columns has 2^C - 1 convs, C of them reading the block input (each column's first
    layer) and the rest its output width; every conv is 3x3 without bias, followed by BN
    (2 x width), and the head is a 512 x classes FC. For C = 3 (20 layers) that is 33,698,880
    conv weights + 20,608 BN + 5,130 FC = 33,724,618; for C = 4 (40 layers) 76,106,634. The
    38.6M commonly quoted for FractalNet-20 is unverified (REFERENCE.md 2.7) and does not match;
    the 22.9M quoted for 40 layers cannot hold for the same widths, since doubling the depth of
    every column adds weights.
    """
    return Net(
        stages=tuple(Stage("fractal", 1, w, stride=2,
                           extras=BLOCK_EXTRAS["fractal"](columns=columns, dropout=drop))
                     for w, drop in zip((64, 128, 256, 512, 512), (0.0, 0.1, 0.2, 0.3, 0.4),
                                        strict=True)),
        stem="none", num_classes=num_classes,
    )


_preset("fractalnet20", lambda: fractalnet(3), "fractalnet",
        "Larsson et al. 2017, 20 layers (C = 3)", CIFAR)
_preset("fractalnet40", lambda: fractalnet(4), "fractalnet",
        "Larsson et al. 2017, 40 layers (C = 4)", CIFAR)


# ---- RegNet (Radosavovic et al. 2020), torchvision's regnet_x_* and regnet_y_* ------------------
def regnet(**design) -> Net:
    """families.regnet.regnet: a point of RegNet's design space (imported when first used)."""
    from .families.regnet import regnet as design_point

    return design_point(**design)


# Each is a point of RegNet's design space: regnet(depth, w0, wa, wm, group_width), with
# squeeze-excitation (se_ratio 0.25) for the Y nets; the numbers are torchvision's.
_RADOSAVOVIC = "Radosavovic et al. 2020 (design space parameters as torchvision)"
_preset("regnet_x_400mf", lambda: regnet(depth=22, w0=24, wa=24.48, wm=2.54, group_width=16),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_400mf")
_preset("regnet_x_800mf", lambda: regnet(depth=16, w0=56, wa=35.73, wm=2.28, group_width=16),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_800mf")
_preset("regnet_x_1_6gf", lambda: regnet(depth=18, w0=80, wa=34.01, wm=2.25, group_width=24),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_1_6gf")
_preset("regnet_x_3_2gf", lambda: regnet(depth=25, w0=88, wa=26.31, wm=2.25, group_width=48),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_3_2gf")
_preset("regnet_x_8gf", lambda: regnet(depth=23, w0=80, wa=49.56, wm=2.88, group_width=120),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_8gf")
_preset("regnet_x_16gf", lambda: regnet(depth=22, w0=216, wa=55.59, wm=2.1, group_width=128),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_16gf")
_preset("regnet_x_32gf", lambda: regnet(depth=23, w0=320, wa=69.86, wm=2.0, group_width=168),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_x_32gf")
_preset("regnet_y_400mf", lambda: regnet(depth=16, w0=48, wa=27.89, wm=2.09, group_width=8,
                                 se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_400mf")
_preset("regnet_y_800mf", lambda: regnet(depth=14, w0=56, wa=38.84, wm=2.4, group_width=16,
                                 se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_800mf")
_preset("regnet_y_1_6gf", lambda: regnet(depth=27, w0=48, wa=20.71, wm=2.65, group_width=24,
                                 se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_1_6gf")
_preset("regnet_y_3_2gf", lambda: regnet(depth=21, w0=80, wa=42.63, wm=2.66, group_width=24,
                                 se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_3_2gf")
_preset("regnet_y_8gf", lambda: regnet(depth=17, w0=192, wa=76.82, wm=2.19, group_width=56,
                               se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_8gf")
_preset("regnet_y_16gf", lambda: regnet(depth=18, w0=200, wa=106.23, wm=2.48, group_width=112,
                                se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_16gf")
_preset("regnet_y_32gf", lambda: regnet(depth=20, w0=232, wa=115.89, wm=2.53, group_width=232,
                                se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_32gf")
_preset("regnet_y_128gf", lambda: regnet(depth=27, w0=456, wa=160.83, wm=2.52, group_width=264,
                                 se_ratio=0.25),
        "regnet", f"{_RADOSAVOVIC}; torchvision regnet_y_128gf")

# ---- what each preset is checked against (tests/test_presets.py) -----------------------------

# Presets whose torchvision twin has the same name: the same parameters, and the same outputs
# once its weights are copied (interop.load_torchvision).
_TORCHVISION_TWINS = [
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "wide_resnet50_2", "wide_resnet101_2",
    "resnext50_32x4d", "resnext101_32x8d", "resnext101_64x4d",
    "mobilenet_v2",
    "googlenet", "inception_v3", "densenet121", "densenet161", "densenet169", "densenet201",
    "shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0",
    "alexnet",
    "regnet_x_400mf", "regnet_x_800mf", "regnet_x_1_6gf", "regnet_x_3_2gf", "regnet_x_8gf",
    "regnet_x_16gf", "regnet_x_32gf",
    "regnet_y_400mf", "regnet_y_800mf", "regnet_y_1_6gf", "regnet_y_3_2gf", "regnet_y_8gf",
    "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf",
]

# Preset -> (torchvision builder, its keyword arguments) where they differ from (its name, {}):
# the auxiliary-head variants.
# torchvision's googlenet weights drop the aux heads, inception_v3's count them (REFERENCE 1.1).
_TORCHVISION_VARIANTS = {
    "googlenet": ("googlenet", {"aux_logits": False, "init_weights": True}),
    "googlenet_aux": ("googlenet", {"aux_logits": True, "init_weights": True}),
    "inception_v3": ("inception_v3", {"aux_logits": True, "init_weights": True}),
    "inception_v3_no_aux": ("inception_v3", {"aux_logits": False, "init_weights": True}),
}

# Exact parameter counts, ../shared/REFERENCE.md (row cited per entry).
_CIFAR_PARAMS = {
    # 2.1 He et al. 2015 Table 6, "Exact params, option A [D]"
    "resnet20": 269_722, "resnet32": 464_154, "resnet44": 658_586, "resnet56": 853_018,
    "resnet110": 1_727_962, "resnet1202": 19_421_274,
    # 2.1: the plain nets are the same layers without shortcuts; option A has no parameters,
    # so plain-20/56 equal ResNet-20/56 (REFERENCE.md 2.1 rows ResNet-20 and ResNet-56).
    "plain20": 269_722, "plain56": 853_018,
    # 2.3 stochastic depth uses ResNet-110 (2.1 row ResNet-110); drop-path has no parameters.
    "resnet110_stochastic_depth": 1_727_962,
    # 2.2 Table 3 row "ResNet-110 1.7M": pre-activation moves BNs but keeps the same number:
    # stem BN (32) and the two narrower first-block BNs of stages 2/3 (-32, -64) are traded for
    # the final BN (128), so the count equals 2.1's 1,727,962.
    "preact_resnet110": 1_727_962,
    # 2.2 Table 3/4 rows ResNet-164 and ResNet-1001, "Exact params [D]"
    "preact_resnet164": 1_703_258, "preact_resnet1001": 10_327_706,
    # 2.4 Table 5 rows WRN-16-8, WRN-28-10, WRN-40-4
    "wrn_16_8": 10_961_370, "wrn_28_10": 36_479_194, "wrn_40_4": 8_949_210,
    # 2.5 Table 7 rows ResNeXt-29 8x64d and 16x64d
    "resnext29_8x64d": 34_426_698, "resnext29_16x64d": 68_155_210,
    # 2.8 "torchvision arch with a 10-class head": 2,236,682
    "mobilenet_v2_cifar": 2_236_682,
    # 2.6 rows DenseNet (L=40, k=12), DenseNet-BC (L=100, k=12), DenseNet-BC (L=250, k=24)
    "densenet40_k12": 1_019_722, "densenet_bc_100_k12": 769_162,
    "densenet_bc_250_k24": 15_324_406,
    # 2.7: the published 38.6M is unverified; these are derived from the paper's description
    # (see presets.fractalnet and test_fractalnet_count_derivation below)
    "fractalnet20": 33_724_618, "fractalnet40": 76_106_634,
}


# ImageNet presets from the papers, not in torchvision
_PAPER_PARAMS = {
    # 1.1 note / 6.2: "With a true 5x5 branch: 7,005,832 params with BN convs"
    "googlenet_5x5": 7_005_832,
    # 1.3 "Params 1x [D], = osmr exact [V]" for g = 1, 2, 3, 4, 8; 0.5x and 0.25x for g = 3
    "shufflenet_v1_g1": 1_531_936, "shufflenet_v1_g2": 1_733_848, "shufflenet_v1_g3": 1_865_728,
    "shufflenet_v1_g4": 1_968_344, "shufflenet_v1_g8": 2_434_768,
    "shufflenet_v1_x0_5_g3": 718_324, "shufflenet_v1_x0_25_g3": 305_902,
}



_TWINS = {**{name: (name, {}) for name in _TORCHVISION_TWINS}, **_TORCHVISION_VARIANTS}
_PARAMS = {**_CIFAR_PARAMS, **_PAPER_PARAMS}
for _name, _preset_record in CATALOGUE.items():
    _twin = _TWINS.get(_name)
    CATALOGUE[_name] = dataclasses.replace(
        _preset_record, params=_PARAMS.get(_name),
        torchvision=(_twin[0], tuple(sorted(_twin[1].items()))) if _twin else None)
del _preset_record, _twin

PRESETS: Mapping[str, Net] = _Points()
"""Name -> point, for every preset (the public name; `CATALOGUE` holds the full records)."""
PRESET_INFO = CATALOGUE
"""Name -> Preset (architecture, family, input_size, source, references): the name earlier code
reads the records by."""

del _name, _depth, _k  # the WRN loop's names are not part of the API
__all__ = ["CATALOGUE", "PRESETS", "PRESET_INFO", "Preset", "cifar_resnet", "densenet",
           "densenet_bc", "fractalnet", "googlenet", "imagenet_densenet", "imagenet_resnet",
           "inception_v3", "preact_bottleneck_resnet", "regnet", "resnext29", "shufflenet_v1",
           "shufflenet_v2", "vgg", "wrn"]
