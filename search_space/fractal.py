"""FractalNet blocks (Larsson et al. 2017) with local and global drop-path."""

from __future__ import annotations

import torch
from torch import nn

from .blocks import register
from .spec import ResolvedBlock


class _ConvBNReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, dropout: float):
        layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                  nn.ReLU(inplace=True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


@register("fractal")
class FractalBlock(nn.Module):
    """Fractal block: f_1(z) = conv(z); f_{C+1}(z) = join[(f_C o f_C)(z), conv(z)], with
    consecutive joins merged (one mean over every column ending at that depth). Column j
    (0 = shallowest) has 2^j conv-BN-ReLU layers; depth 2^(C-1). Stride 2: 2x2 max-pool after.

    Drop-path, training only: in local mode every join drops each input with probability
    local_drop, keeping at least one; in global mode only `global_column` (the same in every
    block of the net, chosen by the backbone per mini-batch) survives. Eval joins all columns.
    """

    def __init__(self, rb: ResolvedBlock):
        super().__init__()
        ex = rb.extras
        self.columns, self.depth = ex.columns, 2 ** (ex.columns - 1)
        self.local_drop, self.global_drop = ex.local_drop, ex.global_drop
        self.cols = nn.ModuleList(
            nn.ModuleList(
                _ConvBNReLU(rb.in_width if i == 0 else rb.out_width, rb.out_width, ex.dropout)
                for i in range(2**j)
            )
            for j in range(self.columns)
        )
        self.pool = nn.MaxPool2d(2, 2) if rb.stride == 2 else nn.Identity()
        self.global_column: int | None = None  # set per mini-batch by the backbone

    def _join(self, outputs: list[torch.Tensor], active: list[int]) -> torch.Tensor:
        if not self.training or len(outputs) == 1:
            return torch.stack(outputs).mean(0)
        if self.global_column is not None:
            column = min(self.global_column, self.columns - 1)
            if column in active:
                return outputs[active.index(column)]
            return torch.stack(outputs).mean(0)  # off the global path: its value is unused
        keep = torch.rand(len(outputs)) >= self.local_drop
        if not keep.any():
            keep[torch.randint(len(outputs), (1,))] = True
        return torch.stack([o for o, k in zip(outputs, keep.tolist(), strict=True) if k]).mean(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        state = [x] * self.columns  # the running input of every column
        steps = [0] * self.columns
        for d in range(self.depth):
            # column j has a layer ending at depth d when (d + 1) is a multiple of depth / 2^j
            active = [j for j in range(self.columns) if (d + 1) % (self.depth >> j) == 0]
            outputs = []
            for j in active:
                outputs.append(self.cols[j][steps[j]](state[j]))
                steps[j] += 1
            joined = self._join(outputs, active)
            for j in active:
                state[j] = joined
        return self.pool(state[0])
