"""Pure functions from an image-run snapshot to plotly figures (plain dicts) for the Images & CNNs page, and the
trace patches the live route sends while a CNN trains -- no streamlit import, so they are testable alone."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnlib.inspect.snapshot import ImageSnapshot
from ui.cnn_pictures import (  # noqa: F401 (re-exported: the page and the tests use them as CP.*)
    GREYS,
    MAPS,
    NOT_YET,
    SEP,
    SEP_COLOUR,
    _image_axes,
    _layout,
    _note_trace,
    _picture_trace,
    _shown,
    cap,
    palette,
    png_uri,
    retile,
)
from ui.gallery_store import known_test_images, register_test_images  # noqa: F401 (the page's entry)
from ui.plots import (
    PALETTE,
    SWEEP,
    _curve_patch,
    loss_figure,
    loss_traces,
    metric_figure,
    metric_traces,
)

BLUES = [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]]  # explicit: plotly.js's named "Blues" is reversed
MAX_MISTAKES = 12
GALLERY_COLS = 6
ROW_H = 2.1  # gallery row height in image heights: the picture, then five lines of text
Fig = dict[str, Any]


def filter_grid(snap: ImageSnapshot) -> np.ndarray | None:
    """First-layer filters as one uint8 picture about as wide as tall (RGB tiles for colour data)."""
    grid, shape = snap.get("filters"), snap.get("filters_shape")
    if grid is None:
        return None
    grid = np.asarray(grid)
    if shape and len(shape) == 4:
        k, c, fh, fw = (int(v) for v in shape)
        n = k if (c == 3 and grid.ndim == 3) or c == 1 else k * c
        return retile(grid, fh, fw, n, None if c in (1, 3) else c)
    return grid


def filters_traces(snap: ImageSnapshot) -> list[dict[str, Any]]:
    """The filters picture, then the note said while there is none yet (the picture hidden until then)."""
    g = filter_grid(snap)
    if g is None:
        return [_picture_trace(np.full((1, 1), SEP, np.uint8), "filters", visible=False),
                _note_trace(f"The filters {NOT_YET}", True)]
    return [_picture_trace(g, "filters"), _note_trace("", False)]


def filters_figure(snap: ImageSnapshot, dense: bool = False) -> Fig:
    """The first-layer picture; `dense` for the MLP baseline, whose first-layer weights are whole images."""
    shape = snap.get("filters_shape") or []
    if dense:
        title = "First hidden layer: weights as images" + (f" (first {shape[0]})" if shape and shape[0] >= 32
                                                           else "")
        return {"data": filters_traces(snap), "layout": _layout(title={"text": title, "font": {"size": 13}},
                                                               height=300, **_image_axes())}
    what = (f"{shape[0]} filters of {shape[2]}x{shape[3]}" + (" (RGB)" if shape[1] == 3 else "")
            if len(shape) == 4 and shape[2] <= 11 else "first-layer weights as images" if shape
            else "what the first layer looks for")
    return {"data": filters_traces(snap), "layout": _layout(
        title={"text": f"First-layer filters: {what}", "font": {"size": 13}}, height=300, **_image_axes())}


def feature_map_grids(snap: ImageSnapshot) -> list[tuple[str, np.ndarray]]:
    """(block name, uint8 picture of its channels about square) for every conv block."""
    out = []
    for name, grid in snap.get("feature_maps") or []:
        g = np.asarray(grid)
        w = g.shape[1]
        n = (g.shape[0] + 1) // (w + 1) if g.ndim == 2 else 0
        out.append((str(name), retile(g, w, w, n) if n and n * (w + 1) - 1 == g.shape[0] else g))
    return out


def feature_map_figures(snap: ImageSnapshot, n_blocks: int = 0) -> dict[str, Fig]:
    """One figure per conv block ('fmap1', 'fmap2', ...): its activation maps for the probe image. `n_blocks`
    placeholders exist before the first snapshot, so the live view has a chart to patch."""
    figs = {}
    grids = feature_map_grids(snap)
    have = len(grids)
    # not drawn yet: hidden, and a note says when they come (not dark maps, nor a grey square, read as "silent")
    grids += [(f"block {i + 1}", np.full((1, 1), SEP, np.uint8)) for i in range(len(grids), n_blocks)]
    for i, (name, g) in enumerate(grids, start=1):
        data = [_picture_trace(g, name, MAPS, visible=i <= have), _note_trace(f"The maps {NOT_YET}", i > have)]
        figs[f"fmap{i}"] = {"data": data, "layout": _layout(
            title={"text": f"Feature maps, {name}", "font": {"size": 13}}, height=260, **_image_axes())}
    return figs


# ---------------------------------------------------------------- metrics

def confusion_traces(snap: ImageSnapshot, class_names: list[str]) -> list[dict[str, Any]]:
    """The counts as a heatmap, then a note; before the first test (no confusion yet) the cells are blank, not 0s,
    and the note says when they come."""
    cm = snap.get("confusion")
    waiting = cm is None
    cm = np.zeros((len(class_names), len(class_names)), np.int64) if cm is None else np.asarray(cm)
    names = list(class_names)[:cm.shape[0]] or [str(i) for i in range(cm.shape[0])]
    rowsum = np.maximum(cm.sum(axis=1, keepdims=True), 1)
    frac = (cm / rowsum).astype(np.float32)  # colour by the fraction of the true class, text = counts
    text: Any = [[""] * len(names) for _ in names] if waiting else cm.astype(np.int32)
    mid = names[(len(names) - 1) // 2] if names else 0
    return [{"type": "heatmap", "z": frac, "x": names, "y": names, "text": text,
             "texttemplate": "%{text}", "zmin": 0, "zmax": 1, "colorscale": BLUES, "showscale": False,
             "hovertemplate": "true %{y}, predicted %{x}: %{text}<extra></extra>"},
            _note_trace(f"The test-set counts {NOT_YET}", waiting, mid, mid)]


def confusion_figure(snap: ImageSnapshot, class_names: list[str]) -> Fig:
    """Margins grow to the class names (automargin): fixed ones cut "horizontal line" off the rows and put the
    "predicted" title on the slanted column names at 1024x768 (tests/browser/test_layout_browser.py)."""
    return {"data": confusion_traces(snap, class_names), "layout": _layout(
        title={"text": "Confusion matrix (test set)", "font": {"size": 13}}, height=360,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": {"text": "predicted"}, "type": "category", "side": "bottom", "automargin": True},
        yaxis={"title": {"text": "true"}, "type": "category", "autorange": "reversed", "automargin": True})}


def prf_traces(snap: ImageSnapshot, class_names: list[str]) -> list[dict[str, Any]]:
    pc = snap.get("per_class") or {}
    names = list(class_names)
    colours = ("#4393c3", "#f4a582", "#1b7837")
    return [{"type": "bar", "name": m, "x": names, "y": [float(v) for v in pc.get(m, [])],
             "marker": {"color": c}, "hovertemplate": "%{x}: " + m + " %{y:.2f}<extra></extra>"}
            for m, c in zip(("precision", "recall", "f1"), colours, strict=True)]


def prf_figure(snap: ImageSnapshot, class_names: list[str]) -> Fig:
    pc = snap.get("per_class") or {}
    extra = f" · macro F1 {pc['macro_f1']:.2f}" if "macro_f1" in pc else ""
    return {"data": prf_traces(snap, class_names), "layout": _layout(
        title={"text": f"Per-class precision / recall / F1{extra}", "font": {"size": 13}}, height=360,
        showlegend=True, barmode="group", plot_bgcolor="#fafafa", margin={"l": 40, "r": 10, "t": 30, "b": 60},
        legend={"orientation": "h", "y": -0.08, "x": 0.0, "xanchor": "left", "yanchor": "top"},
        xaxis={"type": "category"}, yaxis={"range": [0, 1.05]})}


# ---------------------------------------------------------------- mistakes gallery

def _gallery_cell(i: int, h: int, w: int) -> tuple[float, float]:
    r, c = divmod(i, GALLERY_COLS)
    return c * (w * 1.25), r * (h * ROW_H)


def mistakes_traces(snap: ImageSnapshot, images: np.ndarray | None, class_names: list[str]) -> list[dict[str, Any]]:
    """MAX_MISTAKES picture traces (empty when fewer mistakes) and one text trace with true/pred/top-3."""
    mistakes = (snap.get("mistakes") or [])[:MAX_MISTAKES]
    h, w = (images.shape[2], images.shape[3]) if images is not None else (8, 8)

    def name(c: int) -> str:
        return class_names[c] if 0 <= c < len(class_names) else str(c)

    traces, tx, ty, text = [], [], [], []
    for i in range(MAX_MISTAKES):
        x0, y0 = _gallery_cell(i, h, w)
        m = mistakes[i] if i < len(mistakes) else None
        if m is None or images is None or m["index"] >= len(images):
            z = np.full((h, w), 255, np.uint8)
        else:
            img = images[m["index"]]
            z = cap(img[0]) if img.shape[0] == 1 else img.transpose(1, 2, 0)
        traces.append(_picture_trace(z, f"mistake {i + 1}", x0=x0, y0=y0, dx=1, dy=1, visible=m is not None))
        if m is not None:
            tx.append(x0 + w / 2)
            ty.append(y0 + h + 0.1 * h)
            top = "<br>".join(f"{name(c)}: {100 * p:.0f}%" for c, p in m["top3"])
            # two lines: "true circle → diagonal line" on one ran into its neighbours' at 1024 px (72_mistakes_crop)
            text.append(f"<b>true {name(m['true'])}<br>→ {name(m['pred'])}</b><br>{top}")
    if not mistakes:  # said where the pictures will be, in the text trace the first patch with data rewrites
        tx, ty = [GALLERY_COLS * w * 1.25 / 2], [h]
        text = ["<i>The test images it gets wrong appear after the first epoch</i>" if snap.get("confusion") is None
                else "<i>No mistakes on the test set</i>"]
    traces.append({"type": "scatter", "mode": "text", "x": tx, "y": ty, "text": text, "textposition": "bottom center",
                   "textfont": {"size": 10}, "hoverinfo": "skip", "name": "labels"})
    return traces


def mistakes_figure(snap: ImageSnapshot, images: np.ndarray | None, class_names: list[str]) -> Fig:
    """Room for every possible mistake while training (live patches cannot resize a chart); a finished run's
    gallery takes only the rows it fills."""
    h, w = (images.shape[2], images.shape[3]) if images is not None else (8, 8)
    rows = -(-MAX_MISTAKES // GALLERY_COLS)
    if snap.get("final"):
        rows = max(1, -(-len((snap.get("mistakes") or [])[:MAX_MISTAKES]) // GALLERY_COLS))
    axes = _image_axes()
    axes["xaxis"]["range"] = [-0.5, GALLERY_COLS * w * 1.25 - 0.25 * w]
    axes["yaxis"].pop("autorange")
    axes["yaxis"]["range"] = [rows * h * ROW_H, -0.5]
    return {"data": mistakes_traces(snap, images, class_names), "layout": _layout(
        title={"text": "Most confident mistakes (test set): true → predicted, top-3 probabilities",
               "font": {"size": 13}}, height=190 * rows + 50, **axes)}


# ---------------------------------------------------------------- all figures, live patches

def cnn_figures(snap: ImageSnapshot, class_names: list[str], images: np.ndarray | None, n_blocks: int = 0,
                dense: bool = False) -> dict[str, Fig]:
    """All figures of the page; `n_blocks` (conv blocks of the run) sizes the feature-map row before data;
    `dense` for the MLP baseline."""
    figs = {"loss": loss_figure(snap), "metric": metric_figure(snap), "filters": filters_figure(snap, dense)}
    figs.update(feature_map_figures(snap, n_blocks))
    figs["confusion"] = confusion_figure(snap, class_names)
    figs["prf"] = prf_figure(snap, class_names)
    figs["mistakes"] = mistakes_figure(snap, images, class_names)
    return figs


def cnn_rows(figs: dict[str, Fig], per_row: int = 3) -> list[list[str]]:
    """The page layout: curves and filters, feature maps (a few per row), metrics, the gallery."""
    fmaps = [k for k in figs if k.startswith("fmap")]
    rows = [["loss", "metric", "filters"]]
    rows += [fmaps[i:i + per_row] for i in range(0, len(fmaps), per_row)]
    return rows + [["confusion", "prf"], ["mistakes"]]


PICTURE_BUDGET = 13_000  # characters of pictures per live update; curves and metrics add 1-3 KB


def _picture_patches(snap: ImageSnapshot, class_names: list[str], images: np.ndarray | None) -> list[tuple[str, Any]]:
    """(figure id, a function making its patch) for every picture figure, in page order; made lazily because
    PNG-encoding the pictures an update leaves out would be wasted work."""
    def filters() -> dict[int, dict]:
        return _shown(filters_traces(snap)[0]["source"])

    def fmap(g: np.ndarray) -> Any:
        return lambda: _shown(png_uri(g, MAPS))

    def gallery() -> dict[int, dict]:
        traces = mistakes_traces(snap, images, class_names)
        return {i: ({"source": t["source"], "visible": t["visible"]} if t["type"] == "image" else
                    {"x": t["x"], "y": t["y"], "text": t["text"]}) for i, t in enumerate(traces)}

    items: list[tuple[str, Any]] = [("filters", filters)]
    items += [(f"fmap{i}", fmap(g)) for i, (_, g) in enumerate(feature_map_grids(snap), start=1)]
    if snap.get("confusion") is not None:
        items.append(("mistakes", gallery))
    return items


def _size(patch: dict[int, dict]) -> int:
    return sum(len(v) for values in patch.values() for v in values.values() if isinstance(v, str))


def cnn_patches(snap: ImageSnapshot, class_names: list[str], images: np.ndarray | None, have: int = 0,
                turn: int | None = None, left: int | None = None) -> dict[str, Any]:
    """Only what changes while training: curves since epoch `have`, metrics, and pictures as PNGs.

    With `turn` the pictures go round in page order from index `turn`, at most PICTURE_BUDGET per update, so a deep
    net's dozen feature-map grids cost what one small net's do. The result's SWEEP entry says where the round goes
    on (`next`) and how many pictures of this snapshot are still to send (`left`); the browser then asks again with
    `left` (a continuation: only pictures) until the snapshot is complete, one poll interval apart. Without `turn`
    (and in a run's final snapshot) everything comes at once.
    """
    out: dict[str, Any] = {}
    if left is None:
        out["loss"] = _curve_patch(loss_traces(snap), have)
        out["metric"] = _curve_patch(metric_traces(snap), have)
        if snap.get("confusion") is not None:
            t = confusion_traces(snap, class_names)[0]
            out["confusion"] = {0: {"z": t["z"], "text": t["text"]}, 1: {"visible": False}}
            out["prf"] = {i: {"y": t["y"]} for i, t in enumerate(prf_traces(snap, class_names))}
    items = _picture_patches(snap, class_names, images)
    if turn is None or snap.get("final"):
        out.update((fid, make()) for fid, make in items)
        return out
    start, todo = turn % len(items), len(items) if left is None else min(left, len(items))
    sent = used = 0
    while sent < todo:
        fid, make = items[(start + sent) % len(items)]
        patch = make()
        if sent and used + _size(patch) > PICTURE_BUDGET:
            break
        out[fid] = patch
        used += _size(patch)
        sent += 1
    out[SWEEP] = {"next": (start + sent) % len(items), "left": todo - sent}
    return out


def live_patcher(snap: ImageSnapshot, opts: dict[str, str]) -> dict[str, Any]:
    """The 'cnn' patcher of ui.live: opts carry the data key (for test images), `have`, `turn` and `left`."""
    images, names = known_test_images(opts.get("data", ""))
    if not names:
        n = len(snap.get("confusion") if snap.get("confusion") is not None else [])
        names = [str(i) for i in range(n)]
    have, turn, left = opts.get("have", "0"), opts.get("turn", ""), opts.get("left", "")
    return cnn_patches(snap, names, images, int(have) if have.isdigit() else 0, int(turn) if turn.isdigit() else None,
                       int(left) if left.isdigit() and int(left) > 0 else None)


# ---------------------------------------------------------------- predictions (not live)

def probabilities_figure(probs: np.ndarray, class_names: list[str], true: int | None = None) -> Fig:
    p = np.asarray(probs, dtype=np.float64).ravel()
    best = int(p.argmax()) if p.size else -1
    colours = [PALETTE[1] if i == best else ("#2ca02c" if i == true else "#b0b0b0") for i in range(p.size)]
    return {"data": [{"type": "bar", "x": list(class_names)[:p.size], "y": p.tolist(), "marker": {"color": colours},
                      "hovertemplate": "%{x}: %{y:.3f}<extra></extra>"}],
            "layout": _layout(title={"text": f"Class probabilities: predicted {class_names[best]} "
                                             f"({100 * p[best]:.1f}%)" if p.size else "Class probabilities",
                                     "font": {"size": 13}},
                              height=280, plot_bgcolor="#fafafa", margin={"l": 40, "r": 10, "t": 30, "b": 40},
                              xaxis={"type": "category"}, yaxis={"range": [0, 1.02]})}


def picture_figure(z: np.ndarray, title: str, height: int = 260, colorscale: Any = GREYS) -> Fig:
    """One picture; grey images use the whole 0..254 range (255 is the separator colour of tilings)."""
    return {"data": [_picture_trace(z, title, colorscale)],
            "layout": _layout(title={"text": title, "font": {"size": 13}}, height=height, **_image_axes())}


def augmentation_figure(images: np.ndarray, title: str) -> Fig:
    """A row of float 0..1 images [n, C, H, W] as one picture (augmentation preview)."""
    from_unit = np.clip(np.rint(np.asarray(images, np.float32) * 255), 0, 255).astype(np.uint8)
    n, c, h, w = from_unit.shape
    tiles = from_unit.transpose(0, 2, 3, 1) if c == 3 else np.minimum(from_unit[:, 0], SEP - 1)
    out = np.full((h, n * (w + 1) - 1, *tiles.shape[3:]), 255, np.uint8)
    for i in range(n):
        out[:, i * (w + 1):i * (w + 1) + w] = tiles[i]
    return picture_figure(out, title, height=150)
