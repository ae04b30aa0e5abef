"""Shapes on the meta device without torch's Python decompositions (search_space.meta): the
same output shapes and counts as torch's own meta run, for a preset of every block type, and
the same refusals of operands that do not fit."""

from __future__ import annotations

import contextlib

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from search_space import PRESETS, complexity, counting, geometry
from search_space.meta import shapes_only

# one preset per block type (as tests/test_axes_with_effect.py), with auxiliary heads and
# drop-path among them
PRESET_PER_BLOCK = ["resnet20", "resnext29_8x64d", "mobilenet_v2_cifar", "regnet_x_400mf",
                    "regnet_y_400mf", "vgg11", "densenet40_k12", "fractalnet20", "googlenet_aux",
                    "inception_v3", "shufflenet_v1_g3", "shufflenet_v2_x0_5"]


@pytest.mark.parametrize("name", PRESET_PER_BLOCK)
@pytest.mark.parametrize("size", [32, 299])
def test_every_layer_has_the_shape_and_count_of_torchs_own_meta_run(name, size, monkeypatch):
    net = PRESETS[name].replace(num_classes=10)
    try:
        net.validate(size)
    except ValueError:
        pytest.skip(f"{name} takes no {size} px input")
    fast = complexity(net, size)
    monkeypatch.setattr(counting, "shapes_only", contextlib.nullcontext)
    reference = complexity(net, size)
    assert fast.layers == reference.layers
    assert (fast.macs, fast.params) == (reference.macs, reference.params)


def test_the_geometry_check_is_made_through_it(monkeypatch):
    entered = []

    class Watched(shapes_only):
        def __enter__(self):
            entered.append(1)
            return super().__enter__()

    monkeypatch.setattr(geometry, "shapes_only", Watched)
    geometry._check.cache_clear()
    PRESETS["resnet20"].validate(32)
    assert entered


def test_what_does_not_fit_is_refused_as_torch_refuses_it():
    x = torch.empty(2, 8, 5, 5, device="meta")
    with shapes_only():
        assert F.relu(x) is x and nn.ReLU6()(x) is x and torch.sigmoid(x) is x
        assert (x + torch.empty(2, 8, 1, 1, device="meta")).shape == (2, 8, 5, 5)  # a gate
        assert (3 * x).shape == x.shape
        with pytest.raises(RuntimeError, match="Attempting to broadcast a dimension"):
            x + torch.empty(2, 8, 4, 4, device="meta")  # a residual sum of unequal maps
        with pytest.raises(RuntimeError, match="broadcast shape"):
            torch.empty(2, 8, 1, 1, device="meta").add_(x)
        with pytest.raises(RuntimeError, match="batch norm of 4 channels"):
            nn.BatchNorm2d(4, device="meta").eval()(x)
        assert nn.BatchNorm2d(8, device="meta").eval()(x) is x
        with pytest.raises(RuntimeError, match="batch norm of 4 channels"):  # no running stats
            nn.BatchNorm2d(4, track_running_stats=False, device="meta")(x)
        # what it does not take is left to torch: operands by keyword, a number first, a mask
        assert torch.add(input=x, other=torch.empty(8, 1, 1, device="meta")).shape == x.shape
        with pytest.raises(RuntimeError):
            torch.mul(x, other=torch.empty(2, 8, 4, 4, device="meta"))
        assert torch.mul(0.5, x).shape == x.shape and F.gelu(input=x).shape == x.shape
        mask = torch.empty(2, 8, 1, 1, dtype=torch.bool, device="meta")
        assert (mask * x).dtype == x.dtype
