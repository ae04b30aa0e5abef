"""The only code that turns a point (`Net`) into an `nn.Module`.

Every part is looked up by name in the registry: the stem, each block's module, the auxiliary
classifiers and the head. Nothing here names a family.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from .registry import aux_heads, blocks, heads, stems

if TYPE_CHECKING:  # the builder does not import spec: Net.validate runs the builder
    from .spec import Net


class Backbone(nn.Module):
    """stem -> stages (each an nn.Sequential of blocks) -> head, with optional auxiliary
    classifiers after some stages. In training mode a net with auxiliary heads returns
    `(logits, (aux_logits, ...))`; in eval mode it returns the logits alone."""

    def __init__(self, net: Net):
        super().__init__()
        self.net = net
        self.stem = stems.lookup(net.stem, "stem").build(net)
        stages: list[list[nn.Module]] = [[] for _ in net.stages]
        out_width = [0] * len(net.stages)
        # Block types with a per-batch hook -> their modules in this net (FractalNet's column).
        hooked: dict[str, list[nn.Module]] = {}
        for rb in net.blocks():  # widths, strides and drop-path rates already resolved
            kind = blocks.lookup(rb.block, "block")
            module = kind.module(rb)
            stages[rb.stage].append(module)
            out_width[rb.stage] = rb.out_width
            if kind.before_batch is not None:
                hooked.setdefault(rb.block, []).append(module)
        self.stages = nn.Sequential(*(nn.Sequential(*blocks) for blocks in stages))
        # Registered between the stages and the head, as torchvision's GoogLeNet does.
        aux = aux_heads.lookup(net.aux_head, "aux_head").module
        self.aux = nn.ModuleList(aux(out_width[i], net.num_classes) for i in net.aux_after)
        self.head = heads.lookup(net.head, "head").build(net)
        # plain lists, not submodules: the modules are registered under self.stages already
        self._before_batch = [(blocks[name].before_batch, modules)
                              for name, modules in hooked.items()]

    def forward(self, x: torch.Tensor):
        for hook, modules in self._before_batch:
            hook(modules, self.training)
        x = self.stem(x)
        aux_outputs = []
        for i, stage in enumerate(self.stages):
            x = stage(x)
            if self.training and i in self.net.aux_after:
                aux_outputs.append(self.aux[self.net.aux_after.index(i)](x))
        logits = self.head(x)
        return (logits, tuple(aux_outputs)) if aux_outputs else logits


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
    if not (hasattr(net, "stages") and callable(getattr(net, "blocks", None))):  # a Net's shape
        raise TypeError(f"build() takes a Net, got {type(net).__name__}")
    model = Backbone(net)
    init_weights(model)
    return model
