"""complexity(): torch's flop counter, checked against torchvision's published MACs, the
papers' numbers and the lecture's VGG-16 table."""

from __future__ import annotations

import pytest
import torchvision

from search_space import PRESETS, complexity
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
