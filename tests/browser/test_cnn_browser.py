"""The Images & CNNs page in a real browser: train a small CNN on the digits and watch the filter grid and the
confusion matrix arrive through the live channel, then the final charts and the predict section."""

from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE = "() => { const r = document.querySelector('.nnlive'); return r ? {...r.dataset} : null }"
COUNT_SUM = """(fig) => { const d = document.querySelector(`.nnlive [data-fig=${fig}]`);
  if (!d || !d._fullData || !d._fullData[0]) return null; const t = d._fullData[0].text; if (!t) return null;
  let s = 0; for (const row of t) { if (typeof row === 'number') s += row; else for (const v of row) s += v; }
  return s; }"""
PICTURE = """(fig) => { const d = document.querySelector(`.nnlive [data-fig=${fig}]`);
  if (!d || !d._fullData || !d._fullData[0]) return null; const img = d.querySelector('g.imagelayer image');
  const src = d._fullData[0].source; return src && img && img.getAttribute('href') === src ? src : null; }"""


def wait_for(page, js, pred, arg=None, timeout=45.0):
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = page.evaluate(js, arg) if arg is not None else page.evaluate(js)
        if pred(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out; last value {value!r}")


def test_train_cnn_on_digits_and_see_filters_and_confusion(server, page):
    page.set_viewport_size({"width": 1500, "height": 3600})  # Streamlit scrolls inside: show the whole page
    # a deep link, the session's first page (on a fresh server when this module runs first): the app's navigation
    # must still be there, not Streamlit's pages/ folder listing ("app", "cnn", "playground")
    page.goto(f"{server}/cnn?train.epochs=1000&train.batch_size=64")
    page.wait_for_selector("text=3,658 parameters", timeout=60_000)
    nav = page.locator("[data-testid=stTopNav]").inner_text()  # the app navigates from the top bar
    assert "Images & CNNs" in nav and "Playground" in nav and "app" not in nav.split()
    shot(page, "cnn_ready")
    page.get_by_role("button", name="Train", exact=True).click()
    live = wait_for(page, LIVE, lambda v: v and int(v.get("epoch", 0)) >= 3)
    assert live["status"] in ("running", "finished")
    is_png = lambda v: v is not None and v.startswith("data:image/png;base64,")  # noqa: E731
    filters0 = wait_for(page, PICTURE, is_png, "filters")  # drawn as an <image> in the plot
    # the confusion matrix (its cell texts are counts) places every test image exactly once
    test_size = int(re.search(r"test ([\d,]+)", page.get_by_text("classes · train").inner_text())[1].replace(",", ""))
    wait_for(page, COUNT_SUM, lambda v: v == test_size, "confusion")
    wait_for(page, PICTURE, is_png, "fmap1")
    wait_for(page, PICTURE, lambda v: is_png(v) and v != filters0, "filters")  # the filters keep learning
    shot(page, "cnn_training")
    page.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_selector("text=Predict with the trained network", timeout=30_000)
    page.wait_for_selector("text=Class probabilities", timeout=30_000)
    assert page.get_by_text("Confusion matrix (test set)").count() >= 1
    assert page.get_by_text("First-layer filters").count() >= 1
    shot(page, "cnn_stopped")


# the finished run's loss chart as a student reads it: tick labels, the x title's and the legend's boxes, the legend's
# entries and how many points each curve draws (a 'lines' trace of one point draws none)
LOSS_CHART = """() => { const d = document.querySelector('.st-key-cnn-fig-loss .js-plotly-plot');
  if (!d || !d._fullLayout) return null;
  const box = (el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; };
  const title = d.querySelector('.g-xtitle text'), legend = d.querySelector('g.legend');
  return {ticks: d._fullLayout.xaxis._vals.map(v => v.text), title: title && box(title),
          legend: legend && box(legend), entries: [...d.querySelectorAll('g.legend .traces')].map(
            t => t.textContent),
          drawn: [...d.querySelectorAll('.scatterlayer .trace')].map(
            t => { const line = t.querySelector('.js-line');  // a line of one point has no segment ("L")
                   return t.querySelectorAll('.points path').length + (line && /L/.test(line.getAttribute('d') || '')
                                                                        ? 2 : 0); })}; }"""


def test_a_one_epoch_run_draws_its_points_with_whole_epoch_ticks_and_a_clear_legend(server, page):
    """Walkthroughs saw a one-epoch CNN run's loss chart empty, ticks at 0.5 and 1.5 where only whole epochs exist,
    the "epoch" title touching the legend, and a greyed "test" entry with no curve."""
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto(f"{server}/cnn?train.epochs=1")
    page.wait_for_selector("text=3,658 parameters", timeout=60_000)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=Predict with the trained network", timeout=120_000)
    chart = wait_for(page, LOSS_CHART, lambda v: v is not None and v["legend"] is not None)
    shot(page, "cnn_one_epoch_1024")
    assert chart["ticks"] and all(re.fullmatch(r"\d+", t) for t in chart["ticks"]), chart["ticks"]
    assert chart["legend"]["top"] >= chart["title"]["bottom"], chart  # under "epoch", not on it
    assert chart["entries"] == ["train", "validation", "test", "best epoch"]
    assert all(n > 0 for n in chart["drawn"]), chart["drawn"]  # every curve named draws its point
