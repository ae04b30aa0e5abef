"""Seeded train/validation splits of a training set."""

from __future__ import annotations

import torch


def split_indices(
    n: int,
    val_fraction: float,
    split_seed: int,
    max_train: int | None = None,
    max_val: int | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Seeded train/validation indices into a training set of `n` images.

    The validation split is carved first (round(n * val_fraction) images), so a smaller
    `max_train` never changes which images are held out; `max_val` keeps the first of them.
    """
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(split_seed))
    n_val = round(n * val_fraction)
    val, rest = perm[:n_val], perm[n_val:]
    return rest[:max_train], val[:max_val]


def recipe_split(recipe, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A recipe's train/validation indices into a training set of `n` images; ValueError if
    its batch is larger than its training images (checked before any training starts)."""
    train_idx, val_idx = split_indices(n, recipe.val_fraction, recipe.split_seed,
                                       recipe.max_train_images, recipe.max_val_images)
    if len(train_idx) < recipe.batch_size:
        raise ValueError(
            f"Recipe.batch_size={recipe.batch_size} exceeds the {len(train_idx)} training "
            "images; lower batch_size or raise max_train_images"
        )
    return train_idx, val_idx
