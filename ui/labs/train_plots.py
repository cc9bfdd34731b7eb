"""Pure figure builders of the labs that train a group of runs (no streamlit): every run's curve overlaid, the
schedules' learning rates, and the capacity / data-size sweep (final train and validation loss per run, the U).

Each builder has a patch function that turns a group snapshot ({"runs": [...]} from nnlib.compare.group) into new
trace data, so the live route and the finished page draw the same traces from the same numbers.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from nnlib.labs.fitting_lab import best_index, sweep_points
from nnlib.labs.lr_lab import CHANCE_LOSS, verdict_label
from ui.curve_style import EPOCH_AXIS, LEGEND_BELOW  # one epoch axis and legend for every chart
from ui.labs.mc_plots import mc_patches
from ui.plots import PALETTE, _layout

Figure = dict[str, Any]
Patches = dict[str, dict[int, dict[str, Any]]]
MAX_POINTS = 300  # per curve on the wire; a lab run has at most 500 epochs
SPLIT_NAMES = {"train": "train", "val": "validation", "": ""}  # "": a column of its own (e.g. dead_fraction)
SPLIT_DASH = {"train": "solid", "val": "dash", "": "solid"}
# One dash pattern per run (a chart with one line per run): curves that coincide (zeros and normal 0.01, both flat
# at ln 2) then both show, the later one's gaps revealing the earlier, and the legend says which pattern is which.
# Each pattern repeats within 15 px, so the 30 px legend swatch shows it twice: "longdash" (15 px on, 15 off at
# width 2) left the fifth run's swatch (He normal in the Initialization lab) nearly empty.
RUN_DASHES = ("solid", "dash", "dot", "dashdot", "2px,2px,8px,2px", "8px,2px,2px,2px,2px,2px")


def _series(hist: dict[str, Any], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of one history column, thinned to MAX_POINTS (the last kept); None becomes NaN (a gap)."""
    ys = list(hist.get(key) or [])
    xs = list(hist.get("epoch") or range(1, len(ys) + 1))[: len(ys)]
    idx = np.arange(len(xs))
    if len(idx) > MAX_POINTS:
        idx = np.unique(np.append(idx[:: math.ceil(len(idx) / MAX_POINTS)], len(idx) - 1))
    x = np.asarray(xs, dtype=np.float32)[idx] if len(xs) else np.zeros(0, np.float32)
    y = np.asarray([np.nan if v is None else v for v in ys[: len(xs)]], dtype=np.float32)[idx] if len(xs) \
        else np.zeros(0, np.float32)
    return x, y


def _title(text: str) -> dict[str, Any]:
    return {"text": text, "font": {"size": 13}}


def overlay_figure(title: str, labels: Sequence[str], splits: Sequence[str] = ("train",), ytitle: str = "loss",
                   log_y: bool = False, colors: Sequence[str] = (), dash_runs: bool = False) -> Figure:
    """One line per run and split (train solid, validation dashed, as the title says), one colour per run (from
    `colors` when the page's other charts already give each run one, else the palette in run order). `dash_runs`
    (one split only, whose dash would otherwise say nothing): a dash pattern per run too, for runs whose curves
    may lie exactly on top of each other, where colour alone showed only the last one drawn. Filled
    by `overlay_patch`. The legend names each run once (its first split's line; clicking it hides the run's every
    line): an entry per run and split made ten entries for five runs, more legend than chart at 1024 px."""
    if dash_runs and len(splits) != 1:
        raise ValueError("dash_runs needs a single split: with train and validation the dash says which is which")
    data = []
    colors = list(colors) or [PALETTE[i % len(PALETTE)] for i in range(len(labels))]
    for i, label in enumerate(labels):
        for j, s in enumerate(splits):
            trace = {"type": "scatter", "mode": "lines", "x": [], "y": [], "legendgroup": label, "name": label,
                     "showlegend": j == 0, "line": {"color": colors[i], "width": 2, "dash": RUN_DASHES[
                         i % len(RUN_DASHES)] if dash_runs else SPLIT_DASH[s]}}
            if len(splits) > 1:  # the legend entry is the run; the hover still says which of its lines this is
                trace["hovertemplate"] = f"{label} · {SPLIT_NAMES[s]}<br>epoch %{{x}}: %{{y:.3g}}<extra></extra>"
            data.append(trace)
    layout = _layout(title=_title(title), height=340, xaxis=EPOCH_AXIS,
                     yaxis={"title": {"text": ytitle}, "type": "log" if log_y else "linear"}, legend=LEGEND_BELOW)
    return {"data": data, "layout": layout}


def overlay_patch(runs: Sequence[dict[str, Any]], splits: Sequence[str] = ("train",), metric: str = "loss"
                  ) -> dict[int, dict[str, Any]]:
    """Trace index -> the whole curve so far, for `overlay_figure`'s traces in the same order."""
    out = {}
    for i, run in enumerate(runs):
        for j, s in enumerate(splits):
            x, y = _series(run.get("history") or {}, f"{s}_{metric}" if s else metric)
            out[i * len(splits) + j] = {"x": x, "y": y}
    return out


def verdict_patch(runs: Sequence[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """`overlay_patch` of the training losses with each legend entry renamed to what its run did ('lr = 10 ·
    diverges'), judged from its own curve once it has ended: the legend never claims a role the run did not play."""
    out = overlay_patch(runs)
    for i, run in enumerate(runs):
        losses = list((run.get("history") or {}).get("train_loss") or [])
        status, label = run.get("status"), str(run.get("label", ""))
        ended = status not in (None, "queued", "ready", "running", "paused", "stopped")
        out[i]["name"] = f"{label} · stopped" if status == "stopped" else verdict_label(label, losses, ended,
                                                                                        CHANCE_LOSS)
    return out


REMEDY_COLUMNS = 3  # panels per row of the remedies figure
BASELINE_GREY = "#9e9e9e"
LOG_TICKS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50)


def remedies_figure(title: str, labels: Sequence[str]) -> Figure:
    """The remedies as small multiples: one panel per remedy (labels[1:]), each with the baseline (labels[0]) in
    grey behind it, train solid and validation dashed, log y shared by all panels. On one chart twelve lines
    crowded each other and the baseline's validation spikes (to ~3.5 while the remedies stay below 0.5) squeezed
    the remedies together at the bottom; a walkthrough could not tell them apart. Filled by `remedies_patch`."""
    remedies = list(labels[1:])
    cols = min(REMEDY_COLUMNS, max(1, len(remedies)))
    rows = max(1, math.ceil(len(remedies) / cols))
    data, notes, axes = [], [], {}
    for k, label in enumerate(remedies):
        ax = "" if k == 0 else str(k + 1)
        color = PALETTE[(k + 1) % len(PALETTE)]
        for who, name, c, width in (("baseline", labels[0], BASELINE_GREY, 1.5), ("remedy", label, color, 2.5)):
            for s in ("train", "val"):
                data.append({"type": "scatter", "mode": "lines", "x": [], "y": [], "xaxis": f"x{ax}",
                             "yaxis": f"y{ax}", "name": f"{name} · {SPLIT_NAMES[s]}", "legendgroup": f"{who}{s}",
                             "showlegend": k == 0 and who == "baseline",
                             "line": {"color": c, "width": width, "dash": SPLIT_DASH[s]},
                             "hovertemplate": f"{name} · {SPLIT_NAMES[s]}<br>epoch %{{x}}: %{{y:.3g}}<extra></extra>"})
        notes.append({"text": f"<b>{label}</b>", "showarrow": False, "xref": f"x{ax} domain",
                      "yref": f"y{ax} domain", "x": 0.02, "y": 0.98, "xanchor": "left", "yanchor": "top",
                      "font": {"size": 13, "color": color}, "bgcolor": "rgba(255,255,255,0.8)"})
        axes[f"xaxis{ax}"] = {"matches": "x", "title": {"text": "epoch" if k >= len(remedies) - cols else ""}}
        first_column = k % cols == 0  # the panels share one y scale: numbers on the left column only
        axes[f"yaxis{ax}"] = {"matches": "y", "type": "log", "tickvals": list(LOG_TICKS),
                              "ticktext": [f"{v:g}" for v in LOG_TICKS], "showticklabels": first_column,
                              "title": {"text": "loss (log)" if first_column else ""}}
    layout = _layout(title=_title(title), height=70 + 240 * rows, annotations=notes,
                     grid={"rows": rows, "columns": cols, "pattern": "independent", "xgap": 0.08, "ygap": 0.2},
                     legend={"orientation": "h", "y": 1.0, "x": 1.0, "xanchor": "right", "yanchor": "bottom"},
                     **axes)
    layout["margin"] = {"l": 55, "r": 10, "t": 60, "b": 45}
    return {"data": data, "layout": layout}


def remedies_patch(runs: Sequence[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Trace index -> curve for `remedies_figure`: the baseline's (runs[0]) in every panel, each remedy's in its own."""
    out = {}
    if not runs:
        return out
    curves = [[_series(run.get("history") or {}, f"{s}_loss") for s in ("train", "val")] for run in runs]
    for k in range(len(runs) - 1):
        for j, (x, y) in enumerate(curves[0] + curves[k + 1]):
            out[4 * k + j] = {"x": x, "y": y}
    return out


def rate_figure(labels: Sequence[str], planned: Sequence[Sequence[float]]) -> Figure:
    """Each schedule's learning rate per epoch: the plan (lr_at) until the run replaces it with the rates used. Its
    legend names the schedules (a walkthrough could not tell which curve was which: the loss chart beside it had
    the only legend)."""
    data = [{"type": "scatter", "mode": "lines", "name": label, "legendgroup": label,
             "x": np.arange(1, len(rates) + 1, dtype=np.float32), "y": np.asarray(rates, dtype=np.float32),
             "line": {"color": PALETTE[i % len(PALETTE)], "width": 2, "shape": "hv"}}
            for i, (label, rates) in enumerate(zip(labels, planned, strict=True))]
    layout = _layout(title=_title("Learning rate per epoch (lr_t)"), height=340, xaxis=EPOCH_AXIS,
                     yaxis={"title": {"text": "learning rate"}}, legend=LEGEND_BELOW)
    return {"data": data, "layout": layout}


def rate_patch(runs: Sequence[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """The rates the runs really used (the history's lr column): equal to the plan, except reduce-on-plateau,
    which only the validation losses decide. Runs without epochs yet keep their plan."""
    out = {}
    for i, run in enumerate(runs):
        x, y = _series(run.get("history") or {}, "lr")
        if len(x):
            out[i] = {"x": x, "y": y}
    return out


def sweep_figure(title: str, xs: Sequence[float], xtitle: str, log_x: bool = True) -> Figure:
    """Final train and validation loss against capacity or data size, and a marker on the lowest validation."""
    x = np.asarray(xs, dtype=np.float32)
    nan = np.full(len(x), np.nan, np.float32)
    data = [{"type": "scatter", "mode": "lines+markers", "name": f"{SPLIT_NAMES[s]} loss (last epoch)", "x": x,
             "y": nan, "line": {"color": PALETTE[k], "width": 2, "dash": SPLIT_DASH[s]}}
            for k, s in enumerate(("train", "val"))]
    data.append({"type": "scatter", "mode": "markers", "name": "lowest validation loss", "x": [], "y": [],
                 "marker": {"symbol": "star", "size": 16, "color": PALETTE[3]}})
    # ticks at the compared values only: a log axis' own minor labels ("2 5 100 2 5 1000") crowded it at 1024 px
    ticks = {"tickvals": [float(v) for v in xs], "ticktext": [f"{v:g}" for v in xs]}
    layout = _layout(title=_title(title), height=340, xaxis={"title": {"text": xtitle}, "automargin": True,
                                                             "type": "log" if log_x else "linear", **ticks},
                     yaxis={"title": {"text": "loss"}}, legend=LEGEND_BELOW)
    return {"data": data, "layout": layout}


def sweep_patch(runs: Sequence[dict[str, Any]], xs: Sequence[float]) -> dict[int, dict[str, Any]]:
    train, val = sweep_points(runs)
    as_array = lambda vs: np.asarray([np.nan if v is None else v for v in vs], dtype=np.float32)  # noqa: E731
    out: dict[int, dict[str, Any]] = {0: {"y": as_array(train)}, 1: {"y": as_array(val)}}
    best = best_index(val)
    out[2] = {"x": [float(xs[best])], "y": [float(val[best])]} if best is not None else {"x": [], "y": []}
    return out


def filled(figures: dict[str, Figure], patches: Patches) -> dict[str, Figure]:
    """Copies of the figures with the patches applied: the finished page draws what the live view last showed."""
    out = copy.deepcopy(figures)
    for fid, patch in patches.items():
        for idx, values in patch.items():
            if fid in out and idx < len(out[fid]["data"]):
                out[fid]["data"][idx].update(values)
    return out


def has_data(fig: Figure) -> bool:
    """Whether any trace has a number to draw (a finite y, or a heatmap's z): a schedule's planned rates do before
    Train, a loss curve or a sweep point does not."""
    for trace in fig.get("data", []):
        z = trace.get("z")
        if z is not None and np.size(z):
            return True
        y = trace.get("y")
        if y is not None and np.size(y) and np.isfinite(np.asarray(y, dtype=np.float64)).any():
            return True
    return False


def waiting_note(runs: Sequence[str], width: int = 48) -> str:
    """What the empty chart will show and what to press: the runs it will draw, a few to a line."""
    lines, line = [], ""
    for name in runs:
        if line and len(line) + 3 + len(name) > width:
            lines.append(line)
            line = ""
        line = f"{line} · {name}" if line else name
    shown = "<br>".join([*lines, line]) if line else ""
    if not runs:
        return "Press <b>Train</b> above: the results are drawn here as the runs train."
    return (f"Press <b>Train</b> above to train these {len(runs)} runs side by side:<br><b>{shown}</b><br>"
            "their results are drawn here as they train.")


def waiting_figure(fig: Figure, runs: Sequence[str] = ()) -> Figure:
    """The figure before Train with nothing to draw: its title, no axes (a walkthrough saw ranges like -1..6 or
    0..1 without any data, which mean nothing) and in their place a note that says which runs will be drawn and
    what to press (plotly shows no legend entry for a trace without data). A figure with data is returned as is."""
    if has_data(fig):
        return fig
    out = copy.deepcopy(fig)
    layout = out["layout"]
    for name in [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]:
        layout[name] = {**(layout.get(name) or {}), "visible": False}
    rows = (layout.get("grid") or {}).get("rows", 1)  # small multiples: in the first row, clear of the panel labels
    note = {"text": waiting_note(runs), "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5,
            "y": 1 - 0.5 / rows, "xanchor": "center", "yanchor": "middle", "font": {"size": 14, "color": "#555"},
            "bgcolor": "rgba(255,255,255,0.85)"}
    layout["annotations"] = [*layout.get("annotations", []), note]
    return out


# ---------------------------------------------------------------- the live route's patchers, by lab kind

def _runs(snap: dict[str, Any]) -> list[dict[str, Any]]:
    return list(snap.get("runs") or [])


def _sweep_xs(snap: dict[str, Any], opts: dict[str, str]) -> list[float]:
    return [float(v) for v in (opts.get("xs") or "").split(",") if v] or list(range(1, len(_runs(snap)) + 1))


PATCHERS: dict[str, Callable[[dict[str, Any], dict[str, str]], Patches]] = {
    "lab_rates": lambda snap, opts: {"loss": verdict_patch(_runs(snap))},
    "lab_schedules": lambda snap, opts: {"loss": overlay_patch(_runs(snap)), "lr": rate_patch(_runs(snap))},
    "lab_sweep": lambda snap, opts: {"loss": overlay_patch(_runs(snap), ("train", "val")),
                                     "sweep": sweep_patch(_runs(snap), _sweep_xs(snap, opts))},
    "lab_remedies": lambda snap, opts: {"loss": remedies_patch(_runs(snap))},
    "lab_dead": lambda snap, opts: {"dead": overlay_patch(_runs(snap), ("",), "dead_fraction"),
                                    "loss": overlay_patch(_runs(snap))},
    "lab_accuracy": lambda snap, opts: {"loss": overlay_patch(_runs(snap), ("train", "val")),
                                        "accuracy": overlay_patch(_runs(snap), ("val",), "accuracy")},
    "lab_mc": lambda snap, opts: {"loss": overlay_patch(_runs(snap), ("train", "val")), **mc_patches(snap)},
}
