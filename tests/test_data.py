"""Datasets by name: parsing, synthetic data, splits, Fashion-MNIST files, torchvision sets."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from trainers import data as D


def test_parse_known_names_and_shapes():
    assert D.parse("fashion_mnist").shape.input_size == (1, 28, 28)
    assert D.parse("cifar100").shape.num_classes == 100
    assert D.parse("svhn").shape.train == 73_257
    assert D.parse("synthetic").shape == D.Shape(1, 28, 28, 10, D.SYNTHETIC_TRAIN,
                                                 D.SYNTHETIC_TEST)
    assert D.parse("synthetic:cifar100").shape.input_size == (3, 32, 32)
    s = D.parse("synthetic:3x8x12,classes=5,train=100,test=20").shape
    assert (s.channels, s.height, s.width, s.num_classes, s.train, s.test) == (3, 8, 12, 5, 100, 20)
    spec = D.parse("imagefolder:/x/y,size=16")
    assert (spec.kind, spec.path, spec.size) == ("imagefolder", Path("/x/y"), 16)


@pytest.mark.parametrize("name", ["mnist", "", "cifar10:x", "synthetic:foo",
                                  "synthetic:3x8x8,classes=1", "synthetic:3x8x8,batch=3",
                                  "synthetic:3x8x8,train=0", "imagefolder:"])
def test_bad_names_are_one_line_value_errors(name):
    with pytest.raises(ValueError) as e:
        D.parse(name)
    assert "\n" not in str(e.value) and repr(name) in str(e.value)


def test_synthetic_is_deterministic_learnable_uint8():
    a = D.load("synthetic:2x8x8,classes=3,train=300,test=60")
    b = D.load("synthetic:2x8x8,classes=3,train=300,test=60")
    assert a.train_images.shape == (300, 2, 8, 8) and a.test_images.shape == (60, 2, 8, 8)
    assert a.train_images.dtype == torch.uint8 and a.train_labels.dtype == torch.long
    assert torch.equal(a.train_images, b.train_images) and torch.equal(a.test_labels, b.test_labels)
    assert set(a.train_labels.tolist()) == {0, 1, 2}
    # images carry their class: class means differ far more than the noise of a mean
    means = torch.stack([a.train_images[a.train_labels == k].float().mean(0) for k in range(3)])
    assert (means[0] - means[1]).abs().mean() > 5
    mean, std = a.mean_std()
    x = a.train_images.float() / 255
    assert np.allclose(mean, x.mean((0, 2, 3)).tolist(), atol=1e-6)
    assert np.allclose(std, x.std((0, 2, 3), correction=0).tolist(), atol=1e-6)


def test_validation_split_is_seeded_disjoint_and_carved_first():
    train, val = D.split_indices(1000, 0.2, split_seed=7)
    assert len(val) == 200 and len(train) == 800
    assert set(train.tolist()).isdisjoint(val.tolist())
    assert set(train.tolist()) | set(val.tolist()) == set(range(1000))
    again_train, again_val = D.split_indices(1000, 0.2, split_seed=7)
    assert torch.equal(train, again_train) and torch.equal(val, again_val)
    _, other_val = D.split_indices(1000, 0.2, split_seed=8)
    assert not torch.equal(val, other_val)
    # a training subset never changes which images are held out
    small_train, same_val = D.split_indices(1000, 0.2, split_seed=7, max_train=50, max_val=30)
    assert len(small_train) == 50 and torch.equal(same_val, val[:30])
    assert set(small_train.tolist()) <= set(train.tolist())
    no_train, no_val = D.split_indices(10, 0.0, 0)
    assert len(no_val) == 0 and len(no_train) == 10


# ---- Fashion-MNIST files ------------------------------------------------------------------


def _write_idx(folder: Path, n_train: int = 12, n_test: int = 5, gz: bool = True) -> None:
    """Tiny IDX files in the Fashion-MNIST format (magic 2051 images, 2049 labels)."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = struct.pack(">IIII", 2051, n, 28, 28) + bytes(range(n)) * 784
        labels = struct.pack(">II", 2049, n) + bytes(i % 10 for i in range(n))
        for stem, payload in ((f"{prefix}-images-idx3-ubyte", images),
                              (f"{prefix}-labels-idx1-ubyte", labels)):
            if gz:
                (folder / f"{stem}.gz").write_bytes(gzip.compress(payload))
            else:
                (folder / stem).write_bytes(payload)


@pytest.fixture
def no_system_data(tmp_path, monkeypatch):
    """An empty data root and no system dataset folder."""
    monkeypatch.setattr(D.fashion_mnist, "SYSTEM_DATASETS", tmp_path / "system")
    monkeypatch.setenv("ATLAS_DATA", str(tmp_path / "root"))
    return tmp_path


def test_missing_fashion_mnist_says_how_to_get_it(no_system_data):
    with pytest.raises(FileNotFoundError) as e:
        D.load("fashion_mnist")
    message = str(e.value)
    assert "\n" not in message
    assert "dataset-fashion-mnist" in message and "make install" in message
    assert "ATLAS_DATA" in message


def test_fashion_mnist_gz_files_are_decompressed_into_the_cache(no_system_data):
    system = no_system_data / "system" / "fashion-mnist"
    _write_idx(system)
    d = D.load("fashion_mnist")
    assert d.train_images.shape == (12, 1, 28, 28) and d.test_images.shape == (5, 1, 28, 28)
    assert d.train_images.dtype == torch.uint8 and d.train_labels.tolist()[:3] == [0, 1, 2]
    raw = no_system_data / "root" / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(D.FASHION_MNIST_FILES)  # no temps
    # the cache is used from then on, even when the source disappears
    for p in system.iterdir():
        p.unlink()
    assert torch.equal(D.load("fashion_mnist").train_images, d.train_images)


def test_fashion_mnist_from_atlas_data_uncompressed(no_system_data):
    _write_idx(no_system_data / "root" / "fashion-mnist", n_train=3, gz=False)
    assert len(D.load("fashion_mnist").train_labels) == 3


def _truncate(path: Path, keep: int) -> None:
    path.write_bytes(path.read_bytes()[:keep])


def _garble_header(path: Path) -> None:
    blob = bytearray(path.read_bytes())
    blob[2] = 0x0D  # type float32, not unsigned bytes
    path.write_bytes(bytes(blob))


@pytest.mark.parametrize("damage, why", [
    (lambda folder: _truncate(folder / "train-images-idx3-ubyte", 1000), "bytes of values"),
    (lambda folder: _garble_header(folder / "t10k-labels-idx1-ubyte"), "not an IDX file"),
    (lambda folder: _truncate(folder / "t10k-images-idx3-ubyte", 3), "not an IDX file"),
    (lambda folder: (folder / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, 12) + bytes([42] * 12)), "label 42 outside 0-9"),
    (lambda folder: (folder / "train-labels-idx1-ubyte").write_bytes(
        struct.pack(">II", 2049, 7) + bytes(7)), "images for 7 labels"),
])
def test_a_damaged_idx_file_is_named_with_how_to_restore_it(no_system_data, damage, why):
    source = no_system_data / "root" / "fashion-mnist"
    _write_idx(source, gz=False)
    damage(source)
    with pytest.raises(D.CorruptDataError) as e:
        D.load("fashion_mnist")
    message = str(e.value)
    assert "\n" not in message and why in message, message
    assert str(no_system_data / "root") in message and "damaged" in message
    assert "delete" in message or "replace it" in message


@pytest.mark.parametrize("damage", [
    lambda path: _truncate(path, len(path.read_bytes()) // 2),  # EOFError inside gzip
    lambda path: path.write_bytes(bytes(range(256)) * 4),  # not gzip at all
    lambda path: path.write_bytes(gzip.compress(b"x" * 4096)[:12] + bytes(200)),  # bad stream
])
def test_a_damaged_system_archive_names_the_file_and_the_package(no_system_data, damage,
                                                                 monkeypatch):
    system = no_system_data / "system"
    _write_idx(system / "fashion-mnist")
    archive = system / "fashion-mnist" / "t10k-images-idx3-ubyte.gz"
    damage(archive)
    with pytest.raises(D.CorruptDataError) as e:
        D.load("fashion_mnist")
    message = str(e.value)
    assert "\n" not in message and str(archive) in message, message
    assert "apt-get install --reinstall dataset-fashion-mnist" in message
    raw = no_system_data / "root" / "FashionMNIST" / "raw"
    assert not [p for p in raw.iterdir() if p.name.startswith(".")]  # no temporary left


def test_interrupted_decompression_leaves_nothing(no_system_data, monkeypatch):
    _write_idx(no_system_data / "system" / "fashion-mnist")

    def interrupted(src, dst, length=0):
        dst.write(src.read(100))
        raise KeyboardInterrupt

    monkeypatch.setattr(D.fashion_mnist.shutil, "copyfileobj", interrupted)
    with pytest.raises(KeyboardInterrupt):
        D.load("fashion_mnist")
    raw = no_system_data / "root" / "FashionMNIST" / "raw"
    assert list(raw.iterdir()) == []


@pytest.mark.skipif(not (D.SYSTEM_DATASETS / "fashion-mnist").is_dir(),
                    reason="dataset-fashion-mnist is not installed")
def test_real_fashion_mnist(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_DATA", str(tmp_path))
    d = D.load("fashion_mnist")
    assert d.train_images.shape == (60_000, 1, 28, 28)
    assert d.test_images.shape == (10_000, 1, 28, 28)
    assert d.train_images.dtype == torch.uint8
    for labels, n in ((d.train_labels, 6000), (d.test_labels, 1000)):  # balanced classes
        assert torch.equal(torch.bincount(labels), torch.full((10,), n))
    assert d.num_classes == 10 and d.input_size == (1, 28, 28)


# ---- torchvision sets and image folders ------------------------------------------------------


def test_offline_cifar_names_the_folder_to_fill(tmp_path, monkeypatch):
    import torchvision.datasets as tvd

    def offline(self):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tvd.CIFAR10, "download", offline)
    monkeypatch.setenv("ATLAS_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError) as e:
        D.load("cifar10")
    message = str(e.value)
    assert "\n" not in message and str(tmp_path) in message and "cifar-10-batches-py" in message


def _png(path: Path, size: tuple[int, int], value: int) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", size, value).save(path)


def test_imagefolder(tmp_path):
    for split, n in (("train", 3), ("test", 2)):
        for k, cls in enumerate(("cat", "dog")):
            for i in range(n):
                _png(tmp_path / split / cls / f"{i}.png", (10, 8), 100 * k + i)
    d = D.load(f"imagefolder:{tmp_path}")
    assert d.train_images.shape == (6, 3, 8, 10) and d.test_images.shape == (4, 3, 8, 10)
    assert d.num_classes == 2 and d.train_labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert d.train_images[4, :, 0, 0].tolist() == [101] * 3  # grey -> RGB
    _png(tmp_path / "train" / "dog" / "big.png", (20, 20), 0)
    with pytest.raises(ValueError, match="size=N"):
        D.load(f"imagefolder:{tmp_path}")
    assert D.load(f"imagefolder:{tmp_path},size=6").train_images.shape == (7, 3, 6, 6)


def test_imagefolder_without_splits(tmp_path):
    with pytest.raises(FileNotFoundError, match="train/<class>"):
        D.load(f"imagefolder:{tmp_path}")
