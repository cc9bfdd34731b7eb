"""Plotly pieces every lab figure shares: a small matrix drawn as an annotated heatmap, a window outline, and the
step slider + Play button that animate a figure's frames in the browser (no Streamlit rerun per step)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

FONT = dict(size=13)
MARGIN = dict(l=10, r=10, t=60, b=10)


def fmt_value(v: float, decimals: int = 2) -> str:
    """A matrix entry as a student would write it: integers without decimals, others with `decimals`."""
    if v != v:  # NaN: a cell not computed yet
        return ""
    return f"{int(v)}" if float(v).is_integer() else f"{v:.{decimals}f}"


def matrix_text(z: np.ndarray, decimals: int = 2) -> list[list[str]]:
    return [[fmt_value(float(v), decimals) for v in row] for row in np.asarray(z, dtype=np.float64)]


def matrix_heatmap(z: np.ndarray, colorscale: str = "Blues", zmin: float | None = None, zmax: float | None = None,
                   text: list[list[str]] | None = None, name: str = "") -> go.Heatmap:
    """An annotated heatmap of a small matrix, row 0 drawn at the top (like the matrix is written)."""
    z = np.asarray(z, dtype=np.float64)
    return go.Heatmap(z=z, text=text if text is not None else matrix_text(z), texttemplate="%{text}",
                      textfont=dict(size=14), colorscale=colorscale, zmin=zmin, zmax=zmax, showscale=False,
                      xgap=2, ygap=2, name=name, hovertemplate="row %{y}, col %{x}: %{text}<extra></extra>")


def outline(top: int, left: int, height: int, width: int) -> tuple[list[float], list[float]]:
    """x and y of a closed rectangle around cells [top, top+height) x [left, left+width) of a heatmap."""
    x0, x1, y0, y1 = left - 0.5, left + width - 0.5, top - 0.5, top + height - 0.5
    return [x0, x1, x1, x0, x0], [y0, y0, y1, y1, y0]


def outline_trace(top: int, left: int, height: int, width: int, color: str = "crimson") -> go.Scatter:
    xs, ys = outline(top, left, height, width)
    return go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=color, width=4), hoverinfo="skip",
                      showlegend=False)


def matrix_axes(fig: go.Figure, n_panels: int) -> None:
    """Square cells, row 0 at the top, no tick clutter on every matrix panel."""
    for i in range(1, n_panels + 1):
        suffix = "" if i == 1 else str(i)
        fig.layout[f"yaxis{suffix}"].update(autorange="reversed", scaleanchor=f"x{suffix}", showticklabels=False,
                                            showgrid=False, zeroline=False)
        fig.layout[f"xaxis{suffix}"].update(showticklabels=False, showgrid=False, zeroline=False, constrain="domain")


def add_player(fig: go.Figure, labels: Sequence[str], prefix: str = "step ", duration: int = 400,
               active: int = 0, from_start: bool = False) -> None:
    """A step slider under the figure and Play/Pause buttons that animate its frames in the browser. With
    from_start, Play always replays from the first frame (a figure that opens on its last frame)."""
    steps = [dict(method="animate", label=label,
                  args=[[label], dict(mode="immediate", frame=dict(duration=0, redraw=True),
                                      transition=dict(duration=0))]) for label in labels]
    fig.update_layout(
        # with many steps the tick labels would overprint each other: hide them, the current value says where
        sliders=[dict(active=active, steps=steps, currentvalue=dict(prefix=prefix, font=FONT), pad=dict(t=40, b=0),
                      x=0.2, len=0.8, y=0, font=dict(color="rgba(0,0,0,0)" if len(labels) > 15 else "#444"))],
        updatemenus=[dict(type="buttons", direction="left", showactive=False, x=0.0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=45, r=10),
                          buttons=[dict(label="▶ Play", method="animate",
                                        args=[list(labels) if from_start else None,
                                              dict(frame=dict(duration=duration, redraw=True),
                                                   transition=dict(duration=0), fromcurrent=not from_start,
                                                   mode="immediate")]),
                                   dict(label="❚❚", method="animate",
                                        args=[[None], dict(frame=dict(duration=0, redraw=False),
                                                           mode="immediate")])])])


def sample_indices(n: int, most: int) -> list[int]:
    """At most `most` increasing indices from 0 to n-1, always including both ends (frames of a long path)."""
    if n <= most:
        return list(range(n))
    return sorted(set(np.linspace(0, n - 1, most).round().astype(int).tolist()))
