"""Width vs depth in Wide ResNets (Zagoruyko & Komodakis 2016, Table 4)."""

from __future__ import annotations

from search_space import presets
from trainers import Recipe

from ..study import Budget, Study


def space(trial, base):
    depth = trial.suggest_categorical("depth", [10, 16, 22, 28, 40])
    k = trial.suggest_categorical("k", [1, 2, 4, 8, 10])
    return presets.wrn(depth, k, num_classes=base.num_classes)


STUDY = Study(
    name="width_vs_depth",
    claim="widening a residual network helps more than deepening it at comparable cost: "
    "WRN-28-10 (4.17%) beats the thin, 1001-layer-deep ResNet, and at fixed depth error falls "
    "with k",
    source="Zagoruyko & Komodakis 2016, Table 4 (width-vs-depth)",
    base="wrn_16_8",
    space=space,
    grid={"depth": (10, 16), "k": (1, 2)},
    baseline="depth=16,k=1",
    expected_order=("depth=16,k=2", "depth=16,k=1"),
    recipe=Recipe(epochs=10, batch_size=128, lr=0.1, weight_decay=5e-4, schedule="cosine"),
    quick=Budget(recipe={"epochs": 1, "max_train_images": 2000, "max_val_images": 1000,
                         "max_test_images": 1000}, seeds=1),
    full=Budget(recipe={"epochs": 30}, grid={"depth": (16, 22, 28, 40), "k": (1, 2, 4, 8)},
                seeds=3, concurrency=4, gpus_per_trial=0.25),
)
