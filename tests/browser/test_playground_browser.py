"""The main flow in a real browser: Train, watch the curves and the boundary move, Stop, share the link."""

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.browser.conftest import shot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LIVE = "() => { const r = document.querySelector('.nnlive'); return r ? {...r.dataset} : null }"
BOUNDARY_SUM = """() => { const d = document.querySelector('.nnlive [data-fig=boundary]');
  if (!d || !d._fullData) return null; const z = d._fullData[0].z; let s = 0;
  for (const row of z) { if (typeof row === 'number') s += row; else for (const v of row) s += v; } return s; }"""
LOSS_LEN = ("() => { const d = document.querySelector('.nnlive [data-fig=loss]'); "
            "return d && d.data ? d.data[0].x.length : 0 }")




def open_playground(page, url, query=""):
    page.goto(f"{url}/{query}")
    page.wait_for_selector("text=Neural-network playground", timeout=60_000)
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=60_000)


def test_train_watch_stop_and_share(server, page):
    open_playground(page, server, "?data.dataset=spiral&model.hidden=8,8&train.epochs=10000")  # Stop comes first
    shot(page, "playground_ready")
    page.get_by_role("button", name="Train", exact=True).click()
    try:
        live = wait_for(page, LIVE, lambda v: v and int(v.get("epoch", 0)) >= 30)
    finally:
        shot(page, "playground_after_train")
    assert live["status"] == "running"
    first = wait_for(page, BOUNDARY_SUM, lambda v: v is not None)
    n0 = page.evaluate(LOSS_LEN)
    time.sleep(1.5)
    assert page.evaluate(LOSS_LEN) > n0  # the loss curve grows
    assert page.evaluate(BOUNDARY_SUM) != first  # the boundary changes
    shot(page, "playground_training")
    page.get_by_role("button", name="Stop", exact=True).click()
    try:
        page.wait_for_selector("text=stopped", timeout=60_000)
    finally:
        shot(page, "playground_after_stop")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=30_000)
    shot(page, "playground_stopped")
    link = page.url
    assert "data.dataset=spiral" in link and ("model.hidden=8%2C8" in link or "model.hidden=8,8" in link)
    other = page.context.new_page()
    other.goto(link)
    other.wait_for_selector("text=Neural-network playground", timeout=60_000)
    other.wait_for_selector("text=2 hidden layers", state="attached", timeout=30_000)  # in the Network tab
    other.wait_for_selector("[data-testid=stPlotlyChart]", timeout=60_000)
    shot(other, "playground_shared_link")
    values = other.evaluate("() => [...document.querySelectorAll('[data-testid=stSelectbox] input')]"
                            ".map(i => i.value || i.getAttribute('aria-label') || '')")
    text = other.locator("[data-testid=stSelectbox]").all_text_contents()
    assert any("spiral" in v for v in values + text), (values, text)
    assert other.locator("input[aria-label='layer 2']").input_value() == "8"


def test_two_sessions_train_at_once_each_with_its_own_job(server, browser):
    pages = []
    for dataset in ("xor", "gauss"):
        ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
        pg = ctx.new_page()
        open_playground(pg, server, f"?data.dataset={dataset}&train.epochs=400&train.until_paused=0")
        pages.append(pg)
    for pg in pages:
        pg.get_by_role("button", name="Train", exact=True).click()
    for pg, dataset in zip(pages, ("xor", "gauss"), strict=True):
        pg.wait_for_selector("text=all 400 epochs done", timeout=90_000)  # the final static view
        pg.wait_for_selector("[data-testid=stPlotlyChart]")
        assert f"data.dataset={dataset}" in pg.url
    shot(pages[0], "two_sessions_a")
    for pg in pages:
        pg.context.close()


def test_route_serves_only_known_tokens(server):
    for token in ("nope", "A" * 32):
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(f"{server}/nnlive/snap/{token}?seq=-1", timeout=5)
        assert e.value.code == 404
        assert json.loads(e.value.read()) == {"error": "no such job"}
    with pytest.raises(urllib.error.HTTPError) as e:  # path tricks are refused before reaching the route
        urllib.request.urlopen(f"{server}/nnlive/snap/../../etc/passwd", timeout=5)
    assert e.value.code in (400, 404)
