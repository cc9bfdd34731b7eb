"""The lab charts drawn by plotly.js (the library the live view loads, ui.live.plotly_path) at the width a chart
gets in a two-chart row at 1024x768 (~430 px) and at 1280x720 (~550 px): no legend on an axis title or on the tick
labels. A walkthrough saw the fitting lab's data-size legend (ten entries) sitting on the "epoch" title at 1024 px.
No server: each figure dict the page would draw is rendered alone in a blank page."""

from __future__ import annotations

import json

import numpy as np
import pytest

from ui.labs.train_plots import filled, overlay_figure, overlay_patch, rate_figure, sweep_figure, sweep_patch
from ui.live import plotly_path
from ui.plots import encode

pytestmark = pytest.mark.browser
WIDTHS = (430, 550)  # a chart's column in the labs' two-chart rows at 1024 and 1280 px
SIZES = (25, 50, 100, 400, 800)

BOXES = """() => {
  const boxes = (sel) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect())
    .filter((b) => b.width > 0 && b.height > 0).map((b) => [b.left, b.top, b.right, b.bottom]);
  return {legend: boxes('.legend .traces'), titles: boxes('.g-xtitle text, .g-ytitle text'),
          ticks: boxes('.xtick text, .ytick text'), plot: boxes('.nsewdrag'), chart: boxes('#chart')};
}"""


def _runs(epochs: int = 60) -> list[dict]:
    rng = np.random.default_rng(0)
    return [{"label": f"examples = {n}", "history": {"epoch": list(range(1, epochs + 1)),
                                                     "train_loss": list(rng.uniform(0.05, 0.8, epochs)),
                                                     "val_loss": list(rng.uniform(0.3, 1.6, epochs))}}
            for n in SIZES]


def _figures() -> dict[str, dict]:
    """The fitting lab's data-size row (sweep + losses) and the learning-rate lab's schedules chart, filled."""
    labels = [f"examples = {n}" for n in SIZES]
    runs = _runs()
    figures = {"sweep": sweep_figure("Loss at the last epoch vs number of examples", SIZES, "examples (log scale)"),
               "loss": overlay_figure("Loss per epoch: train (solid) and validation (dashed)", labels,
                                      ("train", "val")),
               "lr": rate_figure(["constant", "step", "exponential", "cosine", "plateau"],
                                 [[0.3] * 60, [0.3] * 30 + [0.15] * 30, list(0.3 * 0.5 ** np.arange(60)),
                                  list(0.15 * (1 + np.cos(np.pi * np.arange(60) / 60))), [0.3] * 60])}
    patches = {"sweep": sweep_patch(runs, SIZES), "loss": overlay_patch(runs, ("train", "val"))}
    return filled(figures, patches)


def _overlaps(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] - 1 and b[0] < a[2] - 1 and a[1] < b[3] - 1 and b[1] < a[3] - 1


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["sweep", "loss", "lr"])
def test_a_lab_chart_legend_sits_clear_of_its_axes(browser, name: str, width: int):
    fig = _figures()[name]
    ctx = browser.new_context(viewport={"width": width + 40, "height": 700})
    try:
        page = ctx.new_page()
        page.set_content(f"<div id='chart' style='width:{width}px'></div>")
        with open(plotly_path(), encoding="utf-8") as f:
            page.add_script_tag(content=f.read())
        page.evaluate("f => Plotly.newPlot('chart', f.data, f.layout, {displayModeBar: false})",
                      json.loads(json.dumps(encode(fig))))
        boxes = page.evaluate(BOXES)
    finally:
        ctx.close()
    entries = boxes["legend"]
    assert entries, f"the {name} chart has no legend: which line is which?"
    [chart] = boxes["chart"]
    for entry in entries:
        assert entry[0] >= chart[0] - 1 and entry[2] <= chart[2] + 1, f"a legend entry out of the chart: {entry}"
        for kind in ("titles", "ticks", "plot"):
            hit = [b for b in boxes[kind] if _overlaps(entry, b)]
            assert not hit, f"the {name} chart's legend entry {entry} lies on its {kind} {hit} at {width} px"
