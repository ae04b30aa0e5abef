"""The trial contract: what every layer above `trainers` needs to know about a training run, and
the one place it is written down.

- how a point adapts to a dataset (input channels, classes, the small-image stem);
- the precision a recipe resolves to on a device;
- what identifies a run's training (the recipe without its run-only fields), which decides
  whether a checkpoint may be resumed and whether two trials trained the same thing;
- where a run keeps its checkpoint;
- the metric names: per epoch (given to `report`), the point's cost, and the final metrics a
  finished run returns.

`studies` and `analysis` import these names instead of repeating them. It imports
nothing heavy (torch only inside the functions that need it).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .recipe import NEUTRAL_LATER_FIELDS, RUN_ONLY_FIELDS, Recipe

if TYPE_CHECKING:
    from search_space import Net


SMALL_INPUT_MAX_PX = 64
"""Images at most this many pixels high and wide get the small-image stem by default
(Recipe.small_input=None)."""

EPOCH_METRICS = ("epoch", "train_loss", "train_error", "val_loss", "val_error", "lr",
                 "images_per_second", "epoch_s", "peak_memory_mb")
"""Keys of the per-epoch metrics given to `report` (and kept in the result's "history")."""

COST_METRICS = ("params", "macs")
"""The adapted point's cost (parameters, multiply-adds per image); every `report` carries them."""

FINAL_METRICS = ("val_error", "val_loss", "train_error", "train_loss", "test_error", "test_loss",
                 *COST_METRICS, "wall_s", "epochs", "startup_s")
"""The numbers a finished trial keeps (startup_s is the harness's: process, data and model
until training)."""

METRIC_BOUNDS = {"val_error": (0.0, 1.0), "test_error": (0.0, 1.0), "train_error": (0.0, 1.0),
                 "val_loss": (0.0, math.inf), "test_loss": (0.0, math.inf),
                 "train_loss": (0.0, math.inf), "macs": (0.0, math.inf),
                 "params": (0.0, math.inf)}
"""The range a metric can take: an interval of its mean is cut to it (an error rate lies in
[0, 1]), and a rate in [0, 1] is reported in percentage points."""

CURVE_METRICS = ("train_loss", "train_error", "val_loss", "val_error", "lr",
                 "images_per_second")
"""The per-epoch metrics worth drawing as learning curves."""

STATUSES = ("ok", "diverged", "time_limit", "stopped")
"""How a run ended: every epoch trained; a non-finite loss (the last good checkpoint kept);
Recipe.time_limit_s passed; `report` asked to stop."""


@dataclass(frozen=True)
class TrainResult(Mapping[str, Any]):
    """What `train` returns: a typed record that reads as a mapping too (`result["val_error"]`,
    `{**result}`), as the result dict it replaces did."""

    status: str  # one of STATUSES
    reason: str  # one line; empty when ok
    epochs: int  # completed (a diverged epoch not counted)
    history: list[dict[str, Any]]  # per epoch, EPOCH_METRICS
    train_loss: float  # the last epoch's
    train_error: float
    val_loss: float
    val_error: float
    best_val_error: float  # the lowest of any epoch
    test_loss: float  # NaN if diverged
    test_error: float
    wall_s: float  # summed over resumed calls
    setup_s: float  # this call, before the first step
    resumed_from_epoch: int  # the checkpoint's epoch; 0 when it started afresh
    images_per_second: float  # mean of this call's epochs
    started_at: float  # time.time() at entry
    params: int
    macs: int  # per image
    device: str
    precision: str  # as resolved on the device
    data: str
    input_size: list[int]
    net_key: str  # the adapted point's key and JSON
    net: str

    def __getitem__(self, key: str) -> Any:
        if key not in self.__dataclass_fields__:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dataclass_fields__)

    def __len__(self) -> int:
        return len(self.__dataclass_fields__)


CHECKPOINT_FILE = "checkpoint.pt"
"""The file a run keeps its state in, inside its checkpoint folder (saved after every epoch by
an atomic replace)."""


def checkpoint_path(checkpoint_dir: str | Path) -> Path:
    return Path(checkpoint_dir) / CHECKPOINT_FILE


def uses_small_input(recipe: Recipe, input_size: tuple[int, ...]) -> bool:
    """Whether the point gets the small-image stem: the recipe's choice, else by image size."""
    if recipe.small_input is not None:
        return recipe.small_input
    return max(input_size[-2:]) <= SMALL_INPUT_MAX_PX


def adapt(net: Net, input_size: tuple[int, int, int], num_classes: int, recipe: Recipe) -> Net:
    """The point as the trainer builds it for images of `input_size` (C, H, W)."""
    return net.adapt(num_classes=num_classes, in_channels=input_size[0],
                     small_input=uses_small_input(recipe, input_size))


# CPU instruction-set extensions with bf16 arithmetic (Intel AMX, AVX512-BF16 on Intel and AMD
# Zen 4+): with one of them oneDNN runs bf16 autocast convolutions ~1.7-2.1x faster than fp32
# (trainers.bench measures it); without, bf16 is emulated and slower.
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")


def resolved_precision(precision: str, device_type: str) -> str:
    """The precision a recipe's `precision` trains in on a device type ("cpu", "cuda"):
    "auto" is bf16 autocast on CUDA and on a CPU whose instruction set has bf16 arithmetic
    (`cpu_accelerates_bf16`), fp32 elsewhere. Trials of different resolved precisions are
    different conditions, never pooled."""
    if precision != "auto":
        return precision
    if device_type == "cuda" or (device_type == "cpu" and cpu_accelerates_bf16()):
        return "bf16"
    return "fp32"


@functools.cache
def cpu_accelerates_bf16() -> bool:
    """Whether this machine's CPU has one of BF16_CPU_FLAGS: from torch's report of the CPU's
    capabilities, or, where torch has none, from the kernel's flags (/proc/cpuinfo)."""
    try:
        import torch

        capabilities = torch.cpu.get_capabilities()
    except (ImportError, AttributeError, RuntimeError):
        try:
            return cpuinfo_has_bf16(Path("/proc/cpuinfo").read_text())
        except OSError:
            return False
    return any(bool(capabilities.get(flag)) for flag in BF16_CPU_FLAGS)


def cpuinfo_has_bf16(cpuinfo: str) -> bool:
    """Whether /proc/cpuinfo's `flags` lines name one of BF16_CPU_FLAGS."""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return any(flag in flags for flag in BF16_CPU_FLAGS)


def training_identity(recipe: Recipe) -> dict[str, Any]:
    """The recipe's fields that change what is trained (RUN_ONLY_FIELDS left out): two runs
    with equal identities (and equal point and data) train the same thing."""
    return {k: v for k, v in recipe.to_dict().items()
            if k not in RUN_ONLY_FIELDS and NEUTRAL_LATER_FIELDS.get(k, ...) != v}
