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
    kind: str = ""  # conv | norm | activation | pool | head | dense | output (maps rows to modules)
    formula: str = ""  # the parameter count spelled out, e.g. "3 x 3 x 1 x 8 + 8"
    size_formula: str = ""  # the output size spelled out, e.g. "(28 - 3 + 2*1) / 1 + 1 = 28"


class ShapeError(ValueError):
    """A spec that cannot be built; the message names the layer and the reason."""


def conv_out(w: int, f: int, p: int, s: int) -> int:
    return (w - f + 2 * p) // s + 1


def _size_formula(w: int, f: int, p: int, s: int) -> str:
    return f"({w} - {f} + 2*{p}) / {s} + 1 = {conv_out(w, f, p, s)}"


def _conv(name: str, c: int, h: int, w: int, k: int, f: int, s: int, p: int, groups: int = 1) -> LayerInfo:
    if h + 2 * p < f or w + 2 * p < f:
        raise ShapeError(f"{name}: input {h}x{w} with padding {p} is smaller than the {f}x{f} filter; "
                         f"output size (W - F + 2P) / S + 1 = ({w} - {f} + 2*{p}) / {s} + 1 would be < 1. "
                         "Use more padding, a smaller kernel or fewer pooling layers before it.")
    ho, wo = conv_out(h, f, p, s), conv_out(w, f, p, s)
    d_in = c // groups
    params = f * f * d_in * k + k
    return LayerInfo(name, (k, ho, wo), params, f * f * d_in * k * ho * wo, "conv",
                     f"{f} x {f} x {d_in} x {k} + {k}", _size_formula(w, f, p, s))


def _prelu(name: str, shape: tuple[int, ...], units: int) -> LayerInfo:
    """PReLU learns one slope per channel/neuron; other activations have no parameters and get no row."""
    return LayerInfo(f"{name} prelu", shape, units, 0, "activation", f"1 x {units} (slopes)")


def cnn_layers(spec: Any, input_shape: tuple[int, int, int], n_outputs: int,
               act_widen: int = 1, activation: str | None = None) -> list[LayerInfo]:
    """Walk the spec and return one LayerInfo per parametrised/shape-changing layer; raise ShapeError.

    `activation` (the model's) resolves each block's '' activation; when given, PReLU slopes get rows of
    their own and maxout in a conv block is rejected, so the totals equal the built module's exactly.
    """
    c, h, w = input_shape
    out: list[LayerInfo] = []
    for i, b in enumerate(spec.blocks, start=1):
        tag = f"block {i} ({b.kind})"
        act = (b.activation or activation) if activation is not None else None
        if act == "maxout":
            raise ShapeError(f"{tag}: maxout is only available in dense layers; pick another activation")
        c_in = c
        if b.kind == "conv":
            li = _conv(f"{tag} conv {b.kernel}x{b.kernel}", c, h, w, b.out_channels, b.kernel, b.stride, b.padding)
            out.append(li)
            act_units = b.out_channels
        elif b.kind == "separable":
            dw = _conv(f"{tag} depthwise {b.kernel}x{b.kernel}", c, h, w, c, b.kernel, b.stride, b.padding, groups=c)
            out.append(dw)
            _, hh, ww = dw.out_shape
            li = _conv(f"{tag} pointwise 1x1", c, hh, ww, b.out_channels, 1, 1, 0)
            out.append(li)
            act_units = c_in + b.out_channels
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
            act_units = 2 * b.out_channels
        else:
            raise ShapeError(f"{tag}: unknown block kind {b.kind!r}")
        c, h, w = li.out_shape
        if b.norm != "none":
            bn_channels = {"conv": c, "separable": c_in + c, "residual": 2 * c}[b.kind]
            bn_formula = {"conv": f"2 x {c}", "separable": f"2 x ({c_in} + {c})",
                          "residual": f"2 x 2 x {c}"}[b.kind]
            out.append(LayerInfo(f"{tag} {b.norm} norm", (c, h, w), 2 * bn_channels, 0, "norm",
                                 f"{bn_formula} (gamma, beta)"))
        if act == "prelu":
            out.append(_prelu(tag, (c, h, w), act_units))
        if b.pool != "none":
            if h < b.pool_size or w < b.pool_size:
                raise ShapeError(f"{tag} {b.pool} pool {b.pool_size}x{b.pool_size}: its input is only {h}x{w}; "
                                 "remove this pooling or a stride/pool before it")
            size = _size_formula(w, b.pool_size, 0, b.pool_stride)
            h, w = conv_out(h, b.pool_size, 0, b.pool_stride), conv_out(w, b.pool_size, 0, b.pool_stride)
            out.append(LayerInfo(f"{tag} {b.pool} pool {b.pool_size}x{b.pool_size}", (c, h, w), 0, 0, "pool",
                                 "", size))
    if spec.head == "flatten":
        n = c * h * w
        out.append(LayerInfo("flatten", (n,), 0, 0, "head", "", f"{c} x {h} x {w} = {n}"))
    else:
        n = c
        out.append(LayerInfo(f"{spec.head.replace('_', ' ')} pool", (n,), 0, 0, "head", "",
                             f"one value per channel: {n}"))
    for j, width in enumerate(spec.dense, start=1):
        k = act_widen
        formula = f"{n} x {width} + {width}" if k == 1 else f"({n} x {width} + {width}) x {k}"
        out.append(LayerInfo(f"dense {j}", (width,), n * width * k + width * k, n * width * k, "dense",
                             formula))
        if activation == "prelu":
            out.append(_prelu(f"dense {j}", (width,), width))
        n = width
    out.append(LayerInfo("output", (n_outputs,), n * n_outputs + n_outputs, n * n_outputs, "output",
                         f"{n} x {n_outputs} + {n_outputs}"))
    return out


def totals(layers: list[LayerInfo]) -> tuple[int, int]:
    """(parameters, multiply-adds per example)."""
    return sum(li.params for li in layers), sum(li.macs for li in layers)
