"""Pure figure builders of the Compare page (no streamlit): every run's train and validation curves overlaid, one
colour per run (train solid, validation dashed), and the live patches that replace those traces.

The same traces serve the static page, the live route and a lab's own overlay, from any snapshot that has "runs"
(a variant group's, or the Compare page's composite of pinned runs).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ui.plots import PALETTE, _layout

FIGURES = ("cmp_loss", "cmp_metric")
MAX_POINTS = 300  # per trace on the wire and on screen; the export has every epoch


def metric_of(runs: list[dict[str, Any]]) -> str:
    """'rmse' if any run is a regression, else 'accuracy'."""
    return "rmse" if any("val_rmse" in (r.get("history") or {}) or "train_rmse" in (r.get("history") or {})
                         for r in runs) else "accuracy"


def _thin(xs: list, ys: list, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """At most ~max_points evenly spaced epochs, the last always kept (so the curve's end is current)."""
    n = min(len(xs), len(ys))
    idx = np.arange(n)
    if n > max_points:
        idx = np.unique(np.append(idx[:: math.ceil(n / max_points)], n - 1))
    x = np.asarray(xs[:n], dtype=np.float32)[idx]
    y = np.asarray([np.nan if v is None else v for v in ys[:n]], dtype=np.float32)[idx]
    return x, y


def _pair(run: dict[str, Any], i: int, key: str) -> list[dict[str, Any]]:
    hist = run.get("history") or {}
    color = PALETTE[i % len(PALETTE)]
    label = run.get("label") or f"run {i + 1}"
    traces = []
    for split, dash in (("train", "solid"), ("val", "dash")):
        x, y = _thin(hist.get("epoch") or [], hist.get(f"{split}_{key}") or [])
        name = f"{label} · {'train' if split == 'train' else 'validation'}"
        traces.append({"type": "scatter", "mode": "lines", "name": name, "x": x, "y": y, "legendgroup": label,
                       "line": {"color": color, "width": 2, "dash": dash}})
    return traces


def curve_traces(runs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Two traces per run (train, validation) of metric `key` ("loss", "accuracy", "rmse"), in run order."""
    return [t for i, r in enumerate(runs) for t in _pair(r, i, key)]


def compare_figures(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The overlaid loss and accuracy (or RMSE) figures of a snapshot's runs."""
    runs = snap.get("runs") or []
    metric = metric_of(runs)
    legend = {"orientation": "h", "y": -0.42, "x": 0, "yanchor": "top", "font": {"size": 11}}  # under "epoch"
    height = 330 + 22 * ((len(runs) + 1) // 2)  # the legend under the axis grows with the runs
    loss = {"data": curve_traces(runs, "loss"), "layout": _layout(
        title={"text": "Loss (solid: train, dashed: validation)", "font": {"size": 13}}, height=height,
        legend=legend, xaxis={"title": {"text": "epoch"}}, yaxis={"title": {"text": "loss"}, "rangemode": "tozero"})}
    yaxis: dict[str, Any] = {"title": {"text": metric}}
    if metric == "accuracy":
        yaxis["range"] = [0, 1.02]
    title = "RMSE (lower is better)" if metric == "rmse" else "Accuracy"
    acc = {"data": curve_traces(runs, metric), "layout": _layout(
        title={"text": f"{title} (solid: train, dashed: validation)", "font": {"size": 13}}, height=height,
        legend=legend, xaxis={"title": {"text": "epoch"}}, yaxis=yaxis)}
    return {"cmp_loss": loss, "cmp_metric": acc}


def compare_patches(snap: dict[str, Any]) -> dict[str, dict[int, dict]]:
    """Every trace's data, replaced (runs started at different times share no 'epochs since' point)."""
    figs = compare_figures(snap)
    return {fid: {i: {"x": t["x"], "y": t["y"]} for i, t in enumerate(fig["data"])} for fid, fig in figs.items()}


def final_row(run: dict[str, Any]) -> dict[str, Any]:
    """The numbers a finished run is judged by: last train/validation loss and accuracy (or RMSE), best epoch."""
    hist = run.get("history") or {}

    def last(key: str) -> float | None:
        col = [v for v in hist.get(key) or [] if v is not None]
        return col[-1] if col else None

    val = [v for v in hist.get("val_loss") or []]
    finite = [(v, e) for v, e in zip(val, hist.get("epoch") or [], strict=False) if v is not None]
    row = {"epochs": len(hist.get("epoch") or []), "train loss": last("train_loss"),
           "validation loss": last("val_loss"), "best validation loss": min(finite)[0] if finite else None,
           "at epoch": int(min(finite)[1]) if finite else None}
    for key, name in (("train_accuracy", "train accuracy"), ("val_accuracy", "validation accuracy"),
                      ("test_accuracy", "test accuracy"), ("val_rmse", "validation RMSE"),
                      ("test_rmse", "test RMSE")):
        if hist.get(key):
            row[name] = last(key)
    return row
