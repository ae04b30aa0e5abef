"""`Recipe`: everything about how a point is trained, as one frozen, self-validating value.

A recipe says nothing about the network (that is the `Net`) or the data (a name, see
`trainers.data`). Fields that only change how fast or how long a run goes, not what it computes,
are listed in `RUN_ONLY_FIELDS`: a checkpoint may be resumed with different values of those.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Any, Literal

from search_space.coerce import coerce_fields

RUN_ONLY_FIELDS = ("time_limit_s", "threads")
"""Recipe fields a resumed run may change: they decide how long and on how many cores, not
what is trained."""

NEUTRAL_LATER_FIELDS = {"precise_bn": 0}
"""Recipe fields added after studies were stored, with the value that trains as before they
existed: left out of the training identity at that value, so the keys of trials trained before
them stay the same (a rerun still finds what finished)."""

SCHEDULES = ("cosine", "multistep", "linear", "constant")
"""cosine: to 0 (Loshchilov & Hutter 2017, no restarts); multistep: x gamma at each milestone
(He et al. 2015); linear: straight to 0 (airbench, one-cycle's tail); constant."""

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
"""auto: bf16 autocast on CUDA and on a CPU with bf16 arithmetic (AMX or AVX512-BF16;
trainers.contract.resolved_precision), fp32 elsewhere. fp16 uses a gradient scaler (CUDA only)."""



@dataclass(frozen=True)
class Recipe:
    """How to train: optimiser, schedule, regularisation, augmentation, precision, data split.

    The learning rate is the peak rate for `batch_size` (no implicit scaling rule). Schedules
    are stepped every iteration; `warmup_epochs` (may be fractional) ramps linearly from
    lr / warmup_steps up to lr, then the schedule runs over the remaining steps.
    """

    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    decay_norm_and_bias: bool = False  # False: no weight decay on BN weights and biases (1-D)
    schedule: Literal["cosine", "multistep", "linear", "constant"] = "cosine"
    milestones: tuple[float, ...] = (0.5, 0.75)  # multistep: fractions of the run (He: 91/182)
    gamma: float = 0.1  # multistep: lr factor at each milestone
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    # Augmentation, on the device, per batch. crop_padding: zero-pad by this many pixels, then
    # take a random crop of the original size (He et al. 2015 use 4 on CIFAR); 0 = off.
    crop_padding: int = 4
    flip: bool = True  # random horizontal flip, p = 0.5
    erasing: float = 0.0  # random erasing probability (Zhong et al. 2020); 0 = off
    # Precise BatchNorm (pycls): before each evaluation, every BatchNorm's running mean and
    # variance are recomputed over this many training batches, with the network as it is
    # evaluated (no drop-path, every column joined) and only the BatchNorms in train mode.
    # Where training and evaluation networks differ, the running statistics of the thinned
    # training nets do not describe the evaluated one. 0 = off.
    precise_bn: int = 0
    # Speed. channels_last / cudnn_benchmark None = automatic (see trainers.loop).
    precision: Literal["auto", "fp32", "bf16", "fp16"] = "auto"
    channels_last: bool | None = None
    compile: bool = False  # torch.compile the model (pays off only for long runs)
    cudnn_benchmark: bool | None = None
    # Loss weights of auxiliary heads (GoogLeNet 0.3, 0.3); None = the net's own aux_weights.
    aux_weights: tuple[float, ...] | None = None
    seed: int = 0  # weights, data order, augmentation, drop-path
    # Data split: a seeded validation split carved from the training set before any subset.
    split_seed: int = 0
    val_fraction: float = 0.1
    max_train_images: int | None = None  # seeded subset of the rest, for CPU budgets and tests
    max_val_images: int | None = None
    max_test_images: int | None = None  # the first N test images
    small_input: bool | None = None  # small-image stem; None = when the images are <= 64 px
    threads: int | None = None  # CPU threads; None = the cores this process may run on
    time_limit_s: float | None = None  # checked after each epoch; the run ends "time_limit"

    def __post_init__(self) -> None:
        coerce_fields(self, "Recipe.")
        _positive(self, "epochs", "batch_size")
        _positive(self, "max_train_images", "max_val_images", "max_test_images", "threads",
                  optional=True)
        if not (math.isfinite(self.lr) and self.lr > 0):
            _bad(self, "lr", "must be a finite number > 0")
        for name in ("momentum", "label_smoothing"):
            if not 0.0 <= getattr(self, name) < 1.0:
                _bad(self, name, "must be in [0, 1)")
        if self.precise_bn < 0:
            _bad(self, "precise_bn", "must be a number of batches >= 0 (0 = off)")
        if not 0.0 <= self.erasing <= 1.0:
            _bad(self, "erasing", "must be a probability in [0, 1]")
        if self.nesterov and self.momentum == 0:
            _bad(self, "nesterov", "needs momentum > 0")
        if not (math.isfinite(self.weight_decay) and self.weight_decay >= 0):
            _bad(self, "weight_decay", "must be a finite number >= 0")
        ms = self.milestones
        if any(not 0 < m < 1 for m in ms) or list(ms) != sorted(set(ms)):
            _bad(self, "milestones", "must be increasing fractions of the run in (0, 1)")
        if not 0 < self.gamma <= 1:
            _bad(self, "gamma", "must be in (0, 1]")
        if not (math.isfinite(self.warmup_epochs) and 0 <= self.warmup_epochs < self.epochs):
            _bad(self, "warmup_epochs", f"must be in [0, epochs={self.epochs})")
        if self.crop_padding < 0:
            _bad(self, "crop_padding", "must be >= 0")
        if self.aux_weights is not None and any(
            not (math.isfinite(w) and w >= 0) for w in self.aux_weights
        ):
            _bad(self, "aux_weights", "must be finite numbers >= 0")
        if not 0.0 <= self.val_fraction < 1.0:
            _bad(self, "val_fraction", "must be in [0, 1)")
        if self.time_limit_s is not None and not self.time_limit_s > 0:
            _bad(self, "time_limit_s", "must be > 0 seconds or None")
        for name in ("seed", "split_seed"):  # torch's generators take 64-bit seeds
            if not 0 <= getattr(self, name) < 2**63:
                _bad(self, name, "must be in [0, 2**63)")

    def replace(self, **changes: Any) -> Recipe:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain values (tuples as lists), e.g. for MLflow params or a checkpoint."""
        return {
            f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
            for f in dataclasses.fields(self)
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Recipe:
        """Inverse of `to_dict`; values may be strings, as MLflow gives params back."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"{unknown} not a field of Recipe; valid: {sorted(names)}")
        return cls(**d)


# ---- validation helpers -------------------------------------------------------------------


def _bad(recipe: Recipe, name: str, why: str) -> typing.NoReturn:
    raise ValueError(f"Recipe.{name}={getattr(recipe, name)!r} {why}")


def _positive(recipe: Recipe, *names: str, optional: bool = False) -> None:
    for name in names:
        value = getattr(recipe, name)
        if (value is None and not optional) or (value is not None and value < 1):
            _bad(recipe, name, "must be an integer >= 1" + (" or None" if optional else ""))


