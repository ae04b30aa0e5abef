"""complexity(): torch's flop counter, checked against torchvision's published MACs, the
papers' numbers and the lecture's VGG-16 table."""

from __future__ import annotations

import pytest
import torch
import torchvision

from search_space import PRESETS, InceptionExtras, Net, PlainExtras, Stage, complexity
from search_space.backbone import Backbone
from search_space.presets import cifar_resnet


@pytest.mark.parametrize(
    "name", ["resnet50", "vgg16", "mobilenet_v2", "resnext50_32x4d", "wide_resnet50_2"]
)
def test_macs_match_torchvision_published_gflops(name):
    # torchvision's "GFLOPS" metadata (`_ops`) are multiply-adds (REFERENCE.md section 0)
    published = torchvision.models.get_model_weights(name).IMAGENET1K_V1.meta["_ops"] * 1e9
    cx = complexity(PRESETS[name], (3, 224, 224))
    assert cx.macs == pytest.approx(published, rel=0.005)


@pytest.mark.parametrize(
    "name, gmacs", [("resnet18", 1.814), ("resnet34", 3.664), ("resnet101", 7.801),
                    ("resnet152", 11.514), ("resnext101_32x8d", 16.414), ("vgg19", 19.632)]
)
def test_more_macs_against_reference_table(name, gmacs):
    # REFERENCE.md 1.1, `_ops` column
    assert complexity(PRESETS[name], (3, 224, 224)).macs / 1e9 == pytest.approx(gmacs, abs=0.001)


def test_resnet50_v1_stride_on_1x1():
    # REFERENCE.md 6.1: paper v1 (stride on the first 1x1) is 3858 M [D]; same params
    from search_space import BottleneckExtras
    v1 = PRESETS["resnet50"]
    v1 = v1.replace(stages=tuple(s.__class__(**{**s.__dict__, "extras": BottleneckExtras(
        stride_on="1x1")}) for s in v1.stages))
    cx = complexity(v1, (3, 224, 224))
    assert cx.params == 25_557_032
    assert cx.macs / 1e6 == pytest.approx(3858, abs=1)


@pytest.mark.parametrize("n, mmacs", [(3, 40.55), (5, 68.86), (9, 125.49), (18, 252.89)])
def test_cifar_resnet_macs(n, mmacs):
    # REFERENCE.md 2.1 "MACs [D]"
    assert complexity(cifar_resnet(n), (3, 32, 32)).macs / 1e6 == pytest.approx(mmacs, abs=0.01)


# The lecture's VGG-16 table (CS231n): each layer's output size and its weights (no biases).
LECTURE_VGG16 = [
    ("conv", (64, 224, 224), 3 * 3 * 3 * 64), ("conv", (64, 224, 224), 3 * 3 * 64 * 64),
    ("pool", (64, 112, 112), 0),
    ("conv", (128, 112, 112), 3 * 3 * 64 * 128), ("conv", (128, 112, 112), 3 * 3 * 128 * 128),
    ("pool", (128, 56, 56), 0),
    ("conv", (256, 56, 56), 3 * 3 * 128 * 256), ("conv", (256, 56, 56), 3 * 3 * 256 * 256),
    ("conv", (256, 56, 56), 3 * 3 * 256 * 256),
    ("pool", (256, 28, 28), 0),
    ("conv", (512, 28, 28), 3 * 3 * 256 * 512), ("conv", (512, 28, 28), 3 * 3 * 512 * 512),
    ("conv", (512, 28, 28), 3 * 3 * 512 * 512),
    ("pool", (512, 14, 14), 0),
    ("conv", (512, 14, 14), 3 * 3 * 512 * 512), ("conv", (512, 14, 14), 3 * 3 * 512 * 512),
    ("conv", (512, 14, 14), 3 * 3 * 512 * 512),
    ("pool", (512, 7, 7), 0),
    ("fc", (4096,), 7 * 7 * 512 * 4096), ("fc", (4096,), 4096 * 4096), ("fc", (1000,), 4096 * 1000),
]


def test_vgg16_per_layer_table_reproduces_the_lecture():
    cx = complexity(PRESETS["vgg16"], (3, 224, 224))
    # torchvision's adaptive 7x7 average pool is the identity at 224x224 and has no lecture row
    rows = [layer for layer in cx.layers if layer.kind != "AdaptiveAvgPool2d"]
    assert len(rows) == len(LECTURE_VGG16)
    for layer, (kind, shape, weights) in zip(rows, LECTURE_VGG16, strict=True):
        assert layer.output_shape == shape, layer.name
        bias = shape[0] if kind != "pool" else 0  # the lecture counts weights only
        assert layer.params == weights + bias, layer.name
    assert cx.params == 138_357_544  # "138M parameters"; REFERENCE.md 1.1 vgg16
    lecture_weights = sum(w for *_, w in LECTURE_VGG16)
    assert lecture_weights == 138_344_128  # the lecture's 138M, biases excluded

    # Activations. The lecture prints "TOTAL memory: 24M * 4 bytes ~= 96MB / image", but its
    # own rows add up to 15.2M (input 150,528 + layers 15,087,080 = 15,237,608 values, ~61 MB
    # in fp32). The per-layer rows are right; the 24M total is an arithmetic slip.
    lecture_rows = 3 * 224 * 224 + sum(
        s[0] * (s[1] * s[2] if len(s) == 3 else 1) for _, s, _ in LECTURE_VGG16
    )
    assert lecture_rows == 15_237_608
    ours = sum(layer.activations for layer in rows) + 3 * 224 * 224
    assert ours == lecture_rows
    assert cx.activations == ours - 3 * 224 * 224 + 512 * 7 * 7  # + the adaptive pool's output


def test_macs_per_layer_sum_to_total():
    cx = complexity(PRESETS["resnet18"], (3, 224, 224))
    assert sum(layer.macs for layer in cx.layers) == cx.macs
    assert cx.table().shape[0] == len(cx.layers)


def test_complexity_validates_input_size():
    with pytest.raises(ValueError, match="below 1 pixel"):
        complexity(PRESETS["vgg16"], (3, 8, 8))


# ---- issue 3: the lecture's complexity claims -------------------------------------------------


def single_block_net(in_channels: int, stage: Stage) -> Net:
    """One block on a given input, no stem; the 1-class FC head's MACs are excluded below."""
    return Net(stages=(stage,), stem="none", in_channels=in_channels, num_classes=1)


def conv_macs(cx) -> list[int]:
    return [layer.macs for layer in cx.layers if layer.kind == "Conv2d"]


def test_naive_inception_module():
    # 28x28x256 input; 1x1 128, 3x3 192, 5x5 96 and a 3x3 pool branch: 28x28x672, 854M
    extras = InceptionExtras(b1=128, b3=192, b5=96, reduce=False)
    net = single_block_net(256, Stage("inception", 1, 128 + 192 + 96 + 256, extras=extras))
    cx = complexity(net, (256, 28, 28))
    with torch.device("meta"):
        out = Backbone(net).stages(torch.empty(1, 256, 28, 28))
    assert tuple(out.shape[1:]) == (672, 28, 28)
    hw = 28 * 28
    assert conv_macs(cx) == [hw * 128 * 256, hw * 192 * 9 * 256, hw * 96 * 25 * 256]
    assert sum(conv_macs(cx)) == 854_196_224  # "854M ops"


def test_inception_module_with_1x1_reductions():
    extras = InceptionExtras(b1=128, b3_reduce=64, b3=192, b5_reduce=64, b5=96, pool_proj=64)
    net = single_block_net(256, Stage("inception", 1, 128 + 192 + 96 + 64, extras=extras))
    macs = conv_macs(complexity(net, (256, 28, 28)))
    hw = 28 * 28
    # the lecture's six terms, in our branch order
    lecture_terms = [hw * 128 * 256, hw * 64 * 256, hw * 192 * 9 * 64, hw * 64 * 256,
                     hw * 96 * 25 * 64, hw * 64 * 256]
    assert macs == lecture_terms
    # The lecture prints "Total: 358M ops", but its own six terms add up to 271.4M; 358M is
    # what one gets by counting the 3x3 term (86.7M) twice. The 854M of the naive module, by the
    # same arithmetic, is right (test above). We reproduce the terms and report the true sum.
    assert sum(macs) == 271_351_808
    assert sum(macs) + hw * 192 * 9 * 64 == pytest.approx(358e6, rel=0.001)


def test_mobilenet_v2_size():
    cx = complexity(PRESETS["mobilenet_v2"], (3, 224, 224))
    assert 3.4e6 <= cx.params <= 3.5e6 + 5e3  # 3,504,872 (REFERENCE.md 1.1)
    assert cx.macs / 1e6 == pytest.approx(300, rel=0.01)


@pytest.mark.parametrize("groups, mflops", [(1, 143), (2, 140), (3, 137), (4, 133), (8, 137)])
def test_shufflenet_v1_complexity(groups, mflops):
    # ShuffleNet Table 1 (REFERENCE.md 1.3), within 3%
    cx = complexity(PRESETS[f"shufflenet_v1_g{groups}"], (3, 224, 224))
    assert cx.macs / 1e6 == pytest.approx(mflops, rel=0.03)


@pytest.mark.parametrize("name, low, high, size", [
    ("vgg16", 15.3e9, 15.5e9, 224), ("googlenet", 1.45e9, 1.55e9, 224),
    ("alexnet", 0.70e9, 0.73e9, 224), ("inception_v3_no_aux", 5.0e9, 5.75e9, 299),
])
def test_classic_macs(name, low, high, size):
    # lecture: VGG-16 ~15.3-15.5G; GoogLeNet ~1.5G; AlexNet ~720M; Inception-v3 "5 billion"
    assert low <= complexity(PRESETS[name], (3, size, size)).macs <= high


def factorized(kernel: int, factorize: str, cin: int = 8, cout: int = 8) -> int:
    stage = Stage("plain", 1, cout, extras=PlainExtras(kernel=kernel, factorize=factorize))
    return sum(conv_macs(complexity(single_block_net(cin, stage), (cin, 10, 10))))


def test_factorizations():
    hw, c = 10 * 10, 8
    # two 3x3 vs one 5x5: 18 vs 25 multiplies per output position and channel pair
    assert factorized(5, "none") == hw * c * c * 25
    assert factorized(5, "stacked_3x3") == hw * c * c * 18
    # 1x3 + 3x1 vs 3x3: 6 vs 9
    assert factorized(3, "none") == hw * c * c * 9
    assert factorized(3, "asymmetric") == hw * c * c * 6
    # depthwise-separable: H^2 D^2 F + N H^2 F vs N H^2 D^2 F (F = 8 in, N = 16 out, D = 3)
    f, n, d = 8, 16, 3
    assert factorized(d, "none", f, n) == n * hw * d * d * f
    assert factorized(d, "separable", f, n) == hw * d * d * f + n * hw * f
