"""The only code that turns a point (`Net`) into an `nn.Module`."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import BLOCKS
from .spec import Net
from .stems import build_head, build_stem


class Backbone(nn.Module):
    """stem -> stages (each an nn.Sequential of blocks) -> head."""

    def __init__(self, net: Net):
        super().__init__()
        self.net = net
        self.stem = build_stem(net)
        stages: list[list[nn.Module]] = [[] for _ in net.stages]
        for rb in net.blocks():  # widths, strides and drop-path rates already resolved
            stages[rb.stage].append(BLOCKS[rb.block](rb))
        self.stages = nn.Sequential(*(nn.Sequential(*blocks) for blocks in stages))
        self.head = build_head(net)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.stages(self.stem(x)))


def init_weights(model: nn.Module) -> None:
    """He-normal (fan-out) convs, unit BN, small-normal FCs: torchvision's ResNet/VGG/MobileNetV2
    initialisation."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0, 0.01)
            nn.init.zeros_(m.bias)


def build(net: Net) -> Backbone:
    """Build the module of a point. Deterministic given torch's RNG state."""
    if not isinstance(net, Net):
        raise TypeError(f"build() takes a Net, got {type(net).__name__}")
    model = Backbone(net)
    init_weights(model)
    return model
