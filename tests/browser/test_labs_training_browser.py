"""The labs that train, in a real browser: Train starts the group on the server, the live view (the route's
patches, no Streamlit reruns) grows every run's curve, and the finished page keeps them with each run's verdict.
Screenshots land in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, wait_for

pytestmark = pytest.mark.browser
TIMEOUT = 180_000  # the machine is shared: a group of runs may wait for a worker
LIVE = "(() => { const r = document.querySelector('.nnlive'); return r ? {...r.dataset} : null; })()"
LIVE_OR_DONE = ("(() => { const r = document.querySelector('.nnlive'); if (r) return Number(r.dataset.epoch || 0);"
                " return document.body.innerText.includes('finished') ? 1e9 : null; })()")
# epochs each line of each figure holds (plotly keeps a figure's traces on its div)
LINES = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
         ".map(p => (p._fullData || []).map(t => t.x ? t.x.length : 0))")


def test_learning_rate_lab_races_three_rates_live(page, server):
    page.set_viewport_size({"width": 1500, "height": 2000})
    page.goto(f"{server}/lab-learning_rate?learning_rate.epochs=150")
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    shot(page, "lab_learning_rate_ready")
    page.get_by_role("button", name="Train", exact=True).click()
    live = wait_for(page, LIVE, lambda v: v and int(v.get("epoch", 0)) >= 5, timeout=180)
    assert live["status"] in ("running", "finished")
    shot(page, "lab_learning_rate_live")
    page.wait_for_selector("text=diverges", timeout=TIMEOUT)  # finished: the page rerun with the verdicts
    assert page.get_by_text("converges").count() >= 1 and page.get_by_text("slow").count() >= 1
    lines = wait_for(page, LINES, lambda v: v and v[0] == [150, 150, 150], timeout=180)
    assert len(lines[0]) == 3
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, "lab_learning_rate_finished")


def test_fitting_lab_sweeps_capacity(page, server):
    page.set_viewport_size({"width": 1500, "height": 2000})
    page.goto(f"{server}/lab-fitting?fitting.widths=1,4,16,128&fitting.epochs=300")
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    page.get_by_role("button", name="Train", exact=True).click()
    wait_for(page, LIVE, lambda v: v and int(v.get("epoch", 0)) >= 5, timeout=180)
    page.wait_for_selector("text=finished", timeout=TIMEOUT)
    page.wait_for_selector("text=lowest validation loss", timeout=TIMEOUT)
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, "lab_fitting_capacity")


def test_activations_lab_counts_dead_relus_live(page, server):
    page.set_viewport_size({"width": 1500, "height": 2600})
    page.goto(f"{server}/lab-activations?activations.dead_lr=1")
    page.wait_for_selector("text=Dead ReLUs at a high learning rate", timeout=TIMEOUT)
    page.get_by_role("button", name="Train", exact=True).click()
    # the three runs of 60 epochs take about a second on a quiet box: the live view may come and go between two
    # polls of this test, so either it is seen training or the page already shows the finished runs
    wait_for(page, LIVE_OR_DONE, lambda v: v is not None and v >= 3, timeout=180)
    page.wait_for_selector("text=finished", timeout=TIMEOUT)
    lines = wait_for(page, LINES, lambda v: v and [60, 60, 60] in v, timeout=180)
    assert [60, 60, 60] in lines  # the dead-fraction and loss figures hold every epoch of the three runs
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, "lab_activations_dead_relu")


def test_a_reloaded_lab_page_shows_its_last_result(page, server):
    """F5 after an experiment: the page (a new Streamlit session of the same browser) shows the finished runs again
    instead of empty charts and 'Press Train'."""
    page.set_viewport_size({"width": 1280, "height": 2400})
    page.goto(f"{server}/lab-activations")
    page.wait_for_selector("text=Dead ReLUs at a high learning rate", timeout=TIMEOUT)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=finished", timeout=TIMEOUT)
    wait_for(page, LINES, lambda v: v and [60, 60, 60] in v, timeout=180)
    page.reload()
    page.wait_for_selector("text=Dead ReLUs at a high learning rate", timeout=TIMEOUT)
    page.wait_for_selector("text=finished", timeout=TIMEOUT)
    lines = wait_for(page, LINES, lambda v: v and [60, 60, 60] in v, timeout=180)
    assert [60, 60, 60] in lines  # the runs' curves, not the empty figures of a page that waits for Train
    assert not page.get_by_text("Press Train").count()
    assert not page.locator('[data-testid="stException"]').count()
    shot(page, "lab_activations_after_reload")
