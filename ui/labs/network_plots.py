"""Figures of the network labs: activations (or gradients) through depth per initializer, the architecture zoo's
parameters vs multiply-adds, and dropout's mask, scaling and average over passes. Pure plotly, no streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnlib.labs.dropout_lab import DropoutPass
from nnlib.labs.init_depth import DepthRun
from nnlib.words import count
from ui.labs.common import FONT, add_player, matrix_axes, matrix_heatmap, matrix_text, sample_indices

TINY = 1e-12  # a floor for log axes when nothing above it is positive
HIST_COLUMNS = 3  # histogram panels per row: wider panels keep their value axis legible at 1024 px
LEGEND = dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left")


def init_std_figure(runs: Sequence[DepthRun], gradients: bool = False) -> go.Figure:
    """Std of each hidden layer's activations (or their gradients) per initializer, log y: small weights shrink
    to zero layer by layer, large ones saturate, Xavier (tanh) and He (ReLU) keep a steady spread. A std of
    exactly 0 (all-zeros weights) has no place on a log axis: it is drawn on a dotted floor line labelled "std = 0",
    two decades under the smallest real std, and its hover says 0 -- at 1e-12 it read as a number the text denied."""
    fig = go.Figure()
    values = {r.initializer: np.array([s.grad_std if gradients else s.std for s in r.layers]) for r in runs}
    positive = np.concatenate([v[v > 0] for v in values.values()] or [np.zeros(0)])
    floor = 10.0 ** (np.floor(np.log10(positive.min())) - 2) if positive.size else TINY
    for run in runs:
        stds = values[run.initializer]
        name = run.initializer.replace("_", " ") + (" (std 0: on the floor)" if np.all(stds == 0) else "")
        fig.add_trace(go.Scatter(x=[s.layer for s in run.layers], y=np.where(stds > 0, stds, floor),
                                 customdata=stds, mode="lines+markers", name=name,
                                 hovertemplate="layer %{x}: std %{customdata:.3g}<extra>" + name + "</extra>"))
    if np.any([np.any(v == 0) for v in values.values()]):
        fig.add_hline(y=floor, line=dict(dash="dot", color="#888", width=1))
        # an annotation's y on a log axis is log10 of the value (a shape's is the value itself)
        fig.add_annotation(text="std = 0", x=1, xref="paper", xanchor="right", y=np.log10(floor), yanchor="bottom",
                           showarrow=False, font=dict(size=11, color="#666"))
    what = "dL/da" if gradients else "activation a"
    fig.update_yaxes(type="log", title=f"std of {what} (log)", exponentformat="power")
    fig.update_xaxes(title="hidden layer", dtick=1)
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), font=FONT, legend=LEGEND)
    return fig


def init_hist_figure(runs: Sequence[DepthRun], gradients: bool = False) -> go.Figure:
    """One panel per initializer: each column a layer's histogram (share of values per bin, colour), so a
    distribution that collapses to 0 or piles up at +-1 shows as a band narrowing or splitting with depth."""
    titles = [r.initializer.replace("_", " ") for r in runs]
    n_cols = min(len(runs), HIST_COLUMNS)
    n_rows = -(-len(runs) // n_cols)
    fig = make_subplots(n_rows, n_cols, subplot_titles=titles, horizontal_spacing=0.12, vertical_spacing=0.16)
    for i, run in enumerate(runs):
        row, col = i // n_cols + 1, i % n_cols + 1
        edges = run.grad_edges if gradients else run.edges
        centers = (edges[:-1] + edges[1:]) / 2
        counts = np.array([s.grad_hist if gradients else s.hist for s in run.layers], dtype=np.float64)
        share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        fig.add_trace(go.Heatmap(z=share.T, x=[s.layer for s in run.layers], y=centers, colorscale="Viridis",
                                 zmin=0, zmax=0.5, showscale=i == 0, colorbar=dict(title="share", thickness=12),
                                 hovertemplate="layer %{x}, value %{y:.3g}: %{z:.1%}<extra></extra>"), row, col)
        fig.update_xaxes(title_text="layer", dtick=2, row=row, col=col)
        fig.update_yaxes(tickformat=".2g", nticks=5, row=row, col=col)
    fig.update_layout(height=60 + 270 * n_rows, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=12))
    return fig


def zoo_figure(summary: Sequence[Mapping[str, object]]) -> go.Figure:
    """Parameters vs multiply-adds of each net (log-log), measured (dots) next to the quoted figures (crosses)."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[r["params"] for r in summary], y=[r["macs"] for r in summary],
                             mode="markers+text", text=[r["label"] for r in summary], textposition="top center",
                             name="measured", marker=dict(size=12, color="#1f77b4")))
    fig.add_trace(go.Scatter(x=[r["quoted_params"] for r in summary], y=[r["quoted_macs"] for r in summary],
                             mode="markers", name="quoted", marker=dict(size=10, symbol="x", color="crimson")))
    params = np.log10([float(r["params"]) for r in summary] + [float(r["quoted_params"]) for r in summary])
    fig.update_xaxes(type="log", title="parameters (log)", range=[params.min() - 0.25, params.max() + 0.25])
    fig.update_yaxes(type="log", title="multiply-adds per 224x224 image (log)")
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=40, b=10), font=FONT, legend=LEGEND)
    return fig


def _cells(z: np.ndarray, colorscale: object, lo: float, hi: float) -> go.Heatmap:
    return matrix_heatmap(z, colorscale, lo, hi, text=matrix_text(z, 1))


def dropout_figure(x: np.ndarray, result: DropoutPass) -> go.Figure:
    """Input, mask (dropped cells dark), the training output with the survivors scaled by 1/(1-p), and the
    evaluation output (dropout off: the input unchanged), as a 2 x 2 grid so every value stays legible."""
    lim = float(np.abs(result.train_output).max()) or 1.0
    titles = ("input x", f"mask (p = {result.p:g}): dropped cells dark", f"train: x * mask * {result.scale:.3g}",
              "eval: x (dropout off)")
    fig = make_subplots(2, 2, subplot_titles=titles, horizontal_spacing=0.05, vertical_spacing=0.12)
    fig.add_trace(_cells(x, "RdBu", -lim, lim), 1, 1)
    fig.add_trace(_cells(result.mask, [[0, "#222"], [1, "#e8f0e8"]], 0, 1), 1, 2)
    fig.add_trace(_cells(result.train_output, "RdBu", -lim, lim), 2, 1)
    fig.add_trace(_cells(result.eval_output, "RdBu", -lim, lim), 2, 2)
    matrix_axes(fig, 4)
    fig.update_layout(height=460, margin=dict(l=10, r=10, t=40, b=10), font=dict(size=12))
    return fig


def dropout_mean_figure(x: np.ndarray, means: np.ndarray, most_frames: int = 40) -> go.Figure:
    """The running mean of n training-mode passes next to x; the pass slider / Play show it converge to x."""
    lim = float(np.abs(x).max()) * 1.5 or 1.0
    shown = sample_indices(len(means), most_frames)
    fig = make_subplots(1, 2, subplot_titles=("mean of the passes so far", "x (the eval output)"),
                        horizontal_spacing=0.05)

    def gap(k: int) -> str:
        return f"after {count(k + 1, 'pass', 'passes')}: mean |mean - x| = {float(np.abs(means[k] - x).mean()):.3f}"

    fig.add_trace(_cells(x, "RdBu", -lim, lim), 1, 2)
    fig.add_trace(_cells(means[shown[0]], "RdBu", -lim, lim), 1, 1)
    fig.frames = [go.Frame(name=str(k + 1), data=[_cells(means[k], "RdBu", -lim, lim)], traces=[1],
                           layout=dict(title=dict(text=gap(k)))) for k in shown]
    add_player(fig, [str(k + 1) for k in shown], prefix="passes ", duration=150)
    matrix_axes(fig, 2)
    fig.update_layout(height=340, margin=dict(l=10, r=10, t=60, b=10), font=FONT, title=dict(text=gap(shown[0])))
    return fig


def dropout_gap_figure(x: np.ndarray, means: np.ndarray) -> go.Figure:
    """Mean absolute gap between the running mean and x against the number of passes (log-log: ~ 1/sqrt(n))."""
    n = np.arange(1, len(means) + 1)
    gaps = np.abs(means - x).reshape(len(means), -1).mean(axis=1)
    fig = go.Figure(go.Scatter(x=n, y=np.maximum(gaps, TINY), mode="lines", name="mean |mean - x|"))
    fig.update_xaxes(type="log", title="passes averaged (log)")
    fig.update_yaxes(type="log", title="mean |mean - x| (log)")
    fig.update_layout(height=300, margin=dict(l=10, r=10, t=30, b=10), font=FONT)
    return fig
