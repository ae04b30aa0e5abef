"""Stems and heads, chosen by `Net.stem` and `Net.head` (see spec.STEMS and spec.HEADS)."""

from __future__ import annotations

from torch import nn

from .layers import ConvBNReLU, conv, conv_bn
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
    if net.stem == "googlenet":  # torchvision GoogLeNet conv1 .. maxpool2 (ceil-mode pools)
        return nn.Sequential(
            ConvBNReLU(cin, w // 3, 7, 2, 3), nn.MaxPool2d(3, 2, ceil_mode=True),
            ConvBNReLU(w // 3, w // 3, 1), ConvBNReLU(w // 3, w, 3, padding=1),
            nn.MaxPool2d(3, 2, ceil_mode=True),
        )
    if net.stem == "inception_v3":  # torchvision Inception3 Conv2d_1a_3x3 .. maxpool2
        return nn.Sequential(
            ConvBNReLU(cin, 32, 3, 2), ConvBNReLU(32, 32, 3), ConvBNReLU(32, 64, 3, padding=1),
            nn.MaxPool2d(3, 2), ConvBNReLU(64, 80, 1), ConvBNReLU(80, w, 3), nn.MaxPool2d(3, 2),
        )
    if net.stem == "shufflenet":  # 3x3/2 conv-BN-ReLU, 3x3/2 max-pool (v1 and v2)
        return nn.Sequential(conv_bn(cin, w, 3, 2, act=nn.ReLU), nn.MaxPool2d(3, 2, 1))
    if net.stem == "alexnet":  # 11x11/4 conv (with bias) -> ReLU -> 3x3/2 max-pool
        return nn.Sequential(
            nn.Conv2d(cin, w, 11, 4, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2)
        )
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
    if net.head == "alexnet":
        return nn.Sequential(
            nn.MaxPool2d(3, 2),
            nn.AdaptiveAvgPool2d(6),
            nn.Flatten(1),
            nn.Dropout(net.dropout),
            nn.Linear(cin * 36, 4096),
            nn.ReLU(inplace=True),
            nn.Dropout(net.dropout),
            nn.Linear(4096, 4096),
            nn.ReLU(inplace=True),
            nn.Linear(4096, classes),
        )
    layers: list[nn.Module] = []
    if net.head == "preact_pool_fc":
        layers += [nn.BatchNorm2d(cin), nn.ReLU(inplace=True)]
    elif net.head == "conv_pool_fc":
        layers.append(conv_bn(cin, net.head_out, 1, act=nn.ReLU6))
    elif net.head == "conv_relu_pool_fc":
        layers.append(conv_bn(cin, net.head_out, 1, act=nn.ReLU))
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(1)]
    if net.dropout > 0:
        layers.append(nn.Dropout(net.dropout))
    layers.append(nn.Linear(net.head_out, classes))
    return nn.Sequential(*layers)
