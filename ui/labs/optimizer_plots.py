"""The optimizer race drawn over a loss surface's contours, animated step by step in the browser (plotly frames
reveal each path's points 0..k), plus the "who got there first" table. Pure plotly, no streamlit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from nnlib.labs.optimizer_paths import Path
from nnlib.labs.surfaces import Surface
from ui.labs.common import FONT, add_player, sample_indices

MAX_FRAMES = 60
# One colour per optimizer for every chart of the optimizers page (the surface race, its loss curves and the digits
# race below, which get theirs through overlay_figure's `colors`): a walkthrough saw sgd red in one, orange in another.
COLORS = {"sgd": "#d62728", "momentum": "#1f77b4", "nesterov": "#17becf", "adagrad": "#9467bd",
          "rmsprop": "#ff7f0e", "adam": "#2ca02c"}
REACH_TOL = 0.05


def log_height(z: np.ndarray) -> np.ndarray:
    """log10 of the height above the surface's lowest point: evenly spaced contours of this are log-spaced in f,
    so the flat floor of a valley gets as many lines as its steep walls."""
    return np.log10(z - float(z.min()) + 1e-3)


def race_figure(surface: Surface, grid: tuple[np.ndarray, np.ndarray, np.ndarray], paths: Sequence[Path]
                ) -> go.Figure:
    """Contours of f, the minima, and one line per optimizer; the step slider / Play reveal the paths."""
    xs, ys, z = grid
    fig = go.Figure(go.Contour(x=xs, y=ys, z=log_height(z), ncontours=25, colorscale="Blues", reversescale=True,
                               opacity=0.55, showscale=False, contours=dict(coloring="fill"), line=dict(width=0.5),
                               customdata=z, hovertemplate="f(%{x:.2f}, %{y:.2f}) = %{customdata:.4g}<extra></extra>",
                               showlegend=False))
    n_static = 1
    mx, my = zip(*surface.minima)
    fig.add_trace(go.Scatter(x=mx, y=my, mode="markers", name="minimum", marker=dict(symbol="star", size=16,
                                                                                     color="gold",
                                                                                     line=dict(width=1))))
    n_static += 1
    longest = max(len(p.xs) for p in paths)
    shown = sample_indices(longest, MAX_FRAMES)

    def upto(k: int) -> list[go.Scatter]:
        return [go.Scatter(x=p.xs[:k + 1], y=p.ys[:k + 1], mode="lines+markers", name=p.label,
                           line=dict(color=COLORS.get(p.label), width=2), marker=dict(size=5),
                           hovertemplate=f"{p.label}: step %{{pointNumber}}<br>(%{{x:.3f}}, %{{y:.3f}})<extra></extra>")
                for p in paths]

    for trace in upto(shown[-1]):
        fig.add_trace(trace)
    moving = list(range(n_static, n_static + len(paths)))
    fig.frames = [go.Frame(name=str(k), data=upto(k), traces=moving) for k in shown]
    add_player(fig, [str(k) for k in shown], duration=120, active=len(shown) - 1, from_start=True)
    fig.update_xaxes(range=surface.x_range, title="x", constrain="domain")
    fig.update_yaxes(range=surface.y_range, title="y")
    fig.update_layout(height=560, margin=dict(l=10, r=10, t=50, b=10), font=FONT,
                      legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return fig


def loss_curves_figure(paths: Sequence[Path]) -> go.Figure:
    """f at each step per optimizer (log y): who descends fastest, who stalls, who oscillates."""
    fig = go.Figure()
    for p in paths:
        floor = np.maximum(p.losses - min(float(q.losses.min()) for q in paths), 0) + 1e-8
        fig.add_trace(go.Scatter(y=floor, mode="lines", name=p.label, line=dict(color=COLORS.get(p.label))))
    fig.update_yaxes(type="log", title="f - lowest f reached (log)")
    fig.update_xaxes(title="step")
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=10), font=FONT,
                      legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    return fig


def _minimum_name(surface: Surface, i: int) -> str:
    m = surface.minima[i]
    return "global minimum" if i == 0 else f"minimum ({m[0]:.2f}, {m[1]:.2f})"


def outcome(surface: Surface, path: Path) -> str:
    """What one optimizer did, in words: the minimum it settled at (within REACH_TOL, to stay) and from which step,
    that it never settled, or where it diverged."""
    if path.diverged:
        return path.message.split(":")[0]  # "diverged at step 2": the warning above the chart says why
    for i, m in enumerate(surface.minima):
        step = path.steps_to_reach(m, REACH_TOL)
        if step is not None:
            return f"settled at the {_minimum_name(surface, i)} at step {step}"
    return f"did not settle within {REACH_TOL:g} of a minimum in {len(path.xs) - 1} steps"


def race_table(surface: Surface, paths: Sequence[Path]) -> list[dict[str, object]]:
    """One row per optimizer: where it ended, its loss, the step it settled within REACH_TOL of each minimum
    ("never" if it did not) and the outcome in words (the column said only "100 steps" on every row). Numbers are
    written out here: the dataframe showed Python's "None" and cut Adam's f = 1e-30 to "00000000000000"."""
    rows = []
    for p in paths:
        row: dict[str, object] = {"optimizer": p.label, "end x": f"{float(p.xs[-1]):.4g}",
                                  "end y": f"{float(p.ys[-1]):.4g}", "final f": f"{float(p.losses[-1]):.3g}"}
        for i, m in enumerate(surface.minima):
            step = p.steps_to_reach(m, REACH_TOL)
            row[f"steps to {_minimum_name(surface, i)}"] = "never" if step is None else str(step)
        row["outcome"] = outcome(surface, p)
        rows.append(row)
    return rows


def divergence_warnings(paths: Sequence[Path]) -> list[str]:
    """One warning per distinct divergence, naming the optimizers it hit (three identical boxes said "diverged at
    step 2" without saying whose path it was)."""
    by_message: dict[str, list[str]] = {}
    for p in paths:
        if p.diverged:
            by_message.setdefault(p.message, []).append(p.label)
    return [f"{', '.join(names)}: {message}" for message, names in by_message.items()]


def race_verdict(surface: Surface, paths: Sequence[Path]) -> str:
    """Who settled at the global minimum, fastest first, and who did not: computed from the race shown, so the page
    never claims a winner its own table contradicts (its fixed text said momentum was "far" faster while the table
    had momentum settle at step 100 of 100 and nesterov at 88)."""
    steps = max(len(p.xs) for p in paths) - 1
    settled = sorted((step, p.label) for p in paths
                     if not p.diverged and (step := p.steps_to_reach(surface.minima[0], REACH_TOL)) is not None)
    order = ", then ".join(f"{label} (step {step})" for step, label in settled) or "none"
    missed = [p.label + (" (diverged)" if p.diverged else "") for p in paths if p.label not in {n for _, n in settled}]
    return (f"Settled within {REACH_TOL:g} of the global minimum in {steps} steps: {order}."
            + (f" Not there: {', '.join(missed)}." if missed else ""))
