"""What every learning-curve chart does alike, whichever page draws it (no streamlit): a legend names only curves
that have points, a curve of one point is drawn as a marker, and an epoch axis of a short run ticks whole epochs.

Walkthroughs saw a greyed "test" legend entry with no curve (a split not measured yet, or only at the end), a
one-epoch run's chart left blank (a 'lines' trace cannot draw a single point), and epoch ticks 1.5 and 2.5 on a
three-epoch run. ui.live.js applies the same tick rule while a run trains (wholeEpochs).
"""

from __future__ import annotations

from typing import Any

import numpy as np

WHOLE_EPOCH_SPAN = 10  # epoch axes spanning at most this many epochs tick every epoch (beyond, plotly's ticks are >= 2)
# automargin: the legend below never meets the title; nonnegative: an empty chart (before the first epoch) spans
# epochs 0..6 like its 0-based loss axis, not plotly's -1..6, and a run's curves (epochs >= 1) are drawn as before
EPOCH_AXIS = {"title": {"text": "epoch"}, "automargin": True, "rangemode": "nonnegative"}
# The legend under a chart, placed in pixels from the bottom of the chart's box (yref "container"): with the x axis'
# automargin (EPOCH_AXIS), plotly then grows the bottom margin to fit it under the axis title. Placed at a fraction
# of the plot's height (y = -0.45), it rose onto the "epoch" title of a short chart (the Images & CNNs loss chart).
LEGEND_BELOW = {"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yref": "container", "yanchor": "bottom"}


def finite(values: Any) -> np.ndarray:
    """The finite numbers of a trace's x or y (None and NaN are gaps)."""
    if values is None:
        return np.zeros(0)
    a = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=np.float64).reshape(-1)
    return a[np.isfinite(a)]


def as_drawn(trace: dict[str, Any]) -> dict[str, Any]:
    """The trace, in the legend only if it has a point to draw, and with a marker when it has exactly one (a line
    needs two). A trace hidden until clicked ("legendonly") is drawn once it has points: a greyed entry read as a
    curve that is missing."""
    n = len(finite(trace.get("y")))
    trace["showlegend"] = n > 0
    if trace.get("visible") == "legendonly" and n:
        trace["visible"] = True
    if trace.get("mode") == "lines" and n == 1:
        trace["mode"] = "lines+markers"
    return trace


def drawn_traces(traces: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [as_drawn(t) for t in traces]


def whole_epochs(fig: dict[str, Any]) -> dict[str, Any]:
    """The figure with every axis titled "epoch" ticking each whole epoch while its curves span at most
    WHOLE_EPOCH_SPAN epochs (plotly's own ticks there are 0.5 apart); a longer or empty axis keeps plotly's ticks.
    A copy of the layout: a figure a page keeps is not changed."""
    layout = dict(fig.get("layout") or {})
    for name, axis in list(layout.items()):
        if not (name.startswith("xaxis") and isinstance(axis, dict)
                and ((axis.get("title") or {}).get("text") == "epoch")):
            continue
        ref = "x" + name[len("xaxis"):]
        xs = [finite(t.get("x")) for t in fig.get("data") or [] if (t.get("xaxis") or "x") == ref]
        xs = [x for x in xs if len(x)]
        axis = {k: v for k, v in axis.items() if k not in ("dtick", "tick0", "tickmode")}
        if xs and max(x.max() for x in xs) - min(x.min() for x in xs) <= WHOLE_EPOCH_SPAN:
            axis.update(tickmode="linear", tick0=0, dtick=1)
        layout[name] = axis
    return {**fig, "layout": layout}
