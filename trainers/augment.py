"""Batch augmentation and normalisation on the training device.

Each function takes a whole batch and a `torch.Generator` on the batch's device, draws one
random number per image in a few vectorised calls, and never synchronises with the host.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def random_crop(x: torch.Tensor, padding: int, gen: torch.Generator) -> torch.Tensor:
    """Zero-pad by `padding` and crop each image back to (H, W) at a random offset.

    As torchvision's RandomCrop(size, padding) with fill 0. The result is a (B, C, H, W) view
    of an NHWC tensor, i.e. already in channels_last layout.
    """
    if padding == 0:
        return x
    b, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    dy, dx = torch.randint(0, 2 * padding + 1, (2, b, 1), generator=gen, device=x.device)
    rows = dy + torch.arange(h, device=x.device)  # (B, H)
    cols = dx + torch.arange(w, device=x.device)  # (B, W)
    batch = torch.arange(b, device=x.device)[:, None, None]
    # Advanced indices around a slice put the indexed dims first: (B, H, W, C).
    return padded[batch, :, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def random_flip(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flip each image left-right with probability 0.5."""
    flip = torch.rand(x.shape[0], generator=gen, device=x.device) < 0.5
    return torch.where(flip[:, None, None, None], x.flip(3), x)


def random_erasing(
    x: torch.Tensor,
    p: float,
    gen: torch.Generator,
    scale: tuple[float, float] = (0.02, 0.33),
    ratio: tuple[float, float] = (0.3, 3.3),
    value: float = 0.0,
) -> torch.Tensor:
    """Zhong et al. 2020 / torchvision RandomErasing on a normalised batch: with probability
    p, set a rectangle of area fraction ~U(scale) and log-uniform aspect `ratio` to `value`
    (0 = the dataset mean after normalisation). torchvision retries up to 10 times until the
    rectangle fits; here its sides are clipped to the image instead (no loop, no sync)."""
    if p == 0:
        return x
    b, _, h, w = x.shape
    r = torch.rand(5, b, generator=gen, device=x.device)
    area = h * w * (scale[0] + (scale[1] - scale[0]) * r[0])
    log_lo, log_hi = math.log(ratio[0]), math.log(ratio[1])
    aspect = torch.exp(log_lo + (log_hi - log_lo) * r[1])
    eh = torch.sqrt(area * aspect).round().clamp(1, h)
    ew = torch.sqrt(area / aspect).round().clamp(1, w)
    top = (r[2] * (h - eh + 1)).floor()
    left = (r[3] * (w - ew + 1)).floor()
    ys = torch.arange(h, device=x.device)
    xs = torch.arange(w, device=x.device)
    in_rows = (ys >= top[:, None]) & (ys < (top + eh)[:, None])  # (B, H)
    in_cols = (xs >= left[:, None]) & (xs < (left + ew)[:, None])  # (B, W)
    mask = in_rows[:, :, None] & in_cols[:, None, :] & (r[4] < p)[:, None, None]
    return x.masked_fill(mask[:, None], value)


class Normalize:
    """uint8 (B, C, H, W) -> float32 (x / 255 - mean) / std, as one multiply-add."""

    def __init__(self, mean: tuple[float, ...], std: tuple[float, ...], device: torch.device):
        std_t = torch.tensor(std, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        mean_t = torch.tensor(mean, dtype=torch.float32, device=device).view(1, -1, 1, 1)
        self.scale = 1.0 / (255.0 * std_t)
        self.shift = -mean_t / std_t

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return torch.addcmul(self.shift, x.float(), self.scale)
