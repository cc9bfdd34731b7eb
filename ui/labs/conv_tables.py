"""The convolution lab's numbers as rows for a table, each formula's result next to what a real torch layer gives
(built on the meta device: shapes and parameter counts without allocating or computing anything). No streamlit."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nnlib.labs.conv import (
    ConvCost,
    conv_output_shape,
    conv_params,
    small_int_matrix,
    total_cost,
    transposed_output_size,
)

C_IN, C_OUT = 3, 8  # channels of the 1D/2D/3D shape table: an RGB-like input, eight filters
CONV_LAYERS = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


def random_kernel(f: int, seed: int) -> np.ndarray:
    """A small integer kernel with negative entries (an edge-detector-like mix), seeded apart from the input."""
    return small_int_matrix(f, f, seed + 1, lo=-3, hi=3)


def torch_conv(dims: int, size: int, kernel: int, stride: int, padding: int, dilation: int,
               c_in: int = C_IN, c_out: int = C_OUT) -> tuple[tuple[int, ...], int]:
    """(spatial output shape, parameter count) of the real nn.ConvNd on a meta tensor."""
    with torch.device("meta"):
        layer = CONV_LAYERS[dims](c_in, c_out, kernel, stride, padding, dilation)
        out = layer(torch.empty(1, c_in, *[size] * dims))
    return tuple(out.shape[2:]), sum(p.numel() for p in layer.parameters())


def shape_rows(size: int, kernel: int, stride: int, padding: int, dilation: int) -> list[dict[str, object]]:
    """One row per 1D, 2D and 3D convolution: the shapes and parameters by formula and by torch."""
    rows = []
    for dims in (1, 2, 3):
        shape = conv_output_shape([size] * dims, kernel, stride, padding, dilation)
        torch_shape, torch_params = torch_conv(dims, size, kernel, stride, padding, dilation)
        rows.append({
            "layer": f"nn.Conv{dims}d({C_IN}, {C_OUT}, {kernel})",
            "input": " x ".join(map(str, (C_IN, *[size] * dims))),
            "output by formula": " x ".join(map(str, (C_OUT, *shape))),
            "output by torch": " x ".join(map(str, (C_OUT, *torch_shape))),
            "params: F^d x D_in x K + K": conv_params([kernel] * dims, C_IN, C_OUT, dims=dims),
            "params by torch": torch_params,
        })
    return rows


def output_size_formula(size: int, kernel: int, stride: int, padding: int, dilation: int, out: int) -> str:
    """The output-size formula with the chosen numbers in it (the lecture's form when not dilated)."""
    if dilation == 1:
        return f"floor((W - F + 2P)/S) + 1 = floor(({size} - {kernel} + 2·{padding})/{stride}) + 1 = {out}"
    return (f"floor((W + 2P - D(F-1) - 1)/S) + 1 = floor(({size} + 2·{padding} - {dilation}·{kernel - 1} - 1)"
            f"/{stride}) + 1 = {out}")


def bottleneck_rows(comparison: dict[str, list[ConvCost]]) -> list[dict[str, object]]:
    """Per-layer rows under each path, then the path's total: direct F x F conv vs 1x1 bottleneck first."""
    rows: list[dict[str, object]] = []
    for path, layers in comparison.items():
        for layer in layers:
            rows.append({"path": path, "layer": layer.label, "params": layer.params, "multiplies": layer.multiplies})
        params, mults = total_cost(layers)
        rows.append({"path": path, "layer": "total", "params": params, "multiplies": mults})
    return rows


def torch_transposed(size: int, kernel: int, stride: int, padding: int, output_padding: int) -> int:
    """Output length of the real nn.ConvTranspose1d on a meta tensor."""
    with torch.device("meta"):
        layer = nn.ConvTranspose1d(1, 1, kernel, stride, padding, output_padding)
        return int(layer(torch.empty(1, 1, size)).shape[-1])


def transposed_formula(size: int, kernel: int, stride: int, padding: int, output_padding: int) -> str:
    out = transposed_output_size(size, kernel, stride, padding, output_padding)
    return (f"(N - 1)S + F - 2P + output_padding = ({size} - 1)·{stride} + {kernel} - 2·{padding} + "
            f"{output_padding} = {out}")
