"""Data augmentation on whole batches, on the run's device: random shift, flip, rotation and pixel noise,
drawn from a torch.Generator so a seed reproduces the run. Labels are never touched.

Not torchvision.transforms.v2: a v2 transform draws one set of random parameters per call, so on a batch tensor every
image gets the same shift or angle (checked with v2.RandomAffine on torchvision 0.29); augmentation needs a different
draw per image, and a Python loop over the batch would cost more than the training step. These ops draw per image
and stay whole-batch tensor operations.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SHIFT_FRACTION = 1 / 12  # of the image side: 1 px on 8x8 digits, 2 on 28x28 MNIST, 3 on 32x32 CIFAR
MAX_DEGREES = 10.0
NOISE_STD = 0.1


def _uniform(n: int, lo: float, hi: float, g: Any, device: Any) -> Any:
    import torch

    return torch.rand(n, generator=g, device=device) * (hi - lo) + lo


def max_shift(h: int, w: int) -> int:
    """How far a shift may move an image: a fixed fraction of its side, so 2 px is not a quarter of a tiny digit."""
    return max(1, round(min(h, w) * SHIFT_FRACTION))


def _shift(x: Any, g: Any) -> Any:
    """Translate each image by up to `max_shift` pixels in x and y; the border pixels fill the gap."""
    import torch

    b, _, h, w = x.shape
    m = max_shift(h, w)
    d = torch.randint(-m, m + 1, (b, 2), generator=g, device=g.device).to(x.device)
    rows = (torch.arange(h, device=x.device)[None] - d[:, :1]).clamp(0, h - 1)  # [b, h]
    cols = (torch.arange(w, device=x.device)[None] - d[:, 1:]).clamp(0, w - 1)  # [b, w]
    bi = torch.arange(b, device=x.device)[:, None, None]
    return x.permute(0, 2, 3, 1)[bi, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)


def _flip(x: Any, g: Any) -> Any:
    """Mirror each image left-right with probability 1/2."""
    import torch

    mask = (torch.rand(x.shape[0], generator=g, device=g.device) < 0.5).to(x.device)
    return torch.where(mask[:, None, None, None], x.flip(-1), x)


def _rotate(x: Any, g: Any) -> Any:
    """Rotate each image by a random angle in +-MAX_DEGREES about its centre (bilinear, border fill)."""
    import torch
    import torch.nn.functional as F

    ang = _uniform(x.shape[0], -MAX_DEGREES, MAX_DEGREES, g, g.device).to(x.device) * (math.pi / 180)
    cos, sin, zero = torch.cos(ang), torch.sin(ang), torch.zeros_like(ang)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    xf = x.float()
    grid = F.affine_grid(theta, list(xf.shape), align_corners=False)
    return F.grid_sample(xf, grid, mode="bilinear", padding_mode="border", align_corners=False)


def _noise(x: Any, g: Any) -> Any:
    """Add gaussian noise of std NOISE_STD to every pixel."""
    import torch

    noise = torch.randn(x.shape, generator=g, device=g.device, dtype=torch.float32)
    return x + NOISE_STD * noise.to(x.device)


OPS = {"shift": _shift, "flip": _flip, "rotate": _rotate, "noise": _noise}


def augment_batch(x: Any, ops: Sequence[str], generator: Any) -> Any:
    """Apply `ops` in order to the batch x [B, C, H, W]; returns a new tensor with x's shape, dtype and
    device. All randomness comes from `generator` (which may live on the GPU): same seed, same batches."""
    unknown = [o for o in ops if o not in OPS]
    if unknown:
        raise ValueError(f"unknown augmentation {unknown[0]!r}; choose from {', '.join(OPS)}")
    if x.ndim != 4:
        raise ValueError(f"augmentation needs image batches [B, C, H, W], got shape {tuple(x.shape)}")
    out = x
    for op in ops:
        out = OPS[op](out, generator)
    return out.to(dtype=x.dtype)


def preview(inputs: np.ndarray, ops: Sequence[str], to_pixels: Callable[[np.ndarray], np.ndarray], n: int = 8,
            seed: int = 0) -> np.ndarray:
    """What training sees, for display: the standardized model inputs[:n] (repeated if fewer) go through
    `augment_batch` exactly as a training batch does, then `to_pixels` (the data's standardizer inverse) maps them
    back to 0..1 pixels. Augmenting display pixels instead would be wrong: the noise std is in standardized units,
    so on pixels it would look 1/std times (about 3x on digits) stronger than what the network gets.
    Returns float32 [n, C, H, W] clipped to 0..1."""
    import torch

    arr = np.asarray(inputs, dtype=np.float32)
    if arr.ndim == 3:
        arr = arr[:, None]
    arr = arr[np.arange(n) % len(arr)]
    g = torch.Generator().manual_seed(seed)
    out = augment_batch(torch.from_numpy(np.ascontiguousarray(arr)), ops, g)
    return np.clip(to_pixels(out.numpy()), 0.0, 1.0).astype(np.float32)
