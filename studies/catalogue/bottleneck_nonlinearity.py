"""MobileNetV2 Fig. 6a: a linear bottleneck vs ReLU6 (and ReLU) after the projection."""

from __future__ import annotations

from trainers import Recipe

from ..study import Budget, Study, with_extras

# The reproduction's budgets, shared with residual_variants (Fig. 6b) so both panels run alike.
# CPU: MobileNetV2 at width 0.35 (12.8M MACs at 28 px; ~250 images/s on one core), 3 epochs of
# 4,000 images, 5 seeds per variant: 15 trials of ~55 s, two at a time, ~8 minutes. Validation
# error ~0.22 after 3 epochs.
FIG6_QUICK = Budget(recipe={"epochs": 3, "lr": 0.1, "max_train_images": 4000,
                            "max_val_images": 1000, "max_test_images": 1000},
                    net={"width_mult": 0.35}, seeds=5)
FIG6_FULL = Budget(recipe={"epochs": 30}, seeds=5, concurrency=8, gpus_per_trial=0.125)


def space(trial, base):
    activation = trial.suggest_categorical("activation", ["linear", "relu6", "relu"])
    return with_extras(base, activation=activation)


STUDY = Study(
    name="bottleneck_nonlinearity",
    claim="linear bottlenecks improve performance: a non-linearity in the low-dimensional "
    "projection destroys information (linear > ReLU6 in the bottleneck)",
    source="Sandler et al. 2018, Section 6.4 and Figure 6a",
    base="mobilenet_v2_cifar",
    space=space,
    grid={"activation": ("linear", "relu6", "relu")},
    baseline="activation=linear",
    expected_order=("activation=linear", "activation=relu6"),
    recipe=Recipe(epochs=15, batch_size=128, lr=0.05, weight_decay=4e-5, schedule="cosine",
                  label_smoothing=0.0),
    quick=FIG6_QUICK,
    full=FIG6_FULL,
)
