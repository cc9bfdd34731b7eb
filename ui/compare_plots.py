"""Pure figure builders of the Compare page (no streamlit): every run's train and validation curves overlaid, one
colour per run (train solid, validation dashed), and the live patches that replace those traces.

The same traces serve the static page, the live route and a lab's own overlay, from any snapshot that has "runs"
(a variant group's, or the Compare page's composite of pinned runs).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ui.curve_style import EPOCH_AXIS, LEGEND_BELOW, as_drawn
from ui.plots import PALETTE, _layout

FIGURES = ("cmp_loss", "cmp_metric")
MAX_POINTS = 300  # per trace on the wire and on screen; the export has every epoch
# What a run's "kind" (ui.compare_store.run_kind) is called above its own charts: a Playground run counts epochs of
# a few hundred points, an image run epochs of thousands of images, so their curves never share an epoch axis.
KIND_TITLES = {"playground": "Playground runs", "image": "Images & CNNs runs"}


def metric_of(runs: list[dict[str, Any]]) -> str:
    """'rmse' if any run is a regression (by its dataset, ui.compare_store.is_regression, before its first epoch;
    by its history after), else 'accuracy'."""
    return "rmse" if any(r.get("regression") or "val_rmse" in (r.get("history") or {})
                         or "train_rmse" in (r.get("history") or {}) for r in runs) else "accuracy"


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
        traces.append(as_drawn({"type": "scatter", "mode": "lines", "name": name, "x": x, "y": y,
                                "legendgroup": label, "line": {"color": color, "width": 2, "dash": dash},
                                "marker": {"color": color, "size": 7}}))
    return traces


def by_kind(runs: list[dict[str, Any]]) -> dict[str, list[tuple[int, dict[str, Any]]]]:
    """(index, run) per kind, kinds in the order their first run comes; runs without a kind are one kind."""
    kinds: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for i, r in enumerate(runs):
        kinds.setdefault(r.get("kind") or "", []).append((i, r))
    return kinds


def _pair_figures(runs: list[tuple[int, dict[str, Any]]], heading: str) -> tuple[dict[str, Any], dict[str, Any]]:
    shown = [r for _, r in runs]
    metric = metric_of(shown)
    legend = {**LEGEND_BELOW, "font": {"size": 11}}  # under "epoch", never on it
    height = 330 + 22 * ((len(shown) + 1) // 2)  # the legend under the axis grows with the runs
    traces = {key: [t for i, r in runs for t in _pair(r, i, key)] for key in ("loss", metric)}
    loss = {"data": traces["loss"], "layout": _layout(
        title={"text": f"{heading}Loss (solid: train, dashed: validation)", "font": {"size": 13}}, height=height,
        legend=legend, xaxis=EPOCH_AXIS, yaxis={"title": {"text": "loss"}, "rangemode": "tozero"})}
    yaxis: dict[str, Any] = {"title": {"text": metric}}
    if metric == "accuracy":
        yaxis["range"] = [0, 1.02]
    title = "RMSE (lower is better)" if metric == "rmse" else "Accuracy"
    acc = {"data": traces[metric], "layout": _layout(
        title={"text": f"{heading}{title} (solid: train, dashed: validation)", "font": {"size": 13}},
        height=height, legend=legend, xaxis=EPOCH_AXIS, yaxis=yaxis)}
    return loss, acc


def compare_figures(snap: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The overlaid loss and accuracy (or RMSE) figures of a snapshot's runs: one pair ("cmp_loss", "cmp_metric")
    for runs of one kind; runs of several kinds (a Playground and an image run) get a pair per kind, its title
    naming the kind ("cmp_loss", "cmp_metric", then "cmp_loss_image", ...), so no epoch axis mixes them."""
    kinds = by_kind(snap.get("runs") or [])
    if len(kinds) <= 1:
        loss, acc = _pair_figures(next(iter(kinds.values()), []), "")
        return {"cmp_loss": loss, "cmp_metric": acc}
    figs: dict[str, dict[str, Any]] = {}
    for n, (kind, runs) in enumerate(kinds.items()):
        suffix = f"_{kind or 'other'}" if n else ""
        loss, acc = _pair_figures(runs, f"{KIND_TITLES.get(kind, 'Other runs')}: ")
        figs[f"cmp_loss{suffix}"], figs[f"cmp_metric{suffix}"] = loss, acc
    return figs


def compare_rows(figs: dict[str, dict[str, Any]]) -> list[list[str]]:
    """The page layout: a row per kind, its loss chart beside its accuracy (or RMSE) chart."""
    ids = list(figs)
    return [ids[i:i + 2] for i in range(0, len(ids), 2)]


def compare_patches(snap: dict[str, Any]) -> dict[str, dict[int, dict]]:
    """Every trace's data, replaced (runs started at different times share no 'epochs since' point), with what
    ui.curve_style.as_drawn decided (a curve's first point brings its legend entry and marker)."""
    figs = compare_figures(snap)
    return {fid: {i: {k: t[k] for k in ("x", "y", "mode", "showlegend")} for i, t in enumerate(fig["data"])}
            for fid, fig in figs.items()}


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
