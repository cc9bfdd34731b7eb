"""Pure functions from a training snapshot to plotly figures (as plain dicts) -- no streamlit import.

Each figure is split into a static layout and traces built by `*_traces` functions. The page draws the whole
figure once; while a job runs the live route sends only `patches()` -- the same trace functions' output -- so no
figure is described twice and the server never rebuilds a plotly object per refresh.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import numpy as np

from nnlib.inspect.snapshot import AnySnapshot, PlaygroundSnapshot
from ui.curve_style import EPOCH_AXIS, LEGEND_BELOW, drawn_traces
from ui.wire import encode, to_u8  # noqa: F401 - encode: ui.plots.encode, as the pages and the live route import it

ORANGE, BLUE = "#f59322", "#0877bd"  # TF Playground's class colours (class 0, class 1)
DIVERGING = [[0.0, ORANGE], [0.5, "#e8eaeb"], [1.0, BLUE]]
PALETTE = ["#f59322", "#0877bd", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]
FONT = {"family": "Inter, Helvetica, Arial, sans-serif", "size": 12}
THUMB = 0.8  # side of a neuron thumbnail in network-diagram units
TEXT, GRID = "#31333f", "#e6e9ef"  # Streamlit's text colour; grid lines (tick labels: #5c6270)
_AXIS = {"gridcolor": GRID, "linecolor": GRID, "zerolinecolor": GRID, "tickfont": {"color": "#5c6270"}}
# The one style of every chart, in the figure itself: plotly.js (live, ui/live.js) and st.plotly_chart (theme=None,
# ui.run_controls.static_chart) draw the same chart -- with Streamlit's theme it changed look when a run ended.
TEMPLATE = {"layout": {"font": {**FONT, "color": TEXT}, "colorway": PALETTE, "hoverlabel": {"font": FONT},
                       "title": {"x": 0.0, "xanchor": "left", "xref": "paper", "font": {"size": 13, "color": TEXT}},
                       "xaxis": _AXIS, "yaxis": _AXIS, "legend": {"font": {"size": 11, "color": TEXT}}}}


def _layout(**kw: Any) -> dict[str, Any]:
    base = {"template": TEMPLATE, "margin": {"l": 40, "r": 10, "t": 30, "b": 35}, "font": FONT,
            "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "#fafafa", "uirevision": "keep", "showlegend": True,
            "legend": LEGEND_BELOW}  # below the axis title
    base.update(kw)
    return base


SWEEP = "__sweep__"  # reserved key of a patches dict: where a round of pictures goes on (ui.live sends it apart)


# ---------------------------------------------------------------- learning curves

def _col(snap: AnySnapshot, key: str) -> list:
    return (snap.get("history") or {}).get(key, [])


def loss_traces(snap: AnySnapshot, show_test: bool = True) -> list[dict[str, Any]]:
    """Train, validation, test and best epoch, always traces 0..3 (patches address them by index). Without
    `show_test` (the Playground's "Show test data" off) the test trace is empty: neither drawn nor in the legend."""
    ep = _col(snap, "epoch")
    test_x, test_y = (ep, _col(snap, "test_loss")) if show_test else ([], [])
    best = snap.get("best_epoch")
    val = _col(snap, "val_loss")
    bx, by = ([best], [val[best - 1]]) if best and val and best <= len(val) else ([], [])
    return drawn_traces([  # a test split measured only at the end (image runs) is one point: a marker
        {"type": "scatter", "mode": "lines", "name": "train", "x": ep, "y": _col(snap, "train_loss"),
         "line": {"color": "#333", "width": 2}},
        {"type": "scatter", "mode": "lines", "name": "validation", "x": ep, "y": val,
         "line": {"color": "#d6604d", "width": 2}},
        {"type": "scatter", "mode": "lines", "name": "test", "x": test_x, "y": test_y,
         "line": {"color": "#92c5de", "width": 1, "dash": "dot"}, "marker": {"symbol": "diamond", "size": 9,
                                                                              "color": "#2166ac"}},
        {"type": "scatter", "mode": "markers", "name": "best epoch", "x": bx, "y": by,
         "marker": {"symbol": "star", "size": 14, "color": "#ffb000", "line": {"color": "#333", "width": 1}}},
    ])


def curves_title(what: str, snap: AnySnapshot, show_test: bool) -> str:
    """"Loss: train vs validation", or "...: train, validation and test" when the chart draws a test curve: with
    `show_test`, and (once there is a history) a test value in it -- the title said "train vs validation" over a
    test line (Playground, "Show test data" on) and a test marker (CNN, measured at the end). Before the first epoch
    it names the test curve to come: a live chart keeps the words it is first drawn with."""
    hist = snap.get("history") or {}
    tested = any(v is not None for k in ("test_loss", "test_accuracy", "test_rmse") for v in hist.get(k, ()))
    with_test = show_test and (tested or not hist.get("epoch"))
    return f"{what}: train, validation and test" if with_test else f"{what}: train vs validation"


def loss_figure(snap: AnySnapshot, show_test: bool = True) -> dict[str, Any]:
    return {"data": loss_traces(snap, show_test), "layout": _layout(
        title={"text": curves_title("Loss", snap, show_test), "font": {"size": 13}}, height=260,
        xaxis=EPOCH_AXIS, yaxis={"title": {"text": "loss"}, "rangemode": "tozero"})}


def _metric(snap: AnySnapshot, regression: bool | None) -> str:
    """"rmse" or "accuracy": by the task when the caller knows it (before the first epoch the history is empty, and a
    regression's chart, drawn once and then only patched, said "Accuracy" over RMSE values), else by the history."""
    hist = snap.get("history") or {}
    return "rmse" if ("val_rmse" in hist or "train_rmse" in hist if regression is None else regression) else "accuracy"


def metric_traces(snap: AnySnapshot, regression: bool | None = None, show_test: bool = True) -> list[dict[str, Any]]:
    """Train, validation and test, always traces 0..2, styled as the loss chart's (the test curve was on the loss
    chart only); without `show_test` the test trace is empty, as loss_traces's."""
    ep = _col(snap, "epoch")
    m = _metric(snap, regression)
    test_x, test_y = (ep, _col(snap, f"test_{m}")) if show_test else ([], [])
    return drawn_traces([
        {"type": "scatter", "mode": "lines", "name": f"train {m}", "x": ep, "y": _col(snap, f"train_{m}"),
         "line": {"color": "#333"}},
        {"type": "scatter", "mode": "lines", "name": f"validation {m}", "x": ep, "y": _col(snap, f"val_{m}"),
         "line": {"color": "#d6604d"}},
        {"type": "scatter", "mode": "lines", "name": f"test {m}", "x": test_x, "y": test_y,
         "line": {"color": "#92c5de", "width": 1, "dash": "dot"}, "marker": {"symbol": "diamond", "size": 9,
                                                                              "color": "#2166ac"}}])


def metric_figure(snap: AnySnapshot, regression: bool | None = None, show_test: bool = True) -> dict[str, Any]:
    regression = _metric(snap, regression) == "rmse"
    title = curves_title("RMSE" if regression else "Accuracy", snap, show_test)  # fits a 1024 px wide page's chart
    yaxis = {"title": {"text": "rmse (lower is better)" if regression else "accuracy"}, "rangemode": "tozero"}
    if not regression:
        yaxis["range"] = [0, 1.02]
    return {"data": metric_traces(snap, regression, show_test), "layout": _layout(
        title={"text": title, "font": {"size": 13}}, height=260, xaxis=EPOCH_AXIS, yaxis=yaxis)}


def penalty_traces(snap: PlaygroundSnapshot) -> list[dict[str, Any]]:
    ep = _col(snap, "epoch")
    return drawn_traces([
        {"type": "scatter", "mode": "lines", "name": "data loss", "x": ep, "y": _col(snap, "train_loss"),
         "stackgroup": "one", "line": {"color": "#4393c3"}},
        {"type": "scatter", "mode": "lines", "name": "L1/L2 penalty", "x": ep, "y": _col(snap, "train_penalty"),
         "stackgroup": "one", "line": {"color": "#f4a582"}}])


def penalty_figure(snap: PlaygroundSnapshot) -> dict[str, Any]:
    return {"data": penalty_traces(snap), "layout": _layout(
        title={"text": "Data loss vs regularization penalty", "font": {"size": 13}}, height=260,
        xaxis=EPOCH_AXIS, yaxis={"title": {"text": "training objective"}, "rangemode": "tozero"})}  # as loss's


# ---------------------------------------------------------------- decision boundary

def grid_z(snap: PlaygroundSnapshot, discretize: bool = False, step: int = 1) -> tuple[np.ndarray | None, str]:
    """The heatmap values as uint8 and what they mean: 'prob' (P(class 1)), 'cls' or 'value'; every `step`-th
    row and column (sliced before quantizing: the live patch and the diagram's output send a fraction of it)."""
    g = snap.get("grid") or {}
    if "value" in g:
        return to_u8(np.asarray(g["value"])[::step, ::step].astype(np.float32), -1.0, 1.0), "value"
    if "prob" in g and "cls" not in g or ("prob" in g and np.asarray(g.get("cls")).max(initial=0) <= 1):
        p = np.asarray(g["prob"])[::step, ::step].astype(np.float32)  # sliced first: converts only what is sent
        if discretize:
            p = (p > 0.5).astype(np.float32)
        return to_u8(p, 0.0, 1.0), "prob"
    if "cls" in g:
        return np.asarray(g["cls"])[::step, ::step].astype(np.uint8), "cls"
    return None, ""


def boundary_traces(snap: PlaygroundSnapshot, points: dict[str, Any], show_test: bool, discretize: bool,
                    n_classes: int, regression: bool = False) -> list[dict[str, Any]]:
    """Heatmap of the model's output over the plane + the data points (training, and test on request)."""
    g = snap.get("grid") or {}
    z, kind = grid_z(snap, discretize)
    kind = kind or ("value" if regression else "")  # no grid yet (a cold server's first draw): the task says
    xs, ys = g.get("xs"), g.get("ys")
    # "fast" lets the browser scale the image smoothly (~75 ms a draw); "best" interpolates every pixel in JS
    # (~200 ms), which capped the live view near 3 updates/s
    heat: dict[str, Any] = {"type": "heatmap", "x": xs, "y": ys, "z": z, "hoverinfo": "skip", "zsmooth": "fast",
                            "showscale": kind != "cls"}
    if kind == "cls":
        k = max(n_classes, 2)
        heat.update(zmin=-0.5, zmax=k - 0.5, opacity=0.55, zsmooth=False,
                    colorscale=[[i / (k - 1) if k > 1 else 0, PALETTE[i % 10]] for i in range(k)])
    else:
        heat.update(zmin=0, zmax=255, colorscale=DIVERGING,
                    colorbar={"tickvals": [0, 127.5, 255], "thickness": 10, "len": 0.8,
                              "ticktext": ["-1", "0", "1"] if kind == "value" else ["0", "0.5", "1"],
                              "title": {"text": "ŷ" if kind == "value" else "P(blue)", "side": "right"}})
    traces = [heat]
    for split, symbol, line in (("train", "circle", "white"), ("test", "circle-open", "#222")):
        pts = points.get(split)
        if pts is None:
            continue
        x, y, label = pts
        if kind == "value" or label.dtype.kind == "f":
            color: Any = to_u8(label, -1.0, 1.0)
            marker = {"color": color, "colorscale": DIVERGING, "cmin": 0, "cmax": 255}
        else:
            marker = {"color": [PALETTE[int(c) % 10] for c in label]}
        marker.update(size=6 if split == "train" else 7, symbol=symbol, line={"color": line, "width": 1})
        traces.append({"type": "scatter", "mode": "markers", "name": f"{split} points", "x": x, "y": y,
                       "marker": marker, "visible": True if split == "train" or show_test else "legendonly",
                       "hovertemplate": "x1=%{x:.2f}<br>x2=%{y:.2f}<extra>" + split + "</extra>"})
    return traces


def boundary_figure(snap: PlaygroundSnapshot, points: dict[str, Any], domain: tuple[float, float, float, float],
                    show_test: bool = False, discretize: bool = False, n_classes: int = 2,
                    height: int = 420, regression: bool = False) -> dict[str, Any]:
    """Square axes whatever the chart's shape (both axes shrink to fit, neither range stretches); no legend -- the
    points' colours are the classes, and "Show test data" says which points are drawn. Titled by task: a regression
    predicts a number everywhere, a surface with no boundary in it."""
    x0, x1, y0, y1 = domain
    title = "Output: predicted value ŷ over the plane" if regression else "Output: decision boundary"
    return {"data": boundary_traces(snap, points, show_test, discretize, n_classes, regression), "layout": _layout(
        title={"text": title, "font": {"size": 13}}, height=height, showlegend=False,
        xaxis={"range": [x0, x1], "title": {"text": "x1"}, "constrain": "domain"},
        yaxis={"range": [y0, y1], "title": {"text": "x2"}, "scaleanchor": "x", "constrain": "domain"},
        margin={"l": 40, "r": 10, "t": 30, "b": 30})}


# ---------------------------------------------------------------- network diagram

MAX_SHOWN = 8  # neurons drawn per layer, as in TF Playground: wider layers show the first 7 and a "+N more" node


def layer_widths(weights: list[dict[str, np.ndarray]]) -> list[int]:
    """Neurons per layer, inputs first: a hidden layer's count is what the next layer reads (a maxout layer's
    weight has pieces x neurons rows)."""
    if not weights:
        return [1]
    return [weights[0]["weight"].shape[1]] + [w["weight"].shape[1] for w in weights[1:]] + [
        weights[-1]["weight"].shape[0]]


def shown_count(n: int) -> int:
    """How many of a layer's n neurons get a thumbnail (the rest are summed up as "+N more")."""
    return n if n <= MAX_SHOWN else MAX_SHOWN - 1


def _positions(widths: list[int]) -> list[list[tuple[float, float]]]:
    """Centres of the drawn nodes (and of the "+N more" node, last, where a layer is cut) -- at most MAX_SHOWN rows,
    so the diagram's height does not grow with the layer width."""
    rows = [min(n, MAX_SHOWN) for n in widths]
    tallest = max(rows)
    return [[(2.2 * li, -((tallest - n) / 2 + i)) for i in range(n)] for li, n in enumerate(rows)]


def network_traces(snap: PlaygroundSnapshot, feature_names: list[str]) -> list[dict[str, Any]]:
    """Links coloured by sign and sized by |w| (in 6 bins), then one small heatmap per input and drawn neuron."""
    weights = snap.get("weights") or []
    inputs = snap.get("inputs")
    neurons = snap.get("neurons") or []
    if not weights or inputs is None:
        return []
    widths = layer_widths(weights)
    shown = [shown_count(n) for n in widths]
    pos = _positions(widths)
    wmax = max(float(np.abs(w["weight"]).max()) for w in weights) or 1.0
    bins: dict[tuple[int, int], tuple[list, list]] = {(s, b): ([], []) for s in (0, 1) for b in range(3)}
    # a link's ends depend on its nodes only: rounded once per node, not per link (the live route runs this often)
    starts = [[(round(x + THUMB / 2, 2), round(y, 2)) for x, y in layer] for layer in pos]
    ends = [[(round(x - THUMB / 2, 2), round(y, 2)) for x, y in layer] for layer in pos]
    for li, layer in enumerate(weights):
        w = np.asarray(layer["weight"])
        n_out, n_in = shown[li + 1], shown[li]
        k = w.shape[0] // widths[li + 1] if widths[li + 1] else 1  # maxout: pieces per neuron
        means = w[:n_out * k, :n_in].reshape(n_out, k, n_in).mean(axis=1).tolist()  # [j][i]: neuron j's piece mean
        for j in range(n_out):
            xb, yb = ends[li + 1][j]
            for i in range(n_in):
                v = means[j][i]
                xs, ys = bins[(int(v >= 0), min(2, int(3 * abs(v) / wmax)))]
                xa, ya = starts[li][i]
                xs += [xa, xb, None]
                ys += [ya, yb, None]
    traces = [{"type": "scatter", "mode": "lines", "x": xs, "y": ys, "hoverinfo": "skip", "showlegend": False,
               "line": {"color": BLUE if s else ORANGE, "width": 0.8 + 2.4 * b}, "opacity": 0.35 + 0.25 * b}
              for (s, b), (xs, ys) in bins.items()]
    maps = list(inputs)[:shown[0]]
    names = list(feature_names[:len(maps)]) + [f"input {i + 1}" for i in range(len(feature_names), len(maps))]
    spots = list(pos[0][:len(maps)])
    for li, layer in enumerate(neurons[:len(widths) - 2]):
        count = min(shown[li + 1], len(layer))
        maps += list(layer[:count])
        names += [f"hidden {li + 1}, neuron {j + 1}" for j in range(count)]
        spots += pos[li + 1][:count]
    n_inputs = min(len(inputs), shown[0])
    g = snap.get("grid") or {}
    rows = len(g["value"] if "value" in g else g.get("prob", ()))
    z, kind = grid_z(snap, step=max(1, rows // 20))
    if z is not None and kind != "cls" and widths[-1] == 1:  # the output neuron shows the (small) boundary
        maps.append(z.astype(np.float32) / 127.5 - 1.0)
        spots.append(pos[-1][0])
        names.append("output")
    for idx, (m, (cx, cy), name) in enumerate(zip(maps, spots, names, strict=True)):
        m = np.asarray(m, dtype=np.float32)
        res = m.shape[0]
        lo, hi = (float(m.min()), float(m.max())) if idx < n_inputs else (-1.0, 1.0)
        if hi - lo < 1e-6:
            hi = lo + 1e-6
        traces.append({"type": "heatmap", "z": to_u8(m, lo, hi), "x0": cx - THUMB / 2, "dx": THUMB / res,
                       "y0": cy - THUMB / 2, "dy": THUMB / res, "zmin": 0, "zmax": 255, "colorscale": DIVERGING,
                       "showscale": False, "hovertemplate": name + "<extra></extra>", "name": name})
    return traces


def network_figure(snap: PlaygroundSnapshot, feature_names: list[str]) -> dict[str, Any]:
    """The diagram's frame: layer titles, input names and a "+N more" node per cut layer; at most MAX_SHOWN rows
    high whatever the widths (three layers of 32 once made it 1,532 px and pushed the curves off the screen)."""
    widths = layer_widths(snap.get("weights") or [])
    pos = _positions(widths)
    rows = max(min(n, MAX_SHOWN) for n in widths)
    short = len(widths) > 6  # more than four hidden layers: "hidden 1" labels would run into each other
    labels = ["in" if short else "input"] + [f"{'h' if short else 'hidden '}{i}" for i in range(1, len(widths) - 1)] + [
        "out" if short else "output"]
    ann = [{"x": layer[0][0], "y": 0.75, "text": labels[li], "showarrow": False,
            "font": {"size": 11, "color": "#555"}} for li, layer in enumerate(pos) if layer]
    ann += [{"x": pos[0][i][0] - THUMB / 2 - 0.1, "y": pos[0][i][1], "text": name, "showarrow": False,
             "xanchor": "right", "font": {"size": 10}} for i, name in enumerate(feature_names[:shown_count(widths[0])])]
    ann += [{"x": layer[-1][0], "y": layer[-1][1], "text": f"+{n - shown_count(n)}<br>more", "showarrow": False,
             "font": {"size": 10, "color": "#555"}, "bordercolor": "#bbb", "borderpad": 2, "bgcolor": "#f4f4f4"}
            for n, layer in zip(widths, pos, strict=True) if n > MAX_SHOWN]
    return {"data": network_traces(snap, feature_names), "layout": _layout(
        title={"text": "Network: what each neuron computes", "font": {"size": 13}}, showlegend=False,
        height=max(260, 40 * rows + 60), annotations=ann, plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False, "range": [-1.6, 2.2 * (len(widths) - 1) + 0.6], "fixedrange": True},
        yaxis={"visible": False, "range": [-rows + 0.4, 1.0], "fixedrange": True},
        margin={"l": 10, "r": 10, "t": 30, "b": 10})}


# ---------------------------------------------------------------- live patches

TOP_ROW_HEIGHT = 340  # boundary and loss curve side by side: both in the first screen at 1280x720


def playground_figures(snap: PlaygroundSnapshot, points: dict[str, Any], domain: tuple[float, float, float, float],
                       feature_names: list[str], show_test: bool, discretize: bool,
                       n_classes: int, regression: bool = False) -> dict[str, dict[str, Any]]:
    """Every Playground chart; `regression` (the data view's problem) words the output and metric charts by task:
    before the first epoch neither the grid nor the history says it, and a live chart keeps its first words."""
    loss = loss_figure(snap, show_test)
    loss["layout"]["height"] = TOP_ROW_HEIGHT
    return {"boundary": boundary_figure(snap, points, domain, show_test, discretize, n_classes, TOP_ROW_HEIGHT,
                                        regression),
            "network": network_figure(snap, feature_names), "loss": loss,
            "metric": metric_figure(snap, regression, show_test), "penalty": penalty_figure(snap)}


def _curve_patch(traces: list[dict[str, Any]], have: int, max_points: int = 150) -> dict[int, dict]:
    """Line traces send only the epochs after `have` (the last epoch the browser has), as float32 arrays and at
    most ~max_points of them (the fast path trains ~1000 epochs/s; the final static view has every epoch).
    Markers are replaced."""
    out: dict[int, dict] = {}
    for i, t in enumerate(traces):
        shown = {k: t[k] for k in ("mode", "showlegend", "visible") if k in t}  # ui.curve_style.as_drawn's say
        if t.get("mode") != "lines":
            out[i] = {"x": t["x"], "y": t["y"], **shown}
            continue
        xs, ys = t["x"], t["y"]
        start = bisect.bisect_right(xs, have)  # epochs ascend; only the tail is converted (history can be 10k long)
        idx = np.arange(len(xs) - start)
        if len(idx) > max_points:
            step = math.ceil(len(idx) / max_points)
            idx = np.unique(np.append(idx[::step], idx[-1]))
        x = np.asarray(xs[start:], dtype=np.float32)
        y = np.asarray([np.nan if v is None else v for v in ys[start:]], dtype=np.float32)
        out[i] = {"x": x[idx], "y": y[idx] if len(ys) == len(xs) else y[:0], "extend": True, **shown}
    return out


def playground_patches(snap: PlaygroundSnapshot, feature_names: list[str], discretize: bool, have: int = 0,
                       grid_step: int = 2, show_test: bool = True) -> dict[str, dict[int, dict]]:
    """Only what changed while training: per figure, trace index -> new data. The boundary is sent at half
    resolution (the heatmap interpolates), curves as the epochs since `have`."""
    return {**picture_patches(snap, feature_names, discretize, grid_step), **curve_patches(snap, have, show_test)}


def picture_patches(snap: PlaygroundSnapshot, feature_names: list[str], discretize: bool,
                    grid_step: int = 2) -> dict[str, dict[int, dict]]:
    """The boundary's and the diagram's part of the patches: the same for every browser, so a job's worker can
    build it once per snapshot (ui.live_parts); the curves depend on what each browser has."""
    z, _ = grid_z(snap, discretize, step=grid_step)
    g = snap.get("grid") or {}
    net = network_traces(snap, feature_names)
    boundary = {} if z is None else {0: {"z": z, "x": np.asarray(g["xs"])[::grid_step],
                                         "y": np.asarray(g["ys"])[::grid_step]}}
    return {"boundary": boundary,
            "network": {i: ({"z": t["z"]} if t["type"] == "heatmap" else {"x": t["x"], "y": t["y"]})
                        for i, t in enumerate(net)}}


def curve_patches(snap: PlaygroundSnapshot, have: int, show_test: bool = True) -> dict[str, dict[int, dict]]:
    return {"loss": _curve_patch(loss_traces(snap, show_test), have),
            "metric": _curve_patch(metric_traces(snap, show_test=show_test), have),
            "penalty": _curve_patch(penalty_traces(snap), have)}

