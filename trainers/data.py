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

import contextlib
import gzip
import math
import os
import re
import shutil
import socket
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import torch

SYSTEM_DATASETS = Path("/usr/share/datasets")
"""Where Debian's dataset-* packages put their files (dataset-fashion-mnist: fashion-mnist/)."""

FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)


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


def load(name: str | DataSpec) -> Data:
    """Load a dataset by name (see the module docstring)."""
    spec = name if isinstance(name, DataSpec) else parse(name)
    if spec.kind == "synthetic":
        return _synthetic(spec)
    if spec.kind == "imagefolder":
        return _imagefolder(spec)
    if spec.kind == "fashion_mnist":
        return _fashion_mnist(spec.name, data_root())
    return _torchvision(spec.name, spec.kind, data_root())


# ---- synthetic ---------------------------------------------------------------------------


def _synthetic(spec: DataSpec) -> Data:
    """Each class is a fixed random low-resolution template; an image is its class template
    plus noise, so a net can learn it (loss falls) yet it is not trivial. Always generated
    from seed 0: the same name gives the same data."""
    s = spec.shape
    assert s is not None
    g = torch.Generator().manual_seed(0)
    low = (max(1, s.height // 4), max(1, s.width // 4))
    templates = torch.rand(s.num_classes, s.channels, *low, generator=g)
    templates = torch.nn.functional.interpolate(templates, size=(s.height, s.width),
                                                mode="bilinear", align_corners=False)

    def make(n: int) -> tuple[torch.Tensor, torch.Tensor]:
        labels = torch.randint(0, s.num_classes, (n,), generator=g)
        images = torch.empty(n, s.channels, s.height, s.width, dtype=torch.uint8)
        for i in range(0, n, 4096):
            j = min(n, i + 4096)
            noise = torch.rand(j - i, s.channels, s.height, s.width, generator=g)
            x = 0.6 * templates[labels[i:j]] + 0.4 * noise
            images[i:j] = (x * 255).round_().to(torch.uint8)
        return images, labels

    train_x, train_y = make(s.train)
    test_x, test_y = make(s.test)
    return Data(spec.name, train_x, train_y, test_x, test_y, s.num_classes)


# ---- Fashion-MNIST ------------------------------------------------------------------------


def fashion_mnist_sources(root: Path) -> list[Path]:
    """Folders searched for the four IDX files (gzipped or not), in order."""
    sources = [root / "FashionMNIST" / "raw", root / "fashion-mnist", root]
    return [*sources, SYSTEM_DATASETS / "fashion-mnist"]


def _fashion_mnist(name: str, root: Path) -> Data:
    # Read here rather than through torchvision.datasets.FashionMNIST: importing torchvision
    # costs seconds in every process (its ops import torch._dynamo), and a damaged file must be
    # named in the error, with how to restore it.
    raw = root / "FashionMNIST" / "raw"
    train_x, test_x = (_cached_idx(f"{p}-images-idx3-ubyte", 3, root) for p in ("train", "t10k"))
    train_y, test_y = (_cached_idx(f"{p}-labels-idx1-ubyte", 1, root) for p in ("train", "t10k"))
    for images, labels, prefix in ((train_x, train_y, "train"), (test_x, test_y, "t10k")):
        if len(images) != len(labels) or images.shape[1:] != (28, 28):
            raise CorruptDataError(raw / f"{prefix}-images-idx3-ubyte",
                                   f"{tuple(images.shape)} images for {len(labels)} labels")
        if len(labels) and int(labels.max()) >= 10:
            raise CorruptDataError(raw / f"{prefix}-labels-idx1-ubyte",
                                   f"label {int(labels.max())} outside 0-9")
    return Data(name, train_x.unsqueeze(1).contiguous(), train_y.long(),
                test_x.unsqueeze(1).contiguous(), test_y.long(), 10)


def _cached_idx(stem: str, ndim: int, root: Path) -> torch.Tensor:
    """One IDX file from the cache (root/FashionMNIST/raw), decompressed there from the first
    source that has it. A damaged cached copy is rebuilt once from its source; a damaged source
    is named."""
    cached = root / "FashionMNIST" / "raw" / stem
    if cached.is_file():
        try:
            return _read_idx(cached, ndim)
        except CorruptDataError:
            if _find_idx(stem, fashion_mnist_sources(root)[1:]) is None:
                raise
            cached.unlink()
    source = _find_idx(stem, fashion_mnist_sources(root)[1:])
    if source is None:
        raise FileNotFoundError(
            f"Fashion-MNIST not found (searched {cached.parent} and "
            f"{SYSTEM_DATASETS / 'fashion-mnist'}): run `make install` or `sudo apt-get "
            "install dataset-fashion-mnist`, or put the four IDX files in "
            f"{root / 'fashion-mnist'} (or set ATLAS_DATA)"
        )
    _copy_atomically(source, cached)
    try:
        return _read_idx(cached, ndim)
    except CorruptDataError as e:  # the source itself is damaged: name it, keep no copy
        cached.unlink(missing_ok=True)
        raise CorruptDataError(source, e.why) from None


class CorruptDataError(ValueError):
    """A dataset file that exists but cannot be read; the message says how to restore it."""

    def __init__(self, path: Path, why: str):
        self.why = why
        cached = "FashionMNIST" in path.parts
        fix = (f"delete {path} and run again (it is rebuilt from the files of "
               "dataset-fashion-mnist: `sudo apt-get install --reinstall dataset-fashion-mnist` "
               "if they are missing)" if cached
               else "restore it: sudo apt-get install --reinstall dataset-fashion-mnist"
               if path.is_relative_to(SYSTEM_DATASETS) else "replace it with an intact copy")
        super().__init__(f"{path} is damaged ({why}): {fix}")


def _read_idx(path: Path, ndim: int) -> torch.Tensor:
    """An IDX file of unsigned bytes (LeCun's MNIST format: 0, 0, type 0x08, ndim, then ndim
    big-endian uint32 sizes, then the values), checked against its own header."""
    try:
        blob = path.read_bytes()
    except OSError as e:
        raise CorruptDataError(path, e.strerror or type(e).__name__) from None
    header = 4 + 4 * ndim
    if len(blob) < header or blob[:4] != bytes((0, 0, 8, ndim)):
        raise CorruptDataError(path, f"not an IDX file of {ndim}-d unsigned bytes")
    dims = tuple(int.from_bytes(blob[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(blob) != header + math.prod(dims):
        raise CorruptDataError(path, f"{len(blob) - header} bytes of values where its header "
                                     f"{dims} needs {math.prod(dims)}")
    return torch.frombuffer(bytearray(blob), dtype=torch.uint8, offset=header).reshape(dims)


def _find_idx(stem: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        for candidate in (folder / stem, folder / f"{stem}.gz"):
            if candidate.is_file():
                return candidate
    return None


def _copy_atomically(source: Path, target: Path) -> None:
    """Decompress (or copy) `source` to `target` through a temporary file in the same folder,
    renamed into place, so an interrupt never leaves a half-written target."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; the cache is shared like any data file
    except OSError as e:
        raise FileNotFoundError(
            f"cannot write the dataset cache {target.parent} ({e.strerror}); "
            "set ATLAS_DATA to a writable folder"
        ) from None
    try:
        opener = gzip.open if source.suffix == ".gz" else open
        with opener(source, "rb") as src, os.fdopen(fd, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, target)
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:  # a truncated or garbled archive
        Path(tmp).unlink(missing_ok=True)
        raise CorruptDataError(source, f"{type(e).__name__}: {e}".rstrip(": ")) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ---- torchvision datasets -----------------------------------------------------------------

_NETWORK_STALL_S = 30.0  # per connect or read, not for the whole download

_TORCHVISION_FOLDERS = {
    "cifar10": "cifar-10-batches-py (or cifar-10-python.tar.gz)",
    "cifar100": "cifar-100-python (or cifar-100-python.tar.gz)",
    "svhn": "train_32x32.mat and test_32x32.mat",
}


def _torchvision(name: str, kind: str, root: Path) -> Data:
    import torchvision.datasets as tvd

    def get(train: bool, download: bool):
        if kind == "svhn":
            return tvd.SVHN(str(root), split="train" if train else "test", download=download)
        cls = tvd.CIFAR10 if kind == "cifar10" else tvd.CIFAR100
        return cls(str(root), train=train, download=download)

    sets = None
    existed = root.exists()
    for download in (False, True):  # first what is on disk, then try the network
        previous = socket.getdefaulttimeout()
        if download:  # a network that drops packets fails in seconds instead of hanging
            socket.setdefaulttimeout(_NETWORK_STALL_S)
        try:
            sets = get(True, download), get(False, download)
            break
        except (RuntimeError, OSError) as e:  # not found / corrupt; offline: URLError
            reason = f"{type(e).__name__}: {e}".splitlines()[0]
        finally:
            socket.setdefaulttimeout(previous)
    if sets is None:
        if not existed:  # a failed download leaves no empty data folder behind
            _remove_empty_folders(root)
        raise FileNotFoundError(
            f"{kind} is not in {root} and could not be downloaded ({reason}); put "
            f"{_TORCHVISION_FOLDERS[kind]} in {root} or set ATLAS_DATA to a folder holding it"
        )
    out = []
    for ds in sets:
        images = torch.as_tensor(ds.data)
        if kind != "svhn":  # CIFAR stores (N, H, W, C); SVHN already (N, C, H, W)
            images = images.permute(0, 3, 1, 2)
        labels = torch.as_tensor(ds.labels if kind == "svhn" else ds.targets, dtype=torch.long)
        out += [images.contiguous(), labels]
    return Data(name, *out, SHAPES[kind].num_classes)


def _remove_empty_folders(root: Path) -> None:
    """`root` and the folders under it, where they hold no file."""
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only succeeds when empty
    with contextlib.suppress(OSError):
        root.rmdir()


# ---- image folders ------------------------------------------------------------------------


def _imagefolder(spec: DataSpec) -> Data:
    import numpy as np
    from PIL import Image, ImageOps
    from torchvision.datasets import ImageFolder

    root = spec.path
    assert root is not None
    test_dir = next((root / d for d in ("test", "val") if (root / d).is_dir()), None)
    if not (root / "train").is_dir() or test_dir is None:
        raise FileNotFoundError(
            f"data={spec.name!r}: expected {root}/train/<class>/* and {root}/test/<class>/* "
            "(or val/) image folders"
        )
    train = ImageFolder(str(root / "train"))
    test = ImageFolder(str(test_dir))
    unknown = sorted(set(test.classes) - set(train.classes))
    if unknown:
        raise ValueError(f"data={spec.name!r}: test classes {unknown} are not in train/")

    def read(samples, class_names) -> tuple[torch.Tensor, torch.Tensor]:
        images, labels = [], []
        for path, label in samples:
            with Image.open(path) as img:
                img = img.convert("RGB")
                if spec.size is not None:
                    img = ImageOps.fit(img, (spec.size, spec.size))
                images.append(torch.from_numpy(np.asarray(img).copy()).permute(2, 0, 1))
            labels.append(train.class_to_idx[class_names[label]])
        sizes = sorted({tuple(x.shape[1:]) for x in images})
        if len(sizes) > 1:
            raise ValueError(
                f"data={spec.name!r}: images differ in size ({sizes[0]}, {sizes[-1]}, ...); "
                f"use imagefolder:{root},size=N to resize them"
            )
        return torch.stack(images), torch.tensor(labels, dtype=torch.long)

    train_x, train_y = read(train.samples, train.classes)
    test_x, test_y = read(test.samples, test.classes)
    if train_x.shape[1:] != test_x.shape[1:]:
        raise ValueError(f"data={spec.name!r}: train and test images differ in size; use ,size=N")
    return Data(spec.name, train_x, train_y, test_x, test_y, len(train.classes))


# ---- splits -------------------------------------------------------------------------------


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
