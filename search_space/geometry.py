"""Feature-map sizes from the modules themselves: a point's stem, blocks, auxiliary heads and
head run one after another on the meta device (shapes only: no memory, no compute), and the
first that cannot take the map it is given, or shrinks it below 1 pixel, is named.

There is no second description of the geometry (no table of kernel sizes and strides to keep
in step with the modules): what torch computes is what `Net.validate` checks, batch norm and
the activations aside, which keep their input's shape (`meta.shapes_only`).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import torch
from torch import nn

from .backbone import Backbone
from .meta import shapes_only

if TYPE_CHECKING:
    from .spec import Net


def check_feature_maps(net: Net, shape: tuple[int, int, int], size: object) -> None:
    """Raise ValueError naming where a (C, H, W) = `shape` input stops fitting `net`; `size`
    is the input size as the caller wrote it, for the message."""
    _check(net, shape, repr(size))


@functools.lru_cache(maxsize=4096)  # preflight validates the same points again and again
def _check(net: Net, shape: tuple[int, int, int], size: str) -> None:
    with torch.device("meta"):
        model = Backbone(net)
    model.eval()  # the auxiliary heads are run below, on the maps they would see
    dropped = _count_drop_path_calls(model) if net.drop_path > 0 else None
    with torch.no_grad(), shapes_only():
        x = _run(model.stem, torch.empty(1, *shape, device="meta"), f"stem {net.stem}", size)
        for i, stage in enumerate(model.stages):
            for j, block in enumerate(stage):
                x = _run(block, x, f"stages.{i}.{j}", size)
            if i in net.aux_after:
                aux = model.aux[net.aux_after.index(i)]
                _run(aux, x, f"aux head after stages.{i}", size, aux=True)
        _run(model.head, x, f"head {net.head}", size)
    if dropped is not None and not dropped:  # two such points would build the same net
        kinds = ", ".join(sorted({stage.block for stage in net.stages}))
        raise ValueError(f"drop_path={net.drop_path} has no effect on this net: none of its "
                         f"blocks ({kinds}) runs a residual branch it could drop; leave it at "
                         "0")


def _count_drop_path_calls(model: nn.Module) -> list[int]:
    """A list that grows by one each time a drop-path module of `model` runs: whether the
    forward pass reaches one is the modules' own answer to whether drop_path does anything."""
    from torchvision.ops import StochasticDepth  # built already: drop_path > 0

    calls: list[int] = []
    for module in model.modules():
        if isinstance(module, StochasticDepth):
            module.register_forward_pre_hook(lambda *_: calls.append(1))
    return calls


def _run(module: nn.Module, x: torch.Tensor, where: str, size: str, aux: bool = False
         ) -> torch.Tensor:
    h, w = x.shape[-2:]
    try:
        y = module(x)
        collapsed = y.dim() == 4 and min(y.shape[-2:]) < 1
    except RuntimeError as e:  # torch's own check: a kernel or pool larger than the map
        collapsed, reason = True, str(e).splitlines()[0]
    else:
        reason = f"its output is {tuple(y.shape[-2:])}"
    if not collapsed:
        return y
    if aux:
        raise ValueError(f"input {size} is too small for the {where} ({h}x{w} there: {reason}); "
                         "use a larger input or drop aux_after")
    raise ValueError(f"the stride sequence shrinks a {size} input below 1 pixel at {where} "
                     f"({h}x{w} there: {reason}); use a larger input or fewer stride-2 stages")
