"""The only code that turns a point (`Net`) into an `nn.Module`."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import BLOCKS
from .fractal import FractalBlock
from .inception import AUX_MODULES
from .spec import Net
from .stems import build_head, build_stem


class Backbone(nn.Module):
    """stem -> stages (each an nn.Sequential of blocks) -> head, with optional auxiliary
    classifiers after some stages. In training mode a net with auxiliary heads returns
    `(logits, (aux_logits, ...))`; in eval mode it returns the logits alone."""

    def __init__(self, net: Net):
        super().__init__()
        self.net = net
        self.stem = build_stem(net)
        stages: list[list[nn.Module]] = [[] for _ in net.stages]
        out_width = [0] * len(net.stages)
        for rb in net.blocks():  # widths, strides and drop-path rates already resolved
            stages[rb.stage].append(BLOCKS[rb.block](rb))
            out_width[rb.stage] = rb.out_width
        self.stages = nn.Sequential(*(nn.Sequential(*blocks) for blocks in stages))
        # Registered between the stages and the head, as torchvision's GoogLeNet does.
        self.aux = nn.ModuleList(
            AUX_MODULES[net.aux_head](out_width[i], net.num_classes) for i in net.aux_after
        )
        self.head = build_head(net)
        self.fractal_blocks = [m for m in self.modules() if isinstance(m, FractalBlock)]

    def forward(self, x: torch.Tensor):
        if self.fractal_blocks:
            self._sample_fractal_path()
        x = self.stem(x)
        aux_outputs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if self.training and i in self.net.aux_after:
                aux_outputs.append(self.aux[self.net.aux_after.index(i)](x))
        logits = self.head(x)
        return (logits, tuple(aux_outputs)) if aux_outputs else logits

    def _sample_fractal_path(self) -> None:
        """FractalNet's global drop-path: per mini-batch, with probability global_drop, one
        column (the same in every block) is the whole network."""
        column = None
        first = self.fractal_blocks[0]
        if self.training and torch.rand(()) < first.global_drop:
            column = int(torch.randint(max(b.columns for b in self.fractal_blocks), ()))
        for block in self.fractal_blocks:
            block.global_column = column


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
