"""Running a net on the meta device for its shapes alone (geometry checks, counting).

On the meta device torch runs batch norm, the activations and element-wise sums through Python
decompositions, where most of a shape check's time went. Those functions keep their input's
shape by definition, so `shapes_only` returns their input as it is, and a residual sum or a
gate's product gets the broadcast shape of its operands (torch.broadcast_shapes: torch's own
rule and its error); every other operation (convolutions, pooling, linear layers,
concatenations, reshapes) runs as torch runs it, so a map that stops fitting is still torch's
own finding.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

# Element-wise functions of one tensor (their first argument), as the blocks call them or as
# their nn modules do (nn.ReLU6 calls hardtanh)
_SAME_SHAPE = frozenset({
    F.relu, F.relu_, F.relu6, F.hardtanh, F.hardtanh_, F.silu, F.hardswish, F.hardsigmoid,
    F.gelu, F.dropout,
    torch.relu, torch.relu_, torch.sigmoid, torch.sigmoid_,
    torch.Tensor.relu, torch.Tensor.relu_, torch.Tensor.sigmoid, torch.Tensor.sigmoid_,
})


# Element-wise functions of two operands (tensors or numbers): the result has the operands'
# broadcast shape (torch.broadcast_shapes: torch's own rule, and its error on a mismatch)
_BROADCAST = frozenset({
    torch.add, torch.mul, torch.Tensor.add, torch.Tensor.mul, torch.Tensor.__add__,
    torch.Tensor.__radd__, torch.Tensor.__mul__, torch.Tensor.__rmul__,
})
_BROADCAST_IN_PLACE = frozenset({
    torch.Tensor.add_, torch.Tensor.mul_, torch.Tensor.__iadd__, torch.Tensor.__imul__,
})


class shapes_only(TorchFunctionMode):  # noqa: N801  (used as a context manager, as torch's modes)
    """`with shapes_only():` element-wise activations and batch norm of a meta tensor return it,
    and a sum or product of meta tensors of one dtype is a meta tensor of their broadcast
    shape. Any other call (operands given by keyword, a number first, mixed dtypes or devices)
    runs as torch runs it."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        x = args[0] if args else None
        if not (isinstance(x, torch.Tensor) and x.is_meta):
            return func(*args, **kwargs)
        if func in _SAME_SHAPE:
            return x
        if (func in _BROADCAST or func in _BROADCAST_IN_PLACE) and not kwargs and len(args) == 2:
            other = args[1]
            if isinstance(other, torch.Tensor) and (other.dtype, other.device) != (x.dtype,
                                                                                   x.device):
                return func(*args, **kwargs)
            shape = torch.broadcast_shapes(x.shape, getattr(other, "shape", ()))
            if func in _BROADCAST_IN_PLACE:
                if shape != x.shape:
                    raise RuntimeError(f"output with shape {tuple(x.shape)} doesn't match the "
                                       f"broadcast shape {tuple(shape)}")
                return x
            return torch.empty(shape, dtype=x.dtype, device=x.device)
        if func is F.batch_norm:  # (input, running_mean, running_var, weight, bias, ...)
            stats = [a for a in (*args[1:2], kwargs.get("running_mean"), *args[3:4],
                                 kwargs.get("weight")) if isinstance(a, torch.Tensor)]
            if not stats:
                return func(*args, **kwargs)
            if x.dim() < 2 or x.shape[1] != stats[0].shape[0]:
                raise RuntimeError(f"batch norm of {stats[0].shape[0]} channels given "
                                   f"{tuple(x.shape)}")
            return x
        return func(*args, **kwargs)
