"""Named points of the space: every classic backbone as one commented literal.

torchvision names where torchvision has the model (ImageNet, 224x224, 1000 classes); paper names
for the CIFAR nets (32x32, 10 classes). A preset adapts to a dataset with `Net.adapt(...)`;
`width_mult`/`depth_mult` give scaled variants (`PRESETS["mobilenet_v2"].replace(width_mult=1.4)`).
Parameter counts are pinned in tests/test_presets.py against ../shared/REFERENCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from .extras import (
    BasicExtras,
    BottleneckExtras,
    DenseExtras,
    FractalExtras,
    InceptionExtras,
    InceptionV3Extras,
    PlainExtras,
    ShuffleExtras,
)
from .spec import Net, Stage


@dataclass(frozen=True)
class PresetInfo:
    family: str
    input_size: tuple[int, int, int]  # native (C, H, W)
    source: str  # paper / table, or torchvision builder


PRESETS: dict[str, Net] = {}
PRESET_INFO: dict[str, PresetInfo] = {}

IMAGENET = (3, 224, 224)
CIFAR = (3, 32, 32)


def _add(name: str, net: Net, family: str, source: str, input_size=IMAGENET) -> None:
    if name in PRESETS:
        raise ValueError(f"preset {name!r} is already registered")
    PRESETS[name] = net.replace(name=name)
    PRESET_INFO[name] = PresetInfo(family, input_size, source)


def _stages(block: str, widths, depths, strides, **common) -> tuple[Stage, ...]:
    return tuple(
        Stage(block, depth=d, width=w, stride=s, **common)
        for w, d, s in zip(widths, depths, strides, strict=True)
    )


# ---- VGG (Simonyan & Zisserman 2015, Table 1 configurations A, B, D, E) --------------------
# One plain block = one 3x3 conv (with bias, as in the paper and torchvision). The max-pools
# between stages are the stride-2 of each stage's first layer; the fifth pool is in the head.
# torchvision adds an adaptive 7x7 avg-pool before the classifier (identity at 224x224).
_VGG_DEPTHS = {"vgg11": (1, 1, 2, 2, 2), "vgg13": (2, 2, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3),
               "vgg19": (2, 2, 4, 4, 4)}
for _name, _depths in _VGG_DEPTHS.items():
    for _bn in (False, True):
        _add(
            _name + ("_bn" if _bn else ""),
            Net(
                stages=_stages("plain", (64, 128, 256, 512, 512), _depths, (1, 2, 2, 2, 2),
                               extras=PlainExtras(batchnorm=_bn)),
                stem="none", head="vgg", dropout=0.5, num_classes=1000,
            ),
            "vgg", f"VGG config {'ABDE'[list(_VGG_DEPTHS).index(_name)]}; torchvision {_name}",
        )

# ---- ResNet (He et al. 2015, Table 1), torchvision layout ("v1.5": stride on the 3x3) -------
_RESNET_WIDTHS_BASIC = (64, 128, 256, 512)
_RESNET_WIDTHS_BOTTLENECK = (256, 512, 1024, 2048)  # output widths; inner = 0.25x
_STRIDES4 = (1, 2, 2, 2)
for _name, _depths in {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3)}.items():
    _add(_name, Net(stages=_stages("basic", _RESNET_WIDTHS_BASIC, _depths, _STRIDES4),
                    stem="imagenet", stem_width=64, num_classes=1000),
         "resnet", f"He et al. 2015 Table 1; torchvision {_name}")


def _imagenet_bottleneck(depths, expansion: float, groups: int = 1) -> Net:
    return Net(
        stages=_stages("bottleneck", _RESNET_WIDTHS_BOTTLENECK, depths, _STRIDES4,
                       expansion=expansion, groups=groups),
        stem="imagenet", stem_width=64, num_classes=1000,
    )


_BOTTLENECK_DEPTHS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}
for _d, _depths in _BOTTLENECK_DEPTHS.items():
    _add(f"resnet{_d}", _imagenet_bottleneck(_depths, 0.25), "resnet",
         f"He et al. 2015 Table 1 (stride on the 3x3 as torchvision v1.5); torchvision resnet{_d}")
# Wide ResNet-50/101-2 (Zagoruyko & Komodakis 2016): bottleneck twice as wide, 0.5 x output.
for _d in (50, 101):
    _add(f"wide_resnet{_d}_2", _imagenet_bottleneck(_BOTTLENECK_DEPTHS[_d], 0.5), "wide_resnet",
         f"WRN-{_d}-2-bottleneck; torchvision wide_resnet{_d}_2")
# ResNeXt (Xie et al. 2017, Table 1): C groups of width d in stage 1 -> inner C*d of 256 out.
for _d, _c, _w in ((50, 32, 4), (101, 32, 8), (101, 64, 4)):
    _add(f"resnext{_d}_{_c}x{_w}d", _imagenet_bottleneck(_BOTTLENECK_DEPTHS[_d], _c * _w / 256, _c),
         "resnext", f"Xie et al. 2017 Table 1 / torchvision resnext{_d}_{_c}x{_w}d")

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


_add("mobilenet_v2", _mobilenet_v2([s for *_, s in _MBV2], "mobilenet_v2", 1000), "mobilenet_v2",
     "Sandler et al. 2018 Table 2; torchvision mobilenet_v2 (width 1.4: .replace(width_mult=1.4))")
# CIFAR MobileNetV2: torchvision's layout with a 10-class head; the stem and the 24-channel
# stage run at stride 1 so a 32x32 image ends at 4x4 (as kuangliu/pytorch-cifar). Strides don't
# change the count: 2,236,682 (REFERENCE.md 2.8).
_add("mobilenet_v2_cifar",
     _mobilenet_v2((1, 1, 2, 2, 1, 2, 1), "mobilenet_v2_small", 10),
     "mobilenet_v2", "MobileNetV2 for 32x32 (REFERENCE.md 2.8)", CIFAR)


# ---- CIFAR ResNets (He et al. 2015 Section 4.2): 6n+2 layers, widths 16/32/64 -----------------
def cifar_resnet(n: int, shortcut: str = "A", num_classes: int = 10) -> Net:
    """He et al. 2015's CIFAR ResNet-(6n+2); shortcut A (zero-pad) as in the paper's Table 6."""
    return Net(
        stages=_stages("basic", (16, 32, 64), (n, n, n), (1, 2, 2),
                       extras=BasicExtras(shortcut=shortcut)),
        stem="cifar", stem_width=16, num_classes=num_classes,
    )


for _n in (3, 5, 7, 9, 18, 200):
    _add(f"resnet{6 * _n + 2}", cifar_resnet(_n), "resnet_cifar",
         "He et al. 2015 Table 6, option A", CIFAR)
# Plain nets of Fig. 6 (left): the same layers without shortcuts; option A adds no params, so
# the counts equal ResNet-20/56's.
for _n in (3, 9):
    _add(f"plain{6 * _n + 2}", cifar_resnet(_n, shortcut="none"), "plain_cifar",
         "He et al. 2015 Fig. 6 plain nets", CIFAR)
# Stochastic depth (Huang et al. 2016): ResNet-110, linear decay to survival 0.5 at the last of
# its 54 blocks. Deviation: Huang's transition shortcut is avg-pool + zero-pad; ours subsamples
# (option A). Neither has parameters.
_add("resnet110_stochastic_depth", cifar_resnet(18).replace(drop_path=0.5), "stochastic_depth",
     "Huang et al. 2016 Table 1 (p_L = 0.5, linear decay)", CIFAR)


# ---- Pre-activation ResNets (He et al. 2016, Identity Mappings) ----------------------------
_add("preact_resnet110",
     Net(stages=_stages("basic", (16, 32, 64), (18, 18, 18), (1, 2, 2),
                        extras=BasicExtras(preact=True, shortcut="A")),
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
                       extras=BottleneckExtras(preact=True)),
        stem="cifar_preact", stem_width=16, head="preact_pool_fc", num_classes=num_classes,
    )


for _d in (164, 1001):
    _add(f"preact_resnet{_d}", preact_bottleneck_resnet(_d), "preact_resnet",
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
                       extras=BasicExtras(preact=True, shortcut="B", dropout=dropout)),
        stem="cifar_preact", stem_width=16, head="preact_pool_fc", num_classes=num_classes,
    )


for _d, _k in ((16, 8), (28, 10), (40, 4)):
    _add(f"wrn_{_d}_{_k}", wrn(_d, _k), "wide_resnet", "Zagoruyko & Komodakis 2016 Table 4/5",
         CIFAR)


# ---- ResNeXt-29 on CIFAR (Xie et al. 2017 Section 5.3, Table 7) -------------------------------
def resnext29(cardinality: int, bottleneck_width: int, num_classes: int = 10) -> Net:
    """ResNeXt-29 (C x d): 3 stages of 3 post-activation bottlenecks, outputs 256/512/1024,
    inner width C*d in stage 1 (doubling per stage), 3x3/1 stem of 64."""
    return Net(
        stages=_stages("bottleneck", (256, 512, 1024), (3, 3, 3), (1, 2, 2),
                       groups=cardinality, expansion=cardinality * bottleneck_width / 256),
        stem="cifar", stem_width=64, num_classes=num_classes,
    )


for _c in (8, 16):
    _add(f"resnext29_{_c}x64d", resnext29(_c, 64), "resnext", "Xie et al. 2017 Table 7", CIFAR)

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
              extras=InceptionExtras(b1=b1, b3_reduce=b3r, b3=b3, b5_reduce=b5r, b5=b5,
                                     pool_proj=pp, b5_kernel=b5_kernel,
                                     pool=pool_5a if name == "5a" else "3x3"))
        for name, b1, b3r, b3, b5r, b5, pp, stride in _GOOGLENET
    )
    return Net(stages=stages, stem="googlenet", stem_width=64, dropout=dropout,
               num_classes=num_classes, aux_after=(2, 5) if aux else (), aux_head="googlenet")


_add("googlenet", googlenet(aux=False), "googlenet",
     "Szegedy et al. 2015 Table 1; torchvision googlenet as its weights (no aux heads)")
_add("googlenet_aux", googlenet(aux=True), "googlenet",
     "torchvision googlenet(aux_logits=True): both auxiliary classifiers")
# The paper's true 5x5 branch and 3x3/2 pool before 5a, dropout 0.4; BN convs kept.
_add("googlenet_5x5", googlenet(aux=False, b5_kernel=5, pool_5a="3x3", dropout=0.4), "googlenet",
     "Szegedy et al. 2015 Table 1 with the 5x5 branch (REFERENCE.md 1.1 note)")


# ---- Inception-v3 (Szegedy et al. 2016, Table 1), torchvision layout, 299x299 -----------------
def inception_v3(*, aux: bool, num_classes: int = 1000) -> Net:
    """Inception-v3: 3 x A (35x35), B, 4 x C (17x17), D, 2 x E (8x8); aux head after 6e."""
    plan = (("A", 1, {"pool_features": 32}), ("A", 1, {"pool_features": 64}),
            ("A", 1, {"pool_features": 64}), ("B", 2, {}), ("C", 1, {"channels_7x7": 128}),
            ("C", 1, {"channels_7x7": 160}), ("C", 1, {"channels_7x7": 160}),
            ("C", 1, {"channels_7x7": 192}), ("D", 2, {}), ("E", 1, {}), ("E", 1, {}))
    stages, cin = [], 192
    for module, stride, kw in plan:
        extras = InceptionV3Extras(module=module, **kw)
        width = extras.out_width(cin, 0, stride)
        stages.append(Stage("inception_v3", 1, width, stride=stride, extras=extras))
        cin = width
    return Net(stages=tuple(stages), stem="inception_v3", stem_width=192, dropout=0.5,
               num_classes=num_classes, aux_after=(7,) if aux else (), aux_head="inception_v3")


_INCEPTION_INPUT = (3, 299, 299)
_add("inception_v3", inception_v3(aux=True), "inception_v3",
     "Szegedy et al. 2016; torchvision inception_v3 (its num_params counts the aux head)",
     _INCEPTION_INPUT)
_add("inception_v3_no_aux", inception_v3(aux=False), "inception_v3",
     "torchvision inception_v3(aux_logits=False)", _INCEPTION_INPUT)


# ---- DenseNet (Huang et al. 2017) ---------------------------------------------------------------
def densenet(k: int, layers: tuple[int, ...], *, stem: str, stem_width: int, bottleneck: bool,
             compression: float, num_classes: int) -> Net:
    """Dense stages of `layers` layers (growth rate k), a transition before each but the first."""
    extras = DenseExtras(bottleneck=bottleneck, compression=compression)
    return Net(
        stages=tuple(Stage("dense", n, k, stride=1 if i == 0 else 2, extras=extras)
                     for i, n in enumerate(layers)),
        stem=stem, stem_width=stem_width, head="preact_pool_fc", num_classes=num_classes,
    )


# DenseNet-BC for ImageNet (paper Table 1; torchvision densenet121/161/169/201)
for _d, (_k, _layers, _stem) in {121: (32, (6, 12, 24, 16), 64), 161: (48, (6, 12, 36, 24), 96),
                                 169: (32, (6, 12, 32, 32), 64),
                                 201: (32, (6, 12, 48, 32), 64)}.items():
    _add(f"densenet{_d}", densenet(_k, _layers, stem="imagenet", stem_width=_stem,
                                   bottleneck=True, compression=0.5, num_classes=1000),
         "densenet", f"Huang et al. 2017 Table 1; torchvision densenet{_d}")
# CIFAR DenseNets (paper Table 2): 3 dense blocks of (L-4)/3 layers (plain) or (L-4)/6
# (bottleneck); a bare 3x3 stem of 16 (2k for BC).
_add("densenet40_k12", densenet(12, (12, 12, 12), stem="cifar_preact", stem_width=16,
                                bottleneck=False, compression=1.0, num_classes=10),
     "densenet", "Huang et al. 2017 Table 2, DenseNet (L=40, k=12)", CIFAR)
for _d, _k in ((100, 12), (250, 24)):
    _n = (_d - 4) // 6
    _add(f"densenet_bc_{_d}_k{_k}",
         densenet(_k, (_n, _n, _n), stem="cifar_preact", stem_width=2 * _k, bottleneck=True,
                  compression=0.5, num_classes=10),
         "densenet", f"Huang et al. 2017 Table 2, DenseNet-BC (L={_d}, k={_k})", CIFAR)


# ---- ShuffleNet v1 (Zhang et al. 2017, Table 1) and v2 (Ma et al. 2018, Table 5) --------------
_SHUFFLE_V1_WIDTHS = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # stage-2 output at 1x


def shufflenet_v1(groups: int, scale: float = 1.0, num_classes: int = 1000) -> Net:
    """ShuffleNet v1 (g groups, scale s): stages of 4/8/4 units, widths c/2c/4c, bottleneck
    w/4, the first 1x1 of stage 2 ungrouped; scale via the width multiplier (stem included)."""
    c = _SHUFFLE_V1_WIDTHS[groups]
    return Net(
        stages=tuple(
            Stage("shuffle", n, c * m, stride=2, groups=groups, expansion=0.25,
                  extras=ShuffleExtras(ungrouped_first=i == 0))
            for i, (n, m) in enumerate(((4, 1), (8, 2), (4, 4)))
        ),
        stem="shufflenet", stem_width=24, width_mult=scale, num_classes=num_classes,
    )


for _g in _SHUFFLE_V1_WIDTHS:
    _add(f"shufflenet_v1_g{_g}", shufflenet_v1(_g), "shufflenet_v1",
         f"Zhang et al. 2017 Table 1, ShuffleNet 1x (g = {_g})")
# 0.5x and 0.25x only for g = 3: for g = 2, 4, 8 the paper's rounding rule is unknown
# (REFERENCE.md 1.3, note *).
for _s, _tag in ((0.5, "x0_5"), (0.25, "x0_25")):
    _add(f"shufflenet_v1_{_tag}_g3", shufflenet_v1(3, _s), "shufflenet_v1",
         f"Zhang et al. 2017 Table 2, ShuffleNet {_s}x (g = 3)")

_SHUFFLE_V2 = {"x0_5": ((48, 96, 192), 1024), "x1_0": ((116, 232, 464), 1024),
               "x1_5": ((176, 352, 704), 1024), "x2_0": ((244, 488, 976), 2048)}
for _tag, (_widths, _head) in _SHUFFLE_V2.items():
    _add(f"shufflenet_v2_{_tag}",
         Net(stages=_stages("shuffle_v2", _widths, (4, 8, 4), (2, 2, 2)), stem="shufflenet",
             stem_width=24, head="conv_relu_pool_fc", head_width=_head, num_classes=1000),
         "shufflenet_v2", f"Ma et al. 2018 Table 5; torchvision shufflenet_v2_{_tag}")


# ---- AlexNet, torchvision's single-tower "one weird trick" variant (Krizhevsky 2014) ---------
_add("alexnet",
     Net(stages=(Stage("plain", 1, 192, extras=PlainExtras(kernel=5)),
                 Stage("plain", 1, 384, stride=2, extras=PlainExtras(pool="3x3")),
                 Stage("plain", 2, 256)),
         stem="alexnet", stem_width=64, head="alexnet", dropout=0.5, num_classes=1000),
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
                           extras=FractalExtras(columns=columns, dropout=drop))
                     for w, drop in zip((64, 128, 256, 512, 512), (0.0, 0.1, 0.2, 0.3, 0.4),
                                        strict=True)),
        stem="none", num_classes=num_classes,
    )


_add("fractalnet20", fractalnet(3), "fractalnet", "Larsson et al. 2017, 20 layers (C = 3)", CIFAR)
_add("fractalnet40", fractalnet(4), "fractalnet", "Larsson et al. 2017, 40 layers (C = 4)", CIFAR)

# The module-level loop names are not part of the API.
del _name, _depths, _bn, _d, _c, _w, _n, _k, _g, _s, _tag, _widths, _head, _layers, _stem
__all__ = ["PRESETS", "PRESET_INFO", "PresetInfo", "cifar_resnet", "densenet", "fractalnet",
           "googlenet", "inception_v3", "preact_bottleneck_resnet", "resnext29", "shufflenet_v1",
           "wrn"]
