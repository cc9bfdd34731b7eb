"""Figures of the matrix labs: the kernel sliding over an input (convolution), pooling windows, and which
elements of an N x C x H x W tensor share a mean and variance (normalization). Pure plotly, no streamlit."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnlib.labs.conv import ConvWalk
from nnlib.labs.pool_norm import Normalized, PoolStep
from ui.labs.common import FONT, MARGIN, add_player, matrix_axes, matrix_heatmap, matrix_text, outline

STEP_MS = 700


def _partial(shape: tuple[int, int], values: list[float]) -> np.ndarray:
    """The output matrix with the first len(values) cells (reading order) filled and the rest NaN."""
    out = np.full(shape[0] * shape[1], np.nan)
    out[:len(values)] = values
    return out.reshape(shape)


def _blank(shape: tuple[int, int]) -> go.Heatmap:
    """Light grey cells where the output will be: the cells not computed yet (NaN, transparent) show it."""
    return matrix_heatmap(np.zeros(shape), colorscale=[[0, "#eceff3"], [1, "#eceff3"]], zmin=0, zmax=1,
                          text=[[""] * shape[1] for _ in range(shape[0])], name="not yet")


def _window_cells(top: int, left: int, f: int, dilation: int) -> tuple[list[int], list[int]]:
    """Column and row of every cell a (dilated) F x F kernel at (top, left) multiplies."""
    rows = [top + dilation * i for i in range(f) for _ in range(f)]
    cols = [left + dilation * j for _ in range(f) for j in range(f)]
    return cols, rows


def conv_walk_figure(walk: ConvWalk, kernel: np.ndarray, padding: int = 0, dilation: int = 1) -> go.Figure:
    """Input (padded) with the kernel's window outlined, the kernel, window x kernel, and the output filling up
    one dot product per step; the slider and Play button walk the steps in the browser."""
    kernel = np.asarray(kernel)
    f, span = kernel.shape[0], dilation * (kernel.shape[0] - 1) + 1
    out_shape = walk.output.shape
    values = [s.value for s in walk.steps]
    fig = make_subplots(1, 4, column_widths=[walk.padded.shape[1], f, f, out_shape[1]], horizontal_spacing=0.04,
                        subplot_titles=("input (zero padding grey)", "kernel", "window × kernel", "output"))
    pad = padding
    shade = np.zeros(walk.padded.shape)
    if pad:
        shade[:pad, :], shade[-pad:, :], shade[:, :pad], shade[:, -pad:] = 1, 1, 1, 1
    fig.add_trace(matrix_heatmap(shade, colorscale=[[0, "#f4f7fb"], [1, "#d0d0d0"]], zmin=0, zmax=1,
                                 text=matrix_text(walk.padded), name="input"), 1, 1)
    fig.add_trace(matrix_heatmap(kernel, colorscale="RdBu", zmin=-np.abs(kernel).max() or -1,
                                 zmax=np.abs(kernel).max() or 1, name="kernel"), 1, 2)

    fig.add_trace(_blank(out_shape), 1, 4)

    def moving(i: int) -> list[go.BaseTraceType]:
        s = walk.steps[i]
        xs, ys = outline(s.top, s.left, span, span)
        cx, cy = _window_cells(s.top, s.left, f, dilation) if dilation > 1 else ([], [])
        lim = float(np.abs(s.products).max()) or 1.0
        return [go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="crimson", width=4), hoverinfo="skip",
                           showlegend=False),
                go.Scatter(x=cx, y=cy, mode="markers", hoverinfo="skip", showlegend=False,
                           marker=dict(size=28, color="rgba(220,20,60,0.6)", symbol="circle-open",
                                       line=dict(width=2))),
                matrix_heatmap(s.products, colorscale="RdBu", zmin=-lim, zmax=lim, name="products"),
                matrix_heatmap(_partial(out_shape, values[:i + 1]), colorscale="Greens",
                               zmin=float(min(values)), zmax=float(max(values)), name="output")]

    def title(i: int) -> str:
        s = walk.steps[i]
        return (f"step {i + 1} of {len(walk.steps)}: sum of window × kernel = {s.value:g} "
                f"→ output[{s.out_row}, {s.out_col}]")

    first = len(fig.data)  # the frames replace the traces added from here on
    for trace, col in zip(moving(0), (1, 1, 3, 4)):
        fig.add_trace(trace, 1, col)
    fig.frames = [go.Frame(name=str(i + 1), data=moving(i), traces=list(range(first, len(fig.data))),
                           layout=dict(title=dict(text=title(i)))) for i in range(len(walk.steps))]
    add_player(fig, [str(i + 1) for i in range(len(walk.steps))], duration=STEP_MS)
    matrix_axes(fig, 4)
    fig.update_layout(title=dict(text=title(0), font=FONT), height=380 + 12 * walk.padded.shape[0], margin=MARGIN,
                      showlegend=False)
    return fig


def pool_walk_figure(x: np.ndarray, steps: list[PoolStep], output: np.ndarray, kind: str, size: int) -> go.Figure:
    """The input with each pooling window outlined and the output filling up, animated step by step."""
    values = [s.value for s in steps]
    fig = make_subplots(1, 2, column_widths=[x.shape[1], output.shape[1]], horizontal_spacing=0.06,
                        subplot_titles=("input", f"{kind} pooling output"))
    fig.add_trace(matrix_heatmap(x, colorscale="Blues", name="input"), 1, 1)
    fig.add_trace(_blank(output.shape), 1, 2)

    def moving(i: int) -> list[go.BaseTraceType]:
        s = steps[i]
        xs, ys = outline(s.top, s.left, size, size)
        return [go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="crimson", width=4), hoverinfo="skip",
                           showlegend=False),
                matrix_heatmap(_partial(output.shape, values[:i + 1]), colorscale="Oranges",
                               zmin=float(min(values)), zmax=float(max(values)), name="output")]

    def title(i: int) -> str:
        return f"window {i + 1} of {len(steps)}: {kind} = {steps[i].value:g} → output[{steps[i].out_row}, " \
               f"{steps[i].out_col}]"

    first = len(fig.data)
    for trace, col in zip(moving(0), (1, 2)):
        fig.add_trace(trace, 1, col)
    fig.frames = [go.Frame(name=str(i + 1), data=moving(i), traces=list(range(first, len(fig.data))),
                           layout=dict(title=dict(text=title(i)))) for i in range(len(steps))]
    add_player(fig, [str(i + 1) for i in range(len(steps))], prefix="window ", duration=STEP_MS)
    matrix_axes(fig, 2)
    fig.update_layout(title=dict(text=title(0), font=FONT), height=360 + 20 * x.shape[0], margin=MARGIN)
    return fig


def pool_outputs_figure(outputs: Mapping[str, np.ndarray]) -> go.Figure:
    """The same input pooled every way, side by side: what each pool keeps of a window."""
    fig = make_subplots(1, len(outputs), subplot_titles=[f"{k} pooling" for k in outputs], horizontal_spacing=0.05)
    for i, out in enumerate(outputs.values()):
        fig.add_trace(matrix_heatmap(out, colorscale="Oranges"), 1, i + 1)
    matrix_axes(fig, len(outputs))
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=40, b=10))
    return fig


NORM_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
               "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94"]


def tensor_layout(t: np.ndarray) -> np.ndarray:
    """An N x C x H x W tensor as one matrix: example n is a band of rows, channel c a band of columns, with a
    NaN gap between maps so each H x W map stands apart."""
    n, c, h, w = t.shape
    out = np.full((n * (h + 1) - 1, c * (w + 1) - 1), np.nan)
    for i in range(n):
        for j in range(c):
            out[i * (h + 1):i * (h + 1) + h, j * (w + 1):j * (w + 1) + w] = t[i, j]
    return out


def norm_figure(x: np.ndarray, result: Normalized) -> go.Figure:
    """Every element coloured by the statistics group it belongs to (same colour = one shared mean and variance),
    its value written in the cell and the normalized value in the hover."""
    n, c, h, w = x.shape
    ids = tensor_layout(result.group_ids.astype(np.float64))
    k = int(result.group_ids.max()) + 1
    colors = [NORM_COLORS[i % len(NORM_COLORS)] for i in range(k)]
    scale = [[0.0, colors[0]], [1.0, colors[0]]] if k == 1 else \
        [[pos, col] for i, col in enumerate(colors) for pos in (i / k, (i + 1) / k)]
    values, normalized = tensor_layout(x), tensor_layout(result.output)
    hover = [[f"x = {fmt(a)}, normalized = {fmt(b)}, group {fmt(g)}" for a, b, g in zip(r1, r2, r3)]
             for r1, r2, r3 in zip(values, normalized, ids)]
    fig = go.Figure(go.Heatmap(z=ids, text=[[fmt(v, 1) for v in row] for row in values], texttemplate="%{text}",
                               customdata=hover, hovertemplate="%{customdata}<extra></extra>", colorscale=scale,
                               zmin=-0.5, zmax=k - 0.5, showscale=False, xgap=1, ygap=1,
                               textfont=dict(size=13, color="white")))
    fig.update_xaxes(tickvals=[j * (w + 1) + (w - 1) / 2 for j in range(c)],
                     ticktext=[f"channel {j + 1}" for j in range(c)], showgrid=False, zeroline=False, side="top")
    fig.update_yaxes(tickvals=[i * (h + 1) + (h - 1) / 2 for i in range(n)],
                     ticktext=[f"example {i + 1}" for i in range(n)], autorange="reversed", showgrid=False,
                     zeroline=False)
    fig.update_layout(height=70 + 40 * ids.shape[0], margin=dict(l=10, r=10, t=30, b=10))
    return fig


def fmt(v: float, decimals: int = 2) -> str:
    return "" if v != v else f"{v:.{decimals}f}"
