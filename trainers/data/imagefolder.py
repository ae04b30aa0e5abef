"""imagefolder:PATH[,size=N]: PATH/train/<class>/* and PATH/test/<class>/* (or PATH/val)."""

from __future__ import annotations

import torch

from .spec import Data, DataSpec


def load_imagefolder(spec: DataSpec) -> Data:
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
