"""Figures of the function labs: an activation with its derivative and saturation regions, the three losses'
fitted lines through data with outliers, the gradient a sigmoid output gets from cross-entropy vs MSE, and softmax
probabilities under a temperature. Pure plotly, no streamlit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from nnlib.labs.activation_lab import ActivationCurve
from nnlib.labs.loss_lab import LineData
from ui.labs.common import FONT

LOSS_COLORS = {"mse": "#d62728", "l1": "#1f77b4", "huber": "#2ca02c"}
LEGEND = dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left")


def activation_figure(curve: ActivationCurve) -> go.Figure:
    """f and f' on one chart, the regions where |f'| < 5% of its maximum shaded: a unit there barely learns."""
    fig = go.Figure()
    for a, b in curve.saturated:
        fig.add_vrect(x0=a, x1=b, fillcolor="#f2c14e", opacity=0.25, line_width=0)
    if curve.saturated:  # one legend entry for all shaded regions
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="saturated: |f'| < 5% of max",
                                 marker=dict(size=12, symbol="square", color="#f2c14e", opacity=0.5)))
    fig.add_trace(go.Scatter(x=curve.x, y=curve.value, name=f"f(x) = {curve.label}", line=dict(width=3)))
    fig.add_trace(go.Scatter(x=curve.x, y=curve.derivative, name="f'(x) (autograd)", line=dict(width=2, dash="dash")))
    fig.update_xaxes(title="x", zeroline=True)
    fig.update_yaxes(zeroline=True)
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), font=FONT, legend=LEGEND,
                      hovermode="x unified")
    return fig


GRID_COLUMNS = 4  # small multiples per row: legible at 1024 px


def all_activations_figure(curves: Sequence[ActivationCurve]) -> go.Figure:
    """Every registry activation at a glance: f (solid) and f' (dashed) on one small panel each, so the shapes
    can be compared side by side (the big chart above shades the chosen one's saturation)."""
    rows = -(-len(curves) // GRID_COLUMNS)
    fig = make_subplots(rows, GRID_COLUMNS, subplot_titles=[c.label for c in curves], horizontal_spacing=0.05,
                        vertical_spacing=0.4 / rows)
    for i, curve in enumerate(curves):
        row, col = i // GRID_COLUMNS + 1, i % GRID_COLUMNS + 1
        fig.add_trace(go.Scatter(x=curve.x, y=curve.value, name="f", line=dict(color="#1f77b4", width=2),
                                 showlegend=i == 0), row, col)
        fig.add_trace(go.Scatter(x=curve.x, y=curve.derivative, name="f'", showlegend=i == 0,
                                 line=dict(color="#d62728", width=1.5, dash="dash")), row, col)
    fig.update_layout(height=80 + 220 * rows, margin=dict(l=10, r=10, t=60, b=10), font=dict(size=11),
                      legend=LEGEND)
    return fig


def line_fit_figure(data: LineData, fits: Mapping[str, tuple[float, float]], slope: float, intercept: float
                    ) -> go.Figure:
    """The points (outliers in red), the true line and each loss's best line: MSE tilts towards the outliers."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=data.x[~data.outlier], y=data.y[~data.outlier], mode="markers", name="data",
                             marker=dict(color="#444", size=7)))
    if data.outlier.any():
        fig.add_trace(go.Scatter(x=data.x[data.outlier], y=data.y[data.outlier], mode="markers", name="outliers",
                                 marker=dict(color="crimson", size=9, symbol="x")))
    ends = np.array([0.0, 4.0])
    fig.add_trace(go.Scatter(x=ends, y=slope * ends + intercept, mode="lines", name="true line",
                             line=dict(color="#999", dash="dot", width=2)))
    for name, (a, b) in fits.items():
        fig.add_trace(go.Scatter(x=ends, y=a * ends + b, mode="lines", name=f"{name}: y = {a:.2f} x + {b:.2f}",
                                 line=dict(color=LOSS_COLORS.get(name), width=3)))
    fig.update_xaxes(title="x")
    fig.update_yaxes(title="y")
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), font=FONT, legend=LEGEND)
    return fig


def gradient_figure(z: np.ndarray, grads: Mapping[str, np.ndarray]) -> go.Figure:
    """|dL/dz| of cross-entropy and MSE for target 1 against the logit z (log y): at a confident wrong answer
    (z << 0, shaded) cross-entropy still pushes with about 1 while MSE's gradient vanishes."""
    fig = go.Figure()
    fig.add_vrect(x0=float(z.min()), x1=-2.0, fillcolor="crimson", opacity=0.08, line_width=0,
                  annotation_text="confident and wrong", annotation_position="bottom left")
    for name, label in (("cross_entropy", "cross-entropy: p - y"), ("mse", "MSE: 2 (p - y) p (1 - p)")):
        fig.add_trace(go.Scatter(x=z, y=np.abs(grads[name]) + 1e-300, name=f"|dL/dz| {label}", line=dict(width=3)))
    fig.update_yaxes(type="log", title="|dL/dz| (log)", exponentformat="power")
    fig.update_xaxes(title="logit z (target y = 1, p = sigmoid(z))")
    fig.update_layout(height=380, margin=dict(l=10, r=10, t=40, b=10), font=FONT, legend=LEGEND)
    return fig


def softmax_figure(names: list[str], logits: np.ndarray, probabilities: np.ndarray, temperature: float,
                   entropy: float, max_entropy: float) -> go.Figure:
    """Softmax(z / T) as bars, the logits in the hover and the entropy as a fraction of ln K in the title."""
    fig = go.Figure(go.Bar(x=names, y=probabilities, text=[f"{p:.3f}" for p in probabilities],
                           textposition="outside", customdata=logits,
                           hovertemplate="%{x}: logit %{customdata:.2f}, p = %{y:.4f}<extra></extra>",
                           marker_color="#1f77b4"))
    fig.update_yaxes(range=[0, 1.12], title="probability")
    fig.update_layout(height=360, margin=dict(l=10, r=10, t=50, b=10), font=FONT,
                      title=dict(text=f"T = {temperature:g}: entropy / ln K = {entropy / max_entropy:.3f}"))
    return fig
