"""FractalNet (Larsson et al. 2017): fractal blocks with local and global drop-path.

Block `fractal`, with its per-batch hook (`draw_global_column`: global drop-path picks one
column for the whole net). FractalNet has no stem (`none`, plain family) and the `pool_fc` head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

from ..extras import Extras, no_groups
from ..registry import BlockType, blocks

if TYPE_CHECKING:
    from ..spec import ResolvedBlock


@dataclass(frozen=True)
class FractalExtras(Extras):
    """FractalNet block of C columns: f_1 = conv, f_{C+1} = join(f_C o f_C, conv); column c has
    2^(c-1) conv-BN-ReLU layers, joins take the element-wise mean. Training-time drop-path:
    each mini-batch is either local (each join input dropped with probability local_drop,
    keeping at least one) or, with probability global_drop, global (one column, the same in
    every block, is the whole network). dropout: after every conv of the block. stride 2 = a
    2x2 max-pool after the block (the paper pools after every block)."""

    reads_expansion: ClassVar[bool] = False

    columns: int = 3
    local_drop: float = 0.15
    global_drop: float = 0.5
    dropout: float = 0.0

    def check(self, rb: Any) -> None:
        no_groups(rb)
        if not 1 <= self.columns <= 6:
            raise ValueError(f"{rb.where}.extras.columns={self.columns} must be in 1..6")
        for name in ("local_drop", "global_drop"):
            if not 0 <= getattr(self, name) < 1:
                value = getattr(self, name)
                raise ValueError(f"{rb.where}.extras.{name}={value} must be in [0, 1)")


class _ConvBNReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, dropout: float):
        layers = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                  nn.ReLU(inplace=True)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        super().__init__(*layers)


class FractalBlock(nn.Module):
    """Fractal block: f_1(z) = conv(z); f_{C+1}(z) = join[(f_C o f_C)(z), conv(z)], with
    consecutive joins merged (one mean over every column ending at that depth). Column j
    (0 = shallowest) has 2^j conv-BN-ReLU layers; depth 2^(C-1). Stride 2: 2x2 max-pool after.

    Drop-path, training only: in local mode every join drops each input with probability
    local_drop, keeping at least one; in global mode only `global_column` (the same in every
    block of the net, drawn per mini-batch by `draw_global_column`) survives. Eval joins all
    columns.
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
        self.global_column: int | None = None  # set per mini-batch by draw_global_column

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


def draw_global_column(fractal_blocks: list[FractalBlock], training: bool) -> None:
    """FractalNet's global drop-path: per mini-batch, with probability global_drop (of the
    net's first fractal block), one column, the same in every block, is the whole network."""
    column = None
    if training and torch.rand(()) < fractal_blocks[0].global_drop:
        column = int(torch.randint(max(b.columns for b in fractal_blocks), ()))
    for block in fractal_blocks:
        block.global_column = column


blocks.add(BlockType("fractal", extras=FractalExtras, module=FractalBlock,
                     before_batch=draw_global_column))
