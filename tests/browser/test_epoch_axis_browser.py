"""The Playground's curves over few epochs in chromium: a curve of one point shows (a marker: a line through one
point draws nothing) and a short run ticks whole epochs -- in the live view (ui/live.js, driven by a scripted
route) and in the static chart of a finished one-epoch run (the real app)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot
from tests.browser.test_live_browser import _harness

pytestmark = [pytest.mark.browser]

HARNESS = """<!doctype html><html><body><div id="host"><div class="nnlive"></div></div>
<script type="module">
import run from "/live.js";
window.__done = [];
const figures = {loss: {data: [{type: "scatter", mode: "lines", x: [], y: []},
                               {type: "scatter", mode: "markers", x: [], y: []}],
                        layout: {height: 260, width: 400, xaxis: {title: {text: "epoch"}}}}};
run({data: {figures, rows: [["loss"]], url: "/snap/job", plotly: "/plotly.js", kind: "playground", active: true,
            seq: 0, status: "running", opts: {}, poll: 40},
     parentElement: document.getElementById("host"),
     setTriggerValue: (name, value) => window.__done.push([name, value])});
</script></body></html>"""
# what the loss chart shows: the first curve's mode, how many of its points are drawn, the epoch axis's tick labels
DRAWN = """(sel) => { const d = document.querySelector(sel); if (!d || !d._fullData) return null;
  const trace = d.querySelectorAll('.scatterlayer .trace')[0];
  return {mode: d._fullData[0].mode, points: trace ? trace.querySelectorAll('.points path').length : 0,
          ticks: [...d.querySelectorAll('.xtick text')].map((t) => t.textContent)}; }"""


def _msg(seq: int, status: str, epochs: list[int]) -> dict:
    # the mode as the server's patch says it (ui.plots' patches, ui.curve_style.as_drawn): a marker while one point
    shown = {"mode": "lines+markers" if epochs[-1] == 1 else "lines", "showlegend": True}
    return {"seq": seq, "status": status, "patches": {"loss": {"0": {"x": epochs, "y": [0.5] * len(epochs),
                                                                     "extend": True, **shown}}},
            "info": {"status": status, "epoch": epochs[-1], "epochs": 100, "elapsed": 1.0}}


def _drawn(page, seq: int, sel: str = ".nnlive [data-fig=loss]") -> dict:
    page.wait_for_function(f"() => document.querySelector('.nnlive').dataset.seq === '{seq}'")
    page.wait_for_timeout(300)  # the frame after the answer draws it
    return page.evaluate(DRAWN, sel)


def _whole(ticks: list[str]) -> bool:
    return bool(ticks) and all(t.replace("\u2212", "-").lstrip("-").isdigit() for t in ticks)


def test_the_live_curve_of_one_epoch_shows_and_short_runs_tick_whole_epochs(page) -> None:
    _harness(page, [_msg(1, "running", [1])], HARNESS)
    one = _drawn(page, 1)
    assert one["mode"] == "lines+markers" and one["points"] == 1, one
    assert _whole(one["ticks"]), one  # 0, 1, 2 -- not 0, 0.5, 1, 1.5, 2
    shot(page, "epoch_axis_live_one")


def test_the_marker_goes_once_the_curve_has_a_line_and_three_epochs_tick_whole(page) -> None:
    _harness(page, [_msg(1, "running", [1]), _msg(2, "running", [2, 3])], HARNESS)  # the last answer stays
    three = _drawn(page, 2)
    assert three["mode"] == "lines" and three["points"] == 0, three
    assert three["ticks"] == ["1", "2", "3"], three  # plotly's own: 1, 1.5, 2, 2.5, 3


def test_a_long_run_gets_plotlys_ticks_back(page) -> None:
    _harness(page, [_msg(1, "running", [1]), _msg(2, "running", list(range(2, 41)))], HARNESS)
    forty = _drawn(page, 2)
    assert _whole(forty["ticks"]) and len(forty["ticks"]) < 12, forty  # 0, 10, 20, ...: not a tick per epoch


@pytest.mark.slow
def test_a_finished_one_epoch_run_draws_its_point(server, page) -> None:
    page.goto(f"{server}/?train.epochs=1&train.until_paused=false")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=/Epoch 1 \\/ 1/", timeout=60_000)
    loss = ("[data-testid=stPlotlyChart]:has(.gtitle:text-is('Loss: train vs validation')) .js-plotly-plot")
    page.wait_for_selector(loss, timeout=30_000)
    page.wait_for_timeout(1000)
    shot(page, "epoch_axis_one_epoch_run")
    drawn = page.evaluate(DRAWN.replace("document.querySelector(sel)", "sel"), page.query_selector(loss))
    assert drawn["mode"] == "lines+markers" and drawn["points"] == 1, drawn
    assert _whole(drawn["ticks"]), drawn


# the axes' ranges as plotly.js resolved them, per chart
RANGES = """() => Object.fromEntries([...document.querySelectorAll('.nnlive [data-fig]')].filter((d) => d._fullLayout)
  .map((d) => [d.dataset.fig, {x: d._fullLayout.xaxis.range, y: d._fullLayout.yaxis.range}]))"""


def _still_harness(figures: dict) -> str:
    """live.js drawing the page's own figures, as a page does before any run (no job to poll)."""
    import json

    from ui.plots import encode

    rows = json.dumps([[k] for k in figures])
    return f"""<!doctype html><html><body><div id="host" style="width: 600px"><div class="nnlive"></div></div>
<script type="module">
import run from "/live.js";
run({{data: {{figures: {json.dumps(encode(figures))}, rows: {rows}, url: null, plotly: "/plotly.js",
             kind: "playground", active: false, seq: 0, status: "", opts: {{}}, poll: 40}},
     parentElement: document.getElementById("host"), setTriggerValue: () => null}});
</script></body></html>"""


@pytest.mark.parametrize("regression", [False, True])  # a classification's accuracy chart, a regression's RMSE chart
def test_the_empty_curve_charts_before_training_start_at_zero(page, regression: bool) -> None:
    """Before the first epoch the penalty chart showed empty axes from -1 (epochs -1..6, objective -1..4), as plotly
    draws an axis with no data: every curve chart's empty axes now start at 0, like the loss chart's y axis."""
    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from ui.plots import playground_figures

    cfg = RunConfig().replace(data={"dataset": "plane" if regression else "circle"})
    data = load_data(cfg)
    points = {"train": (data.points_train[:, 0], data.points_train[:, 1], data.y_train)}
    figs = playground_figures({}, points, data.domain, ["x1", "x2"], False, False, data.n_classes, regression)
    curves = {k: figs[k] for k in ("loss", "metric", "penalty")}
    _harness(page, [], _still_harness(curves))
    page.wait_for_function("() => document.querySelectorAll('.nnlive .main-svg').length >= 3")
    ranges = page.evaluate(RANGES)
    shot(page, f"empty_curves_{'regression' if regression else 'classification'}")
    assert set(ranges) == set(curves)
    for fig, r in ranges.items():
        assert r["x"][0] == 0 and r["x"][1] > 1 and r["y"][0] == 0 and r["y"][1] > 0, (fig, r)
