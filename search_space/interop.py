"""Weight transfer between torchvision models and ours.

Our blocks register their layers in torchvision's order, so the two models' weight-carrying
layers (conv, batch-norm, linear) pair up by position. Every pair is checked for type and shape
before anything is copied, and a mismatch names the first differing layer of each model.
"""

from __future__ import annotations

from torch import nn

_WEIGHTED = (nn.Conv2d, nn.BatchNorm2d, nn.Linear)


# Top-level names of auxiliary classifiers: ours ("aux") and torchvision's. torchvision
# registers Inception-v3's AuxLogits in the middle of the network, so auxiliary layers are
# paired among themselves, after the main path's.
_AUX_ROOTS = ("aux", "aux1", "aux2", "AuxLogits")


def weighted_layers(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Conv, BN and linear layers: the main path's, then the auxiliary heads', each in
    registration order."""
    layers = [(n, m) for n, m in model.named_modules() if isinstance(m, _WEIGHTED)]
    main = [(n, m) for n, m in layers if n.split(".")[0] not in _AUX_ROOTS]
    aux = [(n, m) for n, m in layers if n.split(".")[0] in _AUX_ROOTS]
    return main + aux


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
