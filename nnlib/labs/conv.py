"""Convolution arithmetic for the conv lab: output sizes, parameter and multiply counts, and every step of a kernel
sliding over a small integer matrix, so a page can animate what F.conv2d computes and show the lecture's counts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# The lecture's worked example: a 3x3 kernel slid over a 5x5 integer input (stride 1, no padding -> 3x3 output).
LECTURE_KERNEL = np.array([[1, 2, 3], [-4, 7, 4], [2, -5, 1]], dtype=np.int64)
LECTURE_INPUT = np.array([[1, 0, 2, 3, 1],
                          [4, 1, 0, 2, 2],
                          [3, 2, 1, 0, 1],
                          [0, 1, 3, 1, 4],
                          [2, 4, 0, 1, 3]], dtype=np.int64)


def small_int_matrix(rows: int, cols: int, seed: int = 0, lo: int = 0, hi: int = 9) -> np.ndarray:
    """A seeded matrix of integers in [lo, hi], the kind of input a student can multiply out by hand."""
    return np.random.default_rng(seed).integers(lo, hi + 1, size=(rows, cols))


# The one output-size formula every tooltip, the page text and the shape table quote (three tooltips gave three
# different ones: with and without floor, with and without dilation); conv_output_size computes it.
CONV_OUTPUT_FORMULA = "output = floor((W + 2P - D(F-1) - 1)/S) + 1, i.e. floor((W - F + 2P)/S) + 1 when D = 1"


def conv_output_size(w: int, f: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: floor((W + 2P - D(F-1) - 1) / S) + 1 (torch's formula; with D = 1 it is the
    lecture's (W - F + 2P)/S + 1). Raises ValueError when the (dilated) kernel does not fit."""
    if min(w, f, stride, dilation) < 1 or padding < 0:
        raise ValueError("sizes, kernel, stride and dilation must be >= 1 and padding >= 0")
    span = dilation * (f - 1) + 1
    if span > w + 2 * padding:
        raise ValueError(f"a kernel spanning {span} does not fit an input of {w} padded by {padding} on each side")
    return (w + 2 * padding - span) // stride + 1


def conv_output_shape(size: Sequence[int], kernel: int | Sequence[int], stride: int | Sequence[int] = 1,
                      padding: int | Sequence[int] = 0, dilation: int | Sequence[int] = 1) -> tuple[int, ...]:
    """Spatial output shape of a 1D, 2D or 3D convolution (one entry per axis of `size`)."""
    dims = len(size)

    def per_axis(v: int | Sequence[int]) -> list[int]:
        return [int(v)] * dims if isinstance(v, int) else [int(a) for a in v]

    ks, ss, ps, ds = per_axis(kernel), per_axis(stride), per_axis(padding), per_axis(dilation)
    if not len(ks) == len(ss) == len(ps) == len(ds) == dims:
        raise ValueError(f"kernel, stride, padding and dilation need {dims} values for a {dims}D input")
    return tuple(conv_output_size(w, f, s, p, d) for w, f, s, p, d in zip(size, ks, ss, ps, ds))


def conv_params(kernel: int | Sequence[int], c_in: int, c_out: int, bias: bool = True, groups: int = 1,
                dims: int = 2) -> int:
    """Learned numbers of a conv layer: F x F x D_in x K + K for a square 2D kernel (D_in / groups per filter)."""
    ks = [kernel] * dims if isinstance(kernel, int) else list(kernel)
    if c_in % groups or c_out % groups:
        raise ValueError(f"groups={groups} must divide both {c_in} input and {c_out} output channels")
    return math.prod(ks) * (c_in // groups) * c_out + (c_out if bias else 0)


def conv_multiplies(out_shape: Sequence[int], kernel: int | Sequence[int], c_in: int, c_out: int,
                    groups: int = 1) -> int:
    """Multiplications of one forward pass: every output value (K x output positions) is a dot product of
    F x F x D_in/groups numbers (biases are additions, not counted)."""
    ks = [kernel] * len(out_shape) if isinstance(kernel, int) else list(kernel)
    return math.prod(out_shape) * c_out * math.prod(ks) * (c_in // groups)


def transposed_output_size(n: int, f: int, stride: int = 1, padding: int = 0, output_padding: int = 0,
                           dilation: int = 1) -> int:
    """Output length of a transposed convolution: (N-1)S + F - 2P (+ output_padding), with a dilated kernel
    spanning D(F-1) + 1 instead of F (torch's nn.ConvTranspose formula)."""
    if output_padding >= max(stride, dilation):
        raise ValueError("output_padding must be smaller than the stride or the dilation")
    size = (n - 1) * stride - 2 * padding + dilation * (f - 1) + 1 + output_padding
    if size < 1:
        raise ValueError(f"padding {padding} crops the whole output")
    return size


@dataclass(frozen=True)
class ConvStep:
    """One position of the kernel: where it sits, what it covers, the products and their sum (one output value)."""

    out_row: int
    out_col: int
    top: int  # row of the window's first element in the padded input
    left: int
    window: np.ndarray  # the input values under the kernel (dilated: every D-th value)
    products: np.ndarray  # window * kernel, elementwise
    value: float  # products.sum() + bias


@dataclass(frozen=True)
class ConvWalk:
    """The whole slide: the padded input the kernel walks over, the steps in reading order and the output."""

    padded: np.ndarray
    steps: list[ConvStep]
    output: np.ndarray


def padded_input(x: np.ndarray, padding: int) -> np.ndarray:
    """The input surrounded by `padding` rings of zeros, the matrix a page draws the sliding window on."""
    return np.pad(np.asarray(x), padding)


def window_positions(h: int, w: int, f: int, stride: int, padding: int, dilation: int = 1
                     ) -> list[tuple[int, int, int, int]]:
    """(out_row, out_col, top, left) of every window in reading order, top/left in padded coordinates."""
    rows = conv_output_size(h, f, stride, padding, dilation)
    cols = conv_output_size(w, f, stride, padding, dilation)
    return [(i, j, i * stride, j * stride) for i in range(rows) for j in range(cols)]


def window_at(padded: np.ndarray, top: int, left: int, f: int, dilation: int = 1) -> np.ndarray:
    """The F x F values a (dilated) kernel whose first element sits at (top, left) covers."""
    span = dilation * (f - 1) + 1
    return padded[top:top + span:dilation, left:left + span:dilation]


def conv_walk(x: np.ndarray, kernel: np.ndarray, stride: int = 1, padding: int = 0, dilation: int = 1,
              bias: float = 0.0) -> ConvWalk:
    """Slide a square kernel over a 2D matrix the way F.conv2d does (cross-correlation: the kernel is not flipped)
    and keep every step, so a page can animate window, products and dot product."""
    x, kernel = np.asarray(x), np.asarray(kernel)
    if x.ndim != 2 or kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1]:
        raise ValueError("the input must be a matrix and the kernel a square matrix")
    f = kernel.shape[0]
    padded = padded_input(x, padding)
    steps = []
    for out_row, out_col, top, left in window_positions(*x.shape, f, stride, padding, dilation):
        window = window_at(padded, top, left, f, dilation)
        products = window * kernel
        value = products.sum() + bias
        steps.append(ConvStep(out_row, out_col, top, left, window, products, value.item()))
    shape = (steps[-1].out_row + 1, steps[-1].out_col + 1)
    output = np.array([s.value for s in steps]).reshape(shape)
    if np.issubdtype(x.dtype, np.integer) and np.issubdtype(kernel.dtype, np.integer) and float(bias).is_integer():
        output = output.astype(np.int64)
    return ConvWalk(padded, steps, output)


@dataclass(frozen=True)
class ConvCost:
    """One conv layer's learned numbers and multiplications."""

    label: str
    params: int
    multiplies: int


def conv_layer_cost(label: str, h: int, w: int, c_in: int, c_out: int, f: int, bias: bool = False) -> ConvCost:
    """Cost of a 'same'-padded stride-1 conv (the output keeps H x W), the setting of the lecture's 1x1 example.
    The lecture counts weights only, hence bias=False by default."""
    return ConvCost(label, conv_params(f, c_in, c_out, bias), conv_multiplies((h, w), f, c_in, c_out))


def bottleneck_comparison(h: int, w: int, c_in: int, c_out: int, f: int, c_mid: int, bias: bool = False
                          ) -> dict[str, list[ConvCost]]:
    """The lecture's 1x1 dimensionality reduction: an F x F conv c_in -> c_out applied directly, versus a 1x1 conv
    c_in -> c_mid followed by the F x F conv c_mid -> c_out. For 28x28x192 -> 32 with 5x5 and c_mid 16: 153,600
    params and 120,422,400 multiplies directly vs 15,872 and 12,443,648 through the bottleneck."""
    return {
        "direct": [conv_layer_cost(f"{f}x{f} conv {c_in} -> {c_out}", h, w, c_in, c_out, f, bias)],
        "bottleneck": [conv_layer_cost(f"1x1 conv {c_in} -> {c_mid}", h, w, c_in, c_mid, 1, bias),
                       conv_layer_cost(f"{f}x{f} conv {c_mid} -> {c_out}", h, w, c_mid, c_out, f, bias)],
    }


def total_cost(layers: Sequence[ConvCost]) -> tuple[int, int]:
    """(params, multiplies) summed over layers."""
    return sum(c.params for c in layers), sum(c.multiplies for c in layers)
