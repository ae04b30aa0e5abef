"""Data names and what they describe: the name grammar (`parse`), the shapes known before
loading, the loaded `Data` record and the data root."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import torch


@dataclass(frozen=True)
class Shape:
    """What a dataset looks like: image size (C, H, W), classes, train and test sizes."""

    channels: int
    height: int
    width: int
    num_classes: int
    train: int
    test: int

    @property
    def input_size(self) -> tuple[int, int, int]:
        return (self.channels, self.height, self.width)


SHAPES: dict[str, Shape] = {
    "fashion_mnist": Shape(1, 28, 28, 10, 60_000, 10_000),
    "cifar10": Shape(3, 32, 32, 10, 50_000, 10_000),
    "cifar100": Shape(3, 32, 32, 100, 50_000, 10_000),
    "svhn": Shape(3, 32, 32, 10, 73_257, 26_032),  # the "extra" split is not used
}

# Synthetic sets are small by default: they exist for tests and throughput, not accuracy.
SYNTHETIC_TRAIN, SYNTHETIC_TEST = 10_000, 2_000


@dataclass(frozen=True)
class DataSpec:
    """A parsed data name: `kind` is a SHAPES key, "synthetic" or "imagefolder"."""

    name: str
    kind: str
    shape: Shape | None = None  # known before loading (all but imagefolder)
    path: Path | None = None  # imagefolder
    size: int | None = None  # imagefolder: resize + centre-crop to size x size


@dataclass(frozen=True)
class Data:
    """A loaded dataset. Images uint8 (N, C, H, W) on the CPU, labels int64 in [0, classes)."""

    name: str
    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    num_classes: int

    @property
    def input_size(self) -> tuple[int, int, int]:
        return tuple(self.train_images.shape[1:])  # type: ignore[return-value]

    def mean_std(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Per-channel mean and std of the training images, in [0, 1] units."""
        x = self.train_images
        c = x.shape[1]
        total = torch.zeros(c, dtype=torch.float64)
        squares = torch.zeros(c, dtype=torch.float64)
        for chunk in x.split(8192):  # bounded memory for large sets
            f = chunk.to(torch.float64).div_(255).transpose(0, 1).reshape(c, -1)
            total += f.sum(1)
            squares += f.square().sum(1)
        n = x.shape[0] * x.shape[2] * x.shape[3]
        mean = total / n
        std = (squares / n - mean.square()).clamp_min(1e-12).sqrt()
        return tuple(mean.tolist()), tuple(std.tolist())


def data_root() -> Path:
    """Folder that holds (or receives) datasets: $ATLAS_DATA, else ./data."""
    return Path(os.environ.get("ATLAS_DATA") or "data").absolute()


def parse(name: str) -> DataSpec:
    """Check a data name without loading anything; ValueError says what names exist."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"data={name!r} is not a dataset name; use one of {names()}")
    kind, _, rest = name.partition(":")
    if kind in SHAPES and not rest:
        return DataSpec(name, kind, SHAPES[kind])
    if kind == "synthetic":
        return DataSpec(name, "synthetic", _synthetic_shape(name, rest))
    if kind == "imagefolder" and rest:
        size = None
        m = re.fullmatch(r"(.*),size=(\d+)", rest)
        if m:
            rest, size = m.group(1), int(m.group(2))
            if size < 1:
                raise ValueError(f"data={name!r}: size must be >= 1")
        return DataSpec(name, "imagefolder", path=Path(rest).expanduser(), size=size)
    raise ValueError(f"data={name!r} is unknown; use one of {names()}")


def names() -> list[str]:
    return [*SHAPES, "synthetic[:NAME|CxHxW][,classes=K,train=N,test=M]",
            "imagefolder:PATH[,size=N]"]


def _synthetic_shape(name: str, rest: str) -> Shape:
    base, *options = rest.split(",") if rest else ["fashion_mnist"]
    if base in SHAPES:
        shape = SHAPES[base]
        c, h, w, k = shape.channels, shape.height, shape.width, shape.num_classes
    elif m := re.fullmatch(r"(\d+)x(\d+)x(\d+)", base):
        c, h, w = (int(g) for g in m.groups())
        k = 10
    else:
        raise ValueError(
            f"data={name!r}: {base!r} is neither a dataset name {list(SHAPES)} nor CxHxW"
        )
    n_train, n_test = SYNTHETIC_TRAIN, SYNTHETIC_TEST
    for option in options:
        key, _, value = option.partition("=")
        if key not in ("classes", "train", "test") or not value.isdigit() or int(value) < 1:
            raise ValueError(
                f"data={name!r}: option {option!r} must be classes=K, train=N or test=M (>= 1)"
            )
        if key == "classes":
            k = int(value)
        elif key == "train":
            n_train = int(value)
        else:
            n_test = int(value)
    if min(c, h, w) < 1 or k < 2:
        raise ValueError(f"data={name!r}: needs C, H, W >= 1 and at least 2 classes")
    return Shape(c, h, w, k, n_train, n_test)
