"""The Playground's learning curves over few epochs: a curve of one point still shows, and epochs tick as whole
numbers.

A line through a single point draws nothing, so a one-epoch run (or the first update of any run) showed empty
charts; and plotly's own ticks over epochs 1 to 3 read 1, 1.5, 2, 2.5, 3 -- half an epoch does not exist. The
static charts get this here; ui/live.js's fitEpochAxis applies the same rule (same FEW_EPOCHS) to the live ones
as their curves grow.
"""

from __future__ import annotations

from typing import Any

FEW_EPOCHS = 10  # up to this last epoch the axis ticks every epoch; beyond it plotly's ticks are whole (2, 5, 10)
CURVES = ("loss", "metric", "penalty")  # the Playground's figures over epochs
LINE_MODES = ("lines", "lines+markers")


def fit_epoch_axis(fig: dict[str, Any]) -> dict[str, Any]:
    """Give each curve of one point a marker (and take it away again once it has more) and tick the epoch axis at
    every epoch while the run is short. In place; returns `fig`."""
    last = 0.0
    for trace in fig["data"]:
        if trace.get("mode") not in LINE_MODES:
            continue
        xs = trace.get("x")
        n = 0 if xs is None else len(xs)  # the history's epochs, a list (or an array)
        trace["mode"] = "lines+markers" if n == 1 else "lines"
        if n:
            last = max(last, float(xs[-1]))
    xaxis = fig["layout"].setdefault("xaxis", {})
    if 0 < last <= FEW_EPOCHS:
        xaxis["dtick"] = 1
    else:
        xaxis.pop("dtick", None)
    return fig
