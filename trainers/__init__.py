"""Trainers: a fast, deterministic training loop over device-resident data.

`train(net, recipe, data, report)` trains any point of the search space and returns its
metrics; studies call it (it imports neither Ray nor MLflow). See README "Trainers".
`Recipe` is a plain dataclass; the trainer (and torch) load when `train` is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from search_space.lazy import lazy_getattr

if TYPE_CHECKING:
    from .loop import EPOCH_KEYS, STATUSES, train  # noqa: F401
    from .recipe import Recipe  # noqa: F401

__getattr__ = lazy_getattr(__name__, {"Recipe": "recipe", "EPOCH_KEYS": "loop",
                                      "STATUSES": "loop", "train": "loop"})

__all__ = ["EPOCH_KEYS", "STATUSES", "Recipe", "train"]
