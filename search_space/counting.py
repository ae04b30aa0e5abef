"""Params, multiply-adds, activations and a per-layer table of a point.

MACs come from torch's own flop counter (`torch.utils.flop_counter.FlopCounterMode`, which
counts 2 FLOPs per multiply-add of convolutions and matrix products), halved. Like torchvision's
`_ops` metadata and the papers, that counts conv and linear layers only (no BN, activations,
pooling or additions). The model is built and run on the meta device: no memory, no compute.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .backbone import Backbone
from .meta import shapes_only
from .spec import Net

# Layers whose outputs are counted as activations (the "layers" of a CNN table: what a
# forward pass must keep; BN and ReLU are usually fused or in place).
_ACTIVATION_LAYERS = (nn.Conv2d, nn.Linear, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)


@dataclass(frozen=True)
class Layer:
    name: str
    kind: str
    output_shape: tuple[int, ...]  # per image (C, H, W) or (features,)
    activations: int  # output elements per image
    params: int
    macs: int


@dataclass(frozen=True)
class Complexity:
    params: int
    macs: int  # multiply-adds per image
    activations: int  # output elements of conv, linear and pooling layers, per image
    layers: tuple[Layer, ...]

    def table(self):
        """The per-layer table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame([vars(layer) for layer in self.layers])


def complexity(net: Net, input_size: tuple[int, int, int] | tuple[int, int] | int = 224
               ) -> Complexity:
    """Count a point at one input size (N, (H, W) or (C, H, W), as `Net.validate` takes it),
    batch 1, eval mode, on the meta device."""
    net.validate(input_size)
    input_size = net.input_shape(input_size)
    with torch.device("meta"):
        model = Backbone(net)  # no init needed: only shapes matter
    model.eval()
    outputs: dict[str, tuple[int, ...]] = {}
    hooks = []
    named = {m: n for n, m in model.named_modules()}
    for module, name in named.items():
        if isinstance(module, _ACTIVATION_LAYERS):
            hooks.append(module.register_forward_hook(
                lambda m, _inp, out, name=name: outputs.__setitem__(name, tuple(out.shape[1:]))
            ))
    counter = FlopCounterMode(display=False)
    try:
        with counter, torch.no_grad(), shapes_only():
            model(torch.empty(1, *input_size, device="meta"))
    finally:
        for h in hooks:
            h.remove()
    flops_by_module = counter.get_flop_counts()
    root = type(model).__name__
    layers = []
    for name, shape in outputs.items():
        module = model.get_submodule(name)
        flops = sum(flops_by_module.get(f"{root}.{name}", {}).values())
        layers.append(Layer(
            name=name,
            kind=type(module).__name__,
            output_shape=shape,
            activations=_numel(shape),
            params=sum(p.numel() for p in module.parameters()),
            macs=int(flops) // 2,
        ))
    return Complexity(
        params=sum(p.numel() for p in model.parameters()),
        macs=int(counter.get_total_flops()) // 2,
        activations=sum(layer.activations for layer in layers),
        layers=tuple(layers),
    )


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
