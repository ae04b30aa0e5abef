"""synthetic[:SPEC]: random class-dependent images of any shape (tests and throughput)."""

from __future__ import annotations

import torch

from .spec import Data, DataSpec


def load_synthetic(spec: DataSpec) -> Data:
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
