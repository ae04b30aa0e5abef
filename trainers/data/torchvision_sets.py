"""cifar10, cifar100, svhn: torchvision's datasets, downloaded into the data root when online."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import torch

from .spec import SHAPES, Data

_NETWORK_STALL_S = 30.0  # per connect or read, not for the whole download

_TORCHVISION_FOLDERS = {
    "cifar10": "cifar-10-batches-py (or cifar-10-python.tar.gz)",
    "cifar100": "cifar-100-python (or cifar-100-python.tar.gz)",
    "svhn": "train_32x32.mat and test_32x32.mat",
}


def load_torchvision(name: str, kind: str, root: Path) -> Data:
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
