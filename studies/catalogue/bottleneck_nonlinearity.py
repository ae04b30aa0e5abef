"""MobileNetV2 Fig. 6a: a linear bottleneck vs ReLU6 (and ReLU) after the projection."""

from __future__ import annotations

from trainers import Recipe

from ..study import Study, with_extras
from ._shared import FIG6_DECISIVE, FIG6_FULL, FIG6_QUICK

# Budgets: the reproduction's (_shared: FIG6_QUICK, FIG6_DECISIVE, FIG6_FULL and their pilot),
# shared with residual_variants.


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
    between={"decisive": FIG6_DECISIVE},  # decides a 2-point difference on a CPU
    full=FIG6_FULL,
)
