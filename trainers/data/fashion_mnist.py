"""fashion_mnist: the four IDX files, from ATLAS_DATA or Debian's dataset-fashion-mnist, read
here and cached decompressed; a damaged file is named, and a damaged cached copy rebuilt."""

from __future__ import annotations

import gzip
import math
import os
import shutil
import tempfile
import zlib
from pathlib import Path

import torch

from .spec import Data

SYSTEM_DATASETS = Path("/usr/share/datasets")
"""Where Debian's dataset-* packages put their files (dataset-fashion-mnist: fashion-mnist/)."""

FASHION_MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)


def fashion_mnist_sources(root: Path) -> list[Path]:
    """Folders searched for the four IDX files (gzipped or not), in order."""
    sources = [root / "FashionMNIST" / "raw", root / "fashion-mnist", root]
    return [*sources, SYSTEM_DATASETS / "fashion-mnist"]


def load_fashion_mnist(name: str, root: Path) -> Data:
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
