"""In chromium against the real app: Playground -> Train -> Pin -> Change one knob (3 dropout values) -> the
Compare page overlays 4 runs' curves that grow while they train, and the export downloads."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.browser.conftest import shot, wait_for
from tests.browser.test_live_browser import _harness
from ui import compare_store as store
from ui.compare_plots import compare_figures, compare_patches, compare_rows
from ui.plots import encode

POINTS = """() => { const d = document.querySelector('.nn-fig[data-fig=cmp_loss]');
  return d && d.calcdata ? d.calcdata.map(c => c.filter(p => p.x !== undefined && !Number.isNaN(p.x)).length)
                         : []; }"""
NAMES = "() => (document.querySelector('.nn-fig[data-fig=cmp_loss]') || {}).data.map(t => t.name)"
# the epoch the Compare page's variant group bar says its group is at
GROUP_EPOCH = r"""() => { const m = document.body.innerText.match(/Variant group[^:]*: Epoch (\d+)/);
  return m ? Number(m[1]) : null; }"""
# the epoch the Runs table says its numbers are of, and the one the live charts' status line is at
AS_OF = r"""() => { const m = document.body.innerText.match(/As of epoch (\d+): this table/);
  return {table: m ? Number(m[1]) : null, live: Number(document.querySelector('.nnlive').dataset.epoch || 0)}; }"""


@pytest.mark.slow
def test_pin_change_one_knob_and_compare_live(server, browser) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 720}, accept_downloads=True)
    page = ctx.new_page()
    try:
        page.goto(f"{server}/?data.n_samples=200&model.hidden=8,8")
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_function("() => Number((document.querySelector('.nnlive') || {dataset: {}}).dataset.epoch"
                               " || 0) > 5", timeout=90_000)
        page.get_by_role("button", name="Pin to compare").click()
        page.get_by_text("Pinned Playground run 1.").wait_for(timeout=30_000)
        page.get_by_role("button", name="Change one knob").click()
        values = page.get_by_role("textbox", name="Values")
        values.wait_for(timeout=30_000)
        assert values.input_value() == "0, 0.2, 0.5"  # dropout is the knob the popover starts on
        shot(page, "compare_knob_popover_1280")
        page.get_by_role("button", name="Train the variants").click()
        page.get_by_text("3 variants of dropout are training side by side").wait_for(timeout=30_000)
        page.keyboard.press("Escape")
        shot(page, "compare_playground_after_knob_1280")

        page.locator("[data-testid=stTopNav]").get_by_text("Compare", exact=True).click()
        try:  # the group may wait for a worker a while on a loaded machine
            wait_for(page, POINTS, lambda n: len(n) == 8 and min(n) > 0, timeout=240)  # 4 runs x (train, val)
        except AssertionError:
            page.locator("[data-testid=stTopNav]").get_by_text("Compare", exact=True).click()  # rerun: statuses
            page.wait_for_timeout(3000)
            shot(page, "compare_live_timeout")
            raise
        names = page.evaluate(NAMES)
        assert names[0] == "Playground run 1 · train" and "Dropout = 0.5 · validation" in names
        first = page.evaluate(POINTS)
        wait_for(page, POINTS, lambda n: all(b > a for a, b in zip(first, n, strict=True)), timeout=120)  # grow
        shot(page, "compare_live_1280")
        # the group bar keeps up too: drawn once, it said "Epoch 0 ... Training epoch 1" under curves at epoch 60
        grown = min(page.evaluate(POINTS)[2:])  # the three variants' points: one per epoch
        wait_for(page, GROUP_EPOCH, lambda e: e is not None and e >= grown, timeout=15)  # refreshed every 2 s
        # the Runs table keeps up without a rerun of the page: it said epoch 53 while the curves were at 172
        live = page.evaluate(AS_OF)["live"]
        wait_for(page, AS_OF, lambda v: v["table"] is not None and v["table"] >= live, timeout=15)  # refreshed: 2 s
        page.set_viewport_size({"width": 1024, "height": 768})
        page.wait_for_timeout(500)
        shot(page, "compare_live_1024")

        with page.expect_download() as dl:
            page.get_by_role("button", name="Export CSV").click()
        rows = list(csv.DictReader(io.StringIO(open(dl.value.path(), encoding="utf-8").read())))
        assert {r["run"] for r in rows} == {"Playground run 1", "Dropout = 0", "Dropout = 0.2", "Dropout = 0.5"}
        assert {r["model.dropout"] for r in rows} == {"0", "0.2", "0.5"}
        with page.expect_download() as dl:
            page.get_by_role("button", name="Export JSON").click()
        assert dl.value.suggested_filename == "comparison.json"

        page.locator("[data-testid=stTopNav]").get_by_text("Course map", exact=True).click()
        page.get_by_text("1. Neuron and MLP").wait_for(timeout=30_000)
        shot(page, "course_map_1024")
    finally:
        ctx.close()


PAGE_FIT = """() => {
  const title = [...document.querySelectorAll('h3')].find(h => h.textContent.includes('Compare runs'));
  const main = document.querySelector('[data-testid=stMain]');
  const table = document.querySelector('[data-testid=stDataFrame] .dvn-scroller');  // the results table
  return {title: title ? title.getBoundingClientRect().top : null, page: main.scrollWidth - main.clientWidth,
          table: table ? table.scrollWidth - table.clientWidth : null,
          titles: [...document.querySelectorAll('.js-plotly-plot')].map(d => d._fullLayout.title.text)}; }"""


@pytest.mark.slow
def test_a_playground_run_and_an_image_run_side_by_side_fit_1280(server, browser) -> None:
    """A walkthrough pinned a Playground run and an Images & CNNs run: one epoch axis for both (a 2D run's epochs
    against an image run's), raw keys (data.n_samples), a table wider than the screen, a gap above the title."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/?data.n_samples=200&train.epochs=20&train.until_paused=false")
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
        page.get_by_role("button", name="Train", exact=True).click()
        page.get_by_role("button", name="Pin to compare").click(timeout=60_000)
        page.get_by_text("Pinned Playground run 1.").wait_for(timeout=30_000)
        page.goto(f"{server}/cnn?train.epochs=2")
        page.wait_for_selector("text=3,658 parameters", timeout=60_000)
        page.get_by_role("button", name="Train", exact=True).click()
        page.wait_for_selector("text=Predict with the trained network", timeout=120_000)
        page.get_by_role("button", name="Pin to compare").click()
        page.get_by_text("Pinned CNN run 1.").wait_for(timeout=30_000)
        page.locator("[data-testid=stTopNav]").get_by_text("Compare", exact=True).click()
        page.get_by_text(re.compile(r"^Runs — ")).wait_for(timeout=60_000)
        page.wait_for_timeout(1500)  # the charts' and the table's own drawing
        fit = wait_for(page, PAGE_FIT, lambda v: v["table"] is not None and len(v["titles"]) >= 2, timeout=60)
        shot(page, "compare_two_kinds_1280")
        assert sorted(t.split(":")[0] for t in fit["titles"]) == ["Images & CNNs runs"] * 2 + ["Playground runs"] * 2
        assert fit["page"] <= 0 and fit["table"] <= 2, fit  # nothing scrolls sideways
        assert fit["title"] < 120, fit  # as high as the Playground's title (Streamlit's 6rem put it at 157 px)
        # a laptop: the Runs table scrolled sideways there (1,073 px in 974), its test accuracy column cut
        page.set_viewport_size({"width": 1024, "height": 768})
        page.wait_for_timeout(1500)  # the table lays itself out again
        fit = page.evaluate(PAGE_FIT)
        page.locator("[data-testid=stDataFrame]").first.scroll_into_view_if_needed()
        shot(page, "compare_two_kinds_1024")
        assert fit["page"] <= 0 and fit["table"] <= 2, fit
    finally:
        ctx.close()


HARNESS = """<!doctype html><html><body><div id="host"><div class="nnlive"></div></div>
<script type="module">
import run from "/live.js";
window.__done = [];
run({data: {figures: FIGURES, rows: ROWS, url: "/snap/job", plotly: "/plotly.js", kind: "compare", active: true,
            seq: 0, status: "running", opts: {}, poll: 40},
     parentElement: document.getElementById("host"),
     setTriggerValue: (name, value) => window.__done.push([name, value])});
</script></body></html>"""
RANGES = """() => [...document.querySelectorAll('.nn-fig')].map((d) => [d.dataset.fig, d._fullLayout.xaxis.range,
                                                                  d._fullLayout.yaxis.range])"""


def test_the_charts_before_a_groups_first_epoch_start_at_zero(page) -> None:
    """A CNN group waits seconds for its worker; meanwhile the Compare page drew its charts empty, epochs -1..6: a
    range that means nothing. They start at 0, as the Playground's empty charts do."""
    from nnlib.config import RunConfig

    cfg = RunConfig().replace(data={"dataset": "digits"}).to_dict()
    pins = [store.Pin(f"p{i}", f"Dropout = {v}", "CNN", cfg, status="running", history={}) for i, v in
            enumerate((0, 0.25, 0.5))]
    snap = store.composite_snapshot(pins)
    figs = compare_figures(snap)
    html = HARNESS.replace("FIGURES", json.dumps(encode(figs))).replace("ROWS", json.dumps(compare_rows(figs)))
    info = {"status": "running", "epoch": 0, "epochs": 40, "elapsed": 0.0}  # what the route sends: no points yet
    _harness(page, [{"seq": 1, "status": "running", "patches": encode(compare_patches(snap)), "info": info}], html)
    page.wait_for_function("() => window.__nnLiveUpdates > 0 && document.querySelectorAll('.nn-fig').length")
    page.wait_for_timeout(300)
    shot(page, "compare_empty_before_first_epoch")
    ranges = page.evaluate(RANGES)
    assert len(ranges) == 2 and all(x[0] >= 0 and y[0] >= 0 for _, x, y in ranges), ranges
