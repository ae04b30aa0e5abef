"""Weight transfer between torchvision models and ours.

Our blocks register their layers in torchvision's order, so the two models' weight-carrying
layers (conv, batch-norm, linear) pair up by position. Every pair is checked for type and shape
before anything is copied, and a mismatch names the first differing layer of each model.
"""

from __future__ import annotations

from torch import nn

_WEIGHTED = (nn.Conv2d, nn.BatchNorm2d, nn.Linear)


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Conv, BN and linear layers in registration order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, _WEIGHTED)]


def _signature(m: nn.Module) -> tuple:
    return (type(m).__name__,) + tuple(
        (k, tuple(v.shape)) for k, v in m.state_dict().items()
    )


def load_torchvision(model: nn.Module, tv_model: nn.Module) -> nn.Module:
    """Copy `tv_model`'s weights and BN statistics into `model` (ours); returns `model`.

    Raises ValueError, naming the layers, if the two architectures differ.
    """
    ours, theirs = weighted_layers(model), weighted_layers(tv_model)
    for (on, om), (tn, tm) in zip(ours, theirs, strict=False):
        if _signature(om) != _signature(tm):
            raise ValueError(
                f"layer mismatch: ours {on} {_signature(om)} vs torchvision {tn} {_signature(tm)}"
            )
    if len(ours) != len(theirs):
        raise ValueError(
            f"ours has {len(ours)} weighted layers, torchvision {len(theirs)}: "
            "the architectures differ"
        )
    for (_, om), (_, tm) in zip(ours, theirs, strict=True):
        om.load_state_dict(tm.state_dict())
    return model
