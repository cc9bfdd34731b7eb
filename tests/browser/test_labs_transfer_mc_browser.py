"""The transfer-learning lab and Monte-Carlo dropout in a real browser: Train starts the group on the server (the
pretraining, then three variants; or two nets and their Monte-Carlo predictions), the curves grow live, and the
finished page draws the job's numbers. Screenshots (1280 wide) land in test-artifacts/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, wait_for

pytestmark = pytest.mark.browser
TIMEOUT = 240_000  # the machine is shared: a group may wait for a worker, and the pretraining runs first
LINES = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
         ".map(p => (p._fullData || []).map(t => t.x ? t.x.length : 0))")
# each heatmap's largest value (the uncertainty maps' band width), null for figures without one
HEAT_MAX = ("Array.from(document.querySelectorAll('.js-plotly-plot')).map(p => { const h = (p._fullData || [])"
            ".find(t => t.type === 'heatmap'); return h && h.z && h.z.length ? Math.max(...h.z.flat()) : null; })")


def test_transfer_lab_trains_frozen_finetuned_and_scratch(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/lab-transfer?transfer.per_class=5&transfer.epochs=20")
    page.wait_for_selector("text=frozen conv, head trained", timeout=TIMEOUT)
    page.wait_for_selector(".js-plotly-plot", timeout=TIMEOUT)
    assert page.get_by_text("trains 4,710 of 5,958 parameters").count() == 1
    shot(page, "lab_transfer_ready")
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=its conv weights are exactly the pretrained ones", timeout=TIMEOUT)
    lines = wait_for(page, LINES, lambda v: v and [20, 20, 20] in v, timeout=240)
    assert [20, 20, 20] in lines  # the accuracy figure holds every epoch of the three variants
    assert not page.locator('[data-testid="stException"]').count()
    page.set_viewport_size({"width": 1280, "height": 1500})
    shot(page, "lab_transfer_finished")


def test_dropout_lab_monte_carlo_uncertainty(page, server):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{server}/lab-dropout?mc_dropout.epochs=60&mc_dropout.passes=100")
    page.wait_for_selector("text=Monte-Carlo dropout on a trained net", timeout=TIMEOUT)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_selector("text=on the border of the plane", timeout=TIMEOUT)
    heat = wait_for(page, HEAT_MAX, lambda v: v and len([h for h in v if h is not None]) >= 2, timeout=240)
    drop, plain = [h for h in heat if h is not None][-2:]
    assert drop > 0.1 and plain == 0.0  # dropout nets disagree across passes; the net without dropout never does
    assert not page.locator('[data-testid="stException"]').count()
    page.get_by_text("Monte-Carlo dropout on a trained net").scroll_into_view_if_needed()
    shot(page, "lab_dropout_mc_top")
    page.set_viewport_size({"width": 1280, "height": 2600})
    shot(page, "lab_dropout_mc_full")
