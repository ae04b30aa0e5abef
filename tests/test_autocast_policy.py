"""Depthwise convolutions leave CPU bf16 autocast (trainers.autocast_policy): same parameters and
state dict, fp32 arithmetic, and the trainer applies it only where it trains in bf16 on a CPU."""

from __future__ import annotations

import copy
import pickle

import torch
from torch import nn

from search_space import PRESETS, build
from trainers.autocast_policy import Fp32DepthwiseConv2d, keep_depthwise_in_fp32


def _mobilenet():
    import dataclasses

    return dataclasses.replace(PRESETS["mobilenet_v2_cifar"], width_mult=0.35, in_channels=1)


def test_only_depthwise_convolutions_are_swapped_and_the_state_dict_is_unchanged():
    model = build(_mobilenet())
    depthwise = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.groups > 1]
    keys = list(model.state_dict())
    assert keep_depthwise_in_fp32(model) == len(depthwise) > 0
    assert all(type(m) is Fp32DepthwiseConv2d for m in depthwise)
    others = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.groups == 1]
    assert others and all(type(m) is nn.Conv2d for m in others)
    assert list(model.state_dict()) == keys
    assert keep_depthwise_in_fp32(model) == 0  # already swapped
    copy.deepcopy(model)
    pickle.loads(pickle.dumps(model))


def test_a_depthwise_convolution_computes_in_fp32_under_autocast():
    torch.manual_seed(0)
    conv = nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=8)
    x = torch.randn(2, 8, 9, 9)
    reference = conv(x)
    keep_depthwise_in_fp32(conv)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = conv(x.bfloat16())
    assert y.dtype == torch.float32
    # only the input's rounding to bf16 separates it from the fp32 layer
    torch.testing.assert_close(y, conv._conv_forward(x.bfloat16().float(), conv.weight, conv.bias))
    assert (y - reference).abs().max() < 0.05
    y.sum().backward()
    assert conv.weight.grad is not None and conv.weight.grad.dtype == torch.float32


def test_the_trainer_keeps_depthwise_in_fp32_only_when_training_in_bf16_on_a_cpu(monkeypatch):
    from trainers import Recipe, loop

    seen = []
    monkeypatch.setattr(loop, "keep_depthwise_in_fp32", lambda m: seen.append(m) or 0)
    tiny = Recipe(epochs=1, batch_size=8, max_train_images=16, max_val_images=8,
                  max_test_images=8, threads=1)
    net = _mobilenet()
    loop.train(net, tiny.replace(precision="fp32"), data="synthetic:fashion_mnist,train=32,test=8")
    assert seen == []
    loop.train(net, tiny.replace(precision="bf16"), data="synthetic:fashion_mnist,train=32,test=8")
    assert len(seen) == 1
