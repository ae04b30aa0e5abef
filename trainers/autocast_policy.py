"""Which layers leave bf16 autocast on a CPU: depthwise convolutions compute in fp32.

Their backward pass has no fast bf16 path in PyTorch's CPU kernels (oneDNN's forward is fast;
the backward of a strided depthwise convolution, or of one on maps of a few pixels, falls back
to a generic one): measured 7-30x slower than fp32 for the same layer, which made MobileNetV2
train slower in bf16 than in fp32 (`make bench` prints the MobileNetV2 row on each machine).
In fp32 they cost as much as before, and the rest of the net keeps bf16's speed. Their numerics
are fp32's: more precise than bf16, never less.
"""

from __future__ import annotations

import torch
from torch import nn


class Fp32DepthwiseConv2d(nn.Conv2d):
    """A depthwise nn.Conv2d that computes in fp32 inside autocast (same parameters, same state
    dict keys: the class of an existing layer is swapped, nothing else)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with torch.autocast(x.device.type, enabled=False):
            return self._conv_forward(x.float(), self.weight.float(),
                                      None if self.bias is None else self.bias.float())


def is_depthwise(module: nn.Module) -> bool:
    return (type(module) is nn.Conv2d and module.groups > 1
            and module.groups == module.in_channels)


def keep_depthwise_in_fp32(model: nn.Module) -> int:
    """Make every depthwise convolution of `model` compute in fp32 under autocast; return how
    many there were."""
    count = 0
    for module in model.modules():
        if is_depthwise(module):
            module.__class__ = Fp32DepthwiseConv2d
            count += 1
    return count
