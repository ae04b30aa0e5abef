"""Stems and heads, chosen by `Net.stem` and `Net.head` (see spec.STEMS and spec.HEADS)."""

from __future__ import annotations

from torch import nn

from .blocks import conv, conv_bn
from .spec import Net


def build_stem(net: Net) -> nn.Module:
    cin, w = net.in_channels, net.stem_out
    if net.stem == "imagenet":  # ResNet: 7x7/2 conv-BN-ReLU, 3x3/2 max-pool
        return nn.Sequential(
            conv(cin, w, 7, 2), nn.BatchNorm2d(w), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        )
    if net.stem == "cifar":  # He et al. 2015 CIFAR nets: 3x3/1 conv-BN-ReLU
        return conv_bn(cin, w, 3, 1, act=nn.ReLU)
    if net.stem == "cifar_preact":  # pre-activation nets: the first block normalises
        return conv(cin, w, 3, 1)
    if net.stem in ("mobilenet_v2", "mobilenet_v2_small"):  # 3x3 conv-BN-ReLU6, /2 or /1
        return conv_bn(cin, w, 3, 2 if net.stem == "mobilenet_v2" else 1, act=nn.ReLU6)
    if net.stem == "none":
        return nn.Identity()
    raise ValueError(f"stem={net.stem!r} has no builder")  # spec validation keeps this unreachable


def build_head(net: Net) -> nn.Module:
    cin, classes = net.head_in, net.num_classes
    if net.head == "vgg":
        # VGG's fifth max-pool, torchvision's adaptive 7x7 pool, then FC 4096-4096-classes.
        return nn.Sequential(
            nn.MaxPool2d(2, 2),
            nn.AdaptiveAvgPool2d(7),
            nn.Flatten(1),
            nn.Linear(cin * 49, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(net.dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(net.dropout),
            nn.Linear(4096, classes),
        )
    layers: list[nn.Module] = []
    if net.head == "preact_pool_fc":
        layers += [nn.BatchNorm2d(cin), nn.ReLU(inplace=True)]
    elif net.head == "conv_pool_fc":
        layers.append(conv_bn(cin, net.head_out, 1, act=nn.ReLU6))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(1)]
    if net.dropout > 0:
        layers.append(nn.Dropout(net.dropout))
    layers.append(nn.Linear(net.head_out, classes))
    return nn.Sequential(*layers)
