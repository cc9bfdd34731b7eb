"""What a CNN learned, as pictures: its filters (weights) and feature maps (activations) for one image, plus a
compact uint8 tiling of them that is cheap to send to a browser."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


def _minmax(a: np.ndarray, axes: tuple[int, ...], from_zero: bool = False) -> np.ndarray:
    """Scale to 0..1 over `axes`; a constant slice becomes 0.5 (grey) rather than dividing by zero. `from_zero`
    stretches the range to include 0, so zero is the darkest value of a ReLU map and a channel that is silent for
    this image (all zeros: a dead or unused filter) shows dark, not mid-grey."""
    lo, hi = a.min(axis=axes, keepdims=True), a.max(axis=axes, keepdims=True)
    if from_zero:
        lo, hi = np.minimum(lo, 0), np.maximum(hi, 0)
    span = hi - lo
    return np.where(span > 0, (a - lo) / np.where(span > 0, span, 1), 0.0 if from_zero else 0.5).astype(np.float32)


def _convs(model: nn.Module) -> list[tuple[str, nn.Conv2d]]:
    if hasattr(model, "conv_layers"):
        return list(model.conv_layers())
    return [(n, m) for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]


def layer_filters(model: nn.Module, layer_name: str) -> np.ndarray:
    """Weights of one conv layer as [K, C, F, F], each filter min-max scaled to 0..1 over all its channels (so
    for C == 3 a filter reads as an RGB picture); C is 1 for depthwise convs."""
    convs = dict(_convs(model))
    if layer_name not in convs:
        raise KeyError(f"no conv layer {layer_name!r}; the model has: {', '.join(convs) or 'none'}")
    w = convs[layer_name].weight.detach().float().cpu().numpy()
    return _minmax(w, (1, 2, 3))


def first_layer_filters(model: nn.Module) -> np.ndarray:
    """The first conv's filters [K, C, F, F] in 0..1: the edge and colour detectors a CNN learns first."""
    convs = _convs(model)
    if not convs:
        raise ValueError("the model has no convolution layers")
    return _minmax(convs[0][1].weight.detach().float().cpu().numpy(), (1, 2, 3))


def feature_maps(model: nn.Module, image: Any) -> list[tuple[str, np.ndarray]]:
    """Each block's activations [C, H, W] for one image ([C, H, W] or [H, W], array or tensor), eval mode."""
    if not hasattr(model, "feature_maps"):
        raise TypeError(f"{type(model).__name__} has no conv blocks to show feature maps of")
    if torch.is_tensor(image):
        x = image.detach().float()
    else:
        x = torch.as_tensor(np.asarray(image, dtype=np.float32))
    if x.dim() == 2:
        x = x[None]
    p = next(model.parameters())
    x = x[None].to(p.device)
    was = model.training
    model.eval()
    try:
        with torch.inference_mode():
            maps = model.feature_maps(x)  # type: ignore[operator]
    finally:
        model.train(was)
    return [(name, m[0].float().cpu().numpy()) for name, m in maps]


def to_uint8_grid(arr: np.ndarray, ncols: int | None = None, rgb: bool | None = None, normalize: str = "tile",
                  separator: int = 255, scale: int = 1) -> np.ndarray:
    """Tile images into one uint8 picture with 1 px separators: [rows*(h+1)-1, cols*(w+1)-1] (+ [3] for RGB).

    arr: [N, H, W] grey tiles; [N, 3, H, W] with rgb (default when the second axis is 3) gives colour tiles;
    any other [K, C, H, W] becomes K rows of C grey tiles. normalize: 'tile' min-max per tile, 'activation' per
    tile from min(0, min) to max(0, max) (feature maps: zero is dark), 'global' over everything, 'none' when values
    are already 0..1. scale repeats pixels (browsers can also upscale with
    `image-rendering: pixelated`, which keeps the payload small).
    """
    a = np.asarray(arr, dtype=np.float32)
    if a.ndim == 2:
        a = a[None]
    colour = a.ndim == 4 and (a.shape[1] == 3 if rgb is None else rgb)
    if a.ndim == 4 and not colour:
        ncols = ncols or a.shape[1]
        a = a.reshape(-1, *a.shape[2:])
    if colour:
        a = a.transpose(0, 2, 3, 1)  # [N, H, W, 3]
    elif a.ndim != 3:
        raise ValueError(f"expected [N, H, W] or [N, C, H, W] tiles, got shape {np.shape(arr)}")
    if normalize == "tile":
        a = _minmax(a, tuple(range(1, a.ndim)))
    elif normalize == "activation":
        a = _minmax(a, tuple(range(1, a.ndim)), from_zero=True)
    elif normalize == "global":
        a = _minmax(a, tuple(range(a.ndim)))
    elif normalize != "none":
        raise ValueError(f"normalize must be 'tile', 'activation', 'global' or 'none', got {normalize!r}")
    if scale > 1:
        a = a.repeat(scale, axis=1).repeat(scale, axis=2)
    n, h, w = a.shape[:3]
    cols = max(1, min(ncols or int(np.ceil(np.sqrt(n))), n))
    rows = -(-n // cols)
    tiles = np.full((rows * cols, h + 1, w + 1, *a.shape[3:]), separator, dtype=np.uint8)
    tiles[:n, :h, :w] = (np.clip(a, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    grid = tiles.reshape(rows, cols, h + 1, w + 1, *a.shape[3:]).swapaxes(1, 2)
    grid = grid.reshape(rows * (h + 1), cols * (w + 1), *a.shape[3:])
    return np.ascontiguousarray(grid[:-1, :-1])
