"""Pure figure builders of Monte-Carlo dropout (no streamlit): per trained net, its uncertainty map (the +-2 std band
of P(class 1) over the plane) with the eval-mode and the MC-mean decision boundaries and the training points; and
"dropout as an ensemble", the error of the average of T masked sub-networks against the eval-mode net vs T.

The numbers come from the group's final snapshot (`snap["mc"]`, nnlib.labs.mc_dropout.finish); `mc_patches`
turns them into trace patches, so the live route and the finished page draw the same traces."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ui.plots import PALETTE, _layout

Figure = dict[str, Any]
BAND = [[0.0, "#ffffff"], [0.5, "#fdd49e"], [1.0, "#d7301f"]]  # 0 = certain, 1 = the band spans all of [0, 1]
ROUNDOFF = 1e-9  # errors below this are float rounding of equal passes (the net without dropout), drawn as gaps


def _line_contour(name: str, dash: str, color: str) -> dict[str, Any]:
    """The P = 0.5 line of a probability map (the decision boundary), drawn as a single contour level."""
    return {"type": "contour", "name": name, "x": [], "y": [], "z": [], "showscale": False, "showlegend": True,
            "contours": {"start": 0.5, "end": 0.5, "size": 1, "coloring": "lines"}, "hoverinfo": "skip",
            "line": {"color": color, "width": 2, "dash": dash}, "colorscale": [[0, color], [1, color]]}


def _point_marker(labels: Sequence[int]) -> dict[str, Any]:
    """Training points coloured by class (orange 0, blue 1, as on the Playground)."""
    return {"size": 5, "color": list(labels), "colorscale": [[0, PALETTE[0]], [1, PALETTE[1]]], "cmin": 0,
            "cmax": 1, "line": {"width": 0.5, "color": "#333"}}


def uncertainty_figure(label: str) -> Figure:
    """The band's half-width 2 std of P(class 1) as a heatmap, the two boundaries and the training points of one
    net (P is in [0, 1], so 2 std is at most 1: passes split between the two classes)."""
    data = [{"type": "heatmap", "name": "2 std of P(class 1)", "x": [], "y": [], "z": [], "zmin": 0.0, "zmax": 1.0,
             "zsmooth": "best", "colorscale": BAND, "colorbar": {"title": {"text": "2·std"}, "thickness": 12},
             "hovertemplate": "x1 %{x:.1f}, x2 %{y:.1f}<br>mean ± %{z:.2f}<extra></extra>"},
            _line_contour("boundary, eval mode (dropout off)", "solid", "#111111"),
            _line_contour("boundary, MC mean", "dash", PALETTE[1]),
            {"type": "scatter", "mode": "markers", "name": "training points", "x": [], "y": [],
             "marker": _point_marker([]), "hoverinfo": "skip"}]
    layout = _layout(title={"text": f"{label}: uncertainty, mean ± 2 std of P(class 1)",
                            "font": {"size": 13}}, height=380,
                     xaxis={"title": {"text": "x1"}}, yaxis={"title": {"text": "x2"}, "scaleanchor": "x"},
                     legend={"orientation": "h", "y": -0.2, "x": 0, "yanchor": "top"})
    return {"data": data, "layout": layout}


def ensemble_figure(labels: Sequence[str]) -> Figure:
    """Per net: mean |average of T passes - eval-mode output| on the training points vs T, for the logits (solid)
    and the probabilities (dotted); log-log, where 1/sqrt(T) is a straight line."""
    data = [{"type": "scatter", "mode": "lines+markers", "x": [], "y": [], "legendgroup": label,
             "name": f"{label} · {what}", "line": {"color": PALETTE[i % len(PALETTE)], "width": 2, "dash": dash}}
            for i, label in enumerate(labels) for what, dash in (("logit", "solid"), ("probability", "dot"))]
    layout = _layout(title={"text": "|average of T passes − eval-mode net|",
                            "font": {"size": 13}}, height=380,
                     xaxis={"title": {"text": "passes T (log)"}, "type": "log"},
                     yaxis={"title": {"text": "mean absolute error (log)"}, "type": "log",
                            "exponentformat": "power"},
                     legend={"orientation": "h", "y": -0.25, "x": 0, "yanchor": "top"})
    return {"data": data, "layout": layout}


def _positive(values: Sequence[float]) -> list[float | None]:
    """Zeros cannot sit on a log axis: they become gaps (the no-dropout net's error is 0 up to rounding)."""
    return [v if v > ROUNDOFF else None for v in values]


def mc_patches(snap: dict[str, Any]) -> dict[str, dict[int, dict[str, Any]]]:
    """Trace patches for the maps (`map0`, `map1`, ...) and the ensemble chart, once the final snapshot holds the
    Monte-Carlo predictions; nothing while the nets still train."""
    results = snap.get("mc") or []
    out: dict[str, dict[int, dict[str, Any]]] = {}
    ensemble: dict[int, dict[str, Any]] = {}
    for i, r in enumerate(results):
        axis = r["axis"]
        band = (2.0 * np.asarray(r["std"], dtype=np.float64)).round(3).tolist()
        pts = np.asarray(r["points"], dtype=np.float64).reshape(-1, 2)
        out[f"map{i}"] = {0: {"x": axis, "y": axis, "z": band}, 1: {"x": axis, "y": axis, "z": r["eval"]},
                          2: {"x": axis, "y": axis, "z": r["mean"]},
                          3: {"x": pts[:, 0].tolist(), "y": pts[:, 1].tolist(), "marker": _point_marker(r["labels"])}}
        ensemble[2 * i] = {"x": r["counts"], "y": _positive(r["err_logit"])}
        ensemble[2 * i + 1] = {"x": r["counts"], "y": _positive(r["err_prob"])}
    if ensemble:
        out["ensemble"] = ensemble
    return out


def _error(v: float) -> str:
    return f"{v:.3g}" if v > ROUNDOFF else "0"


def band_summary(snap: dict[str, Any]) -> list[str]:
    """One sentence per net: how wide its band is on average over the data's square and far out (the grid's
    border)."""
    lines = []
    for r in snap.get("mc") or []:
        std = np.asarray(r["std"], dtype=np.float64)
        border = np.concatenate([std[0], std[-1], std[:, 0], std[:, -1]])
        axis = np.asarray(r["axis"])
        inner = std[np.ix_(np.abs(axis) <= 6, np.abs(axis) <= 6)]
        lines.append(f"**{r['label']}**: P(class 1) ± {2 * inner.mean():.3f} (2 std, averaged) over the data's "
                     f"square, ± {2 * border.mean():.3f} on the border of the plane; ensemble error with T = "
                     f"{r['counts'][-1]}: {_error(r['err_logit'][-1])} (logits), {_error(r['err_prob'][-1])} "
                     "(probabilities)")
    return lines
