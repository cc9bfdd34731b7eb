"""Shape, parameter and multiply-add arithmetic of a CNN spec, in plain Python (no torch).

This is the lecture's arithmetic -- output size (W - F + 2P) / S + 1 and parameters F*F*D_in*K + K -- used both to
reject specs whose maps collapse before anything is built and to print the model summary. `nnlib.models.cnn`
builds exactly this architecture; tests check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LayerInfo:
    name: str
    out_shape: tuple[int, ...]
    params: int
    macs: int


class ShapeError(ValueError):
    """A spec that cannot be built; the message names the layer and the reason."""


def conv_out(w: int, f: int, p: int, s: int) -> int:
    return (w - f + 2 * p) // s + 1


def _conv(name: str, c: int, h: int, w: int, k: int, f: int, s: int, p: int, groups: int = 1) -> LayerInfo:
    if h + 2 * p < f or w + 2 * p < f:
        raise ShapeError(f"{name}: input {h}x{w} with padding {p} is smaller than the {f}x{f} filter; "
                         f"output size (W - F + 2P) / S + 1 = ({w} - {f} + 2*{p}) / {s} + 1 would be < 1. "
                         "Use more padding, a smaller kernel or fewer pooling layers before it.")
    ho, wo = conv_out(h, f, p, s), conv_out(w, f, p, s)
    params = f * f * (c // groups) * k + k
    return LayerInfo(name, (k, ho, wo), params, f * f * (c // groups) * k * ho * wo)


def cnn_layers(spec: Any, input_shape: tuple[int, int, int], n_outputs: int,
               act_widen: int = 1) -> list[LayerInfo]:
    """Walk the spec and return one LayerInfo per parametrised/shape-changing layer; raise ShapeError."""
    c, h, w = input_shape
    out: list[LayerInfo] = []
    for i, b in enumerate(spec.blocks, start=1):
        tag = f"block {i} ({b.kind})"
        c_in = c
        if b.kind == "conv":
            li = _conv(f"{tag} conv {b.kernel}x{b.kernel}", c, h, w, b.out_channels, b.kernel, b.stride, b.padding)
            out.append(li)
        elif b.kind == "separable":
            dw = _conv(f"{tag} depthwise {b.kernel}x{b.kernel}", c, h, w, c, b.kernel, b.stride, b.padding, groups=c)
            out.append(dw)
            _, hh, ww = dw.out_shape
            li = _conv(f"{tag} pointwise 1x1", c, hh, ww, b.out_channels, 1, 1, 0)
            out.append(li)
        elif b.kind == "residual":
            if b.kernel % 2 == 0 or b.padding != b.kernel // 2:
                raise ShapeError(f"{tag}: a residual block needs an odd kernel and padding = kernel // 2 "
                                 f"(got kernel {b.kernel}, padding {b.padding}) so the skip path has the same size")
            a = _conv(f"{tag} conv1 {b.kernel}x{b.kernel}", c, h, w, b.out_channels, b.kernel, b.stride, b.padding)
            _, hh, ww = a.out_shape
            bb = _conv(f"{tag} conv2 {b.kernel}x{b.kernel}", b.out_channels, hh, ww, b.out_channels, b.kernel, 1,
                       b.padding)
            out += [a, bb]
            if c != b.out_channels or b.stride != 1:
                out.append(_conv(f"{tag} skip 1x1", c, h, w, b.out_channels, 1, b.stride, 0))
            li = bb
        else:
            raise ShapeError(f"{tag}: unknown block kind {b.kind!r}")
        c, h, w = li.out_shape
        if b.batch_norm:
            bn_channels = {"conv": c, "separable": c_in + c, "residual": 2 * c}[b.kind]
            out.append(LayerInfo(f"{tag} batch norm", (c, h, w), 2 * bn_channels, 0))
        if b.pool != "none":
            if h < b.pool_size or w < b.pool_size:
                raise ShapeError(f"{tag} {b.pool} pool {b.pool_size}x{b.pool_size}: its input is only {h}x{w}; "
                                 "remove this pooling or a stride/pool before it")
            h, w = conv_out(h, b.pool_size, 0, b.pool_stride), conv_out(w, b.pool_size, 0, b.pool_stride)
            out.append(LayerInfo(f"{tag} {b.pool} pool {b.pool_size}x{b.pool_size}", (c, h, w), 0, 0))
    if spec.head == "flatten":
        n = c * h * w
        out.append(LayerInfo("flatten", (n,), 0, 0))
    else:
        n = c
        out.append(LayerInfo(f"{spec.head.replace('_', ' ')} pool", (n,), 0, 0))
    for j, width in enumerate(spec.dense, start=1):
        out.append(LayerInfo(f"dense {j}", (width,), n * width * act_widen + width * act_widen,
                             n * width * act_widen))
        n = width
    out.append(LayerInfo("output", (n_outputs,), n * n_outputs + n_outputs, n * n_outputs))
    return out


def totals(layers: list[LayerInfo]) -> tuple[int, int]:
    """(parameters, multiply-adds per example)."""
    return sum(li.params for li in layers), sum(li.macs for li in layers)
