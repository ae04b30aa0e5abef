"""Named points of the space: every classic backbone as one commented literal.

torchvision names where torchvision has the model (ImageNet, 224x224, 1000 classes); paper names
for the CIFAR nets (32x32, 10 classes). A preset adapts to a dataset with `Net.adapt(...)`;
`width_mult`/`depth_mult` give scaled variants (`PRESETS["mobilenet_v2"].replace(width_mult=1.4)`).
Parameter counts are pinned in tests/test_presets.py against ../shared/REFERENCE.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spec import BasicExtras, BottleneckExtras, Net, PlainExtras, Stage


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

# The module-level loop names are not part of the API.
del _name, _depths, _bn, _d, _c, _w, _n, _k
__all__ = ["PRESETS", "PRESET_INFO", "PresetInfo", "cifar_resnet", "preact_bottleneck_resnet",
           "wrn", "resnext29"]
