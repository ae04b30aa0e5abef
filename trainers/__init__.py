"""Trainers: a fast, deterministic training loop over device-resident data.

`train(net, recipe, data, report)` trains any point of the search space and returns its
metrics; studies call it (it imports neither Ray nor MLflow). See README "Trainers".
"""

from .recipe import Recipe
from .train import EPOCH_KEYS, STATUSES, train

__all__ = ["EPOCH_KEYS", "STATUSES", "Recipe", "train"]
