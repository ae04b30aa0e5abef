"""Datasets by name, loaded whole as uint8 tensors (N, C, H, W) plus int64 labels.

Names (see `parse`):
  fashion_mnist            ATLAS_DATA or the Debian package dataset-fashion-mnist (default)
  cifar10, cifar100, svhn  torchvision; downloaded into the data root when online
  synthetic[:SPEC]         random class-dependent images of any shape, e.g. ``synthetic:cifar10``
                           or ``synthetic:3x64x64,classes=100,train=2048,test=512``
  imagefolder:PATH[,size=N]  PATH/train/<class>/* and PATH/test/<class>/* (or PATH/val)

The data root is ``$ATLAS_DATA`` if set, else ``./data``. Nothing here normalises or augments:
the trainer does that on the device, per batch.
"""

from __future__ import annotations

from .fashion_mnist import (  # noqa: F401  (public names)
    FASHION_MNIST_FILES,
    SYSTEM_DATASETS,
    CorruptDataError,
    fashion_mnist_sources,
    load_fashion_mnist,
)
from .imagefolder import load_imagefolder
from .spec import (  # noqa: F401
    SHAPES,
    SYNTHETIC_TEST,
    SYNTHETIC_TRAIN,
    Data,
    DataSpec,
    Shape,
    data_root,
    names,
    parse,
)
from .splits import recipe_split, split_indices  # noqa: F401
from .synthetic import load_synthetic
from .torchvision_sets import load_torchvision


def load(name: str | DataSpec) -> Data:
    """Load a dataset by name (see the package docstring): one loader per kind of name."""
    spec = name if isinstance(name, DataSpec) else parse(name)
    if spec.kind == "synthetic":
        return load_synthetic(spec)
    if spec.kind == "imagefolder":
        return load_imagefolder(spec)
    if spec.kind == "fashion_mnist":
        return load_fashion_mnist(spec.name, data_root())
    return load_torchvision(spec.name, spec.kind, data_root())
