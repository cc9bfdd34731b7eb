"""A chart must not change its look when the run ends: while training, ui/live.js draws it with plotly.js; after
the run (and after a reload) Streamlit's st.plotly_chart draws it, which by default restyles a figure with
Streamlit's own theme (title, fonts, colours, grid, legend). Both must render the one layout of ui.plots."""

from __future__ import annotations

import pytest

from tests.browser.conftest import shot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# what a student sees of a chart's style, as plotly.js resolved it (its _fullLayout)
STYLE = """(sel) => { const d = document.querySelector(sel);
  if (!d || !d._fullLayout) return null; const L = d._fullLayout;
  const ax = (a) => ({grid: a.gridcolor, line: a.linecolor, title: a.title.text, font: a.tickfont.family,
                      tick: a.tickfont.size, color: a.tickfont.color, zeroline: a.zeroline});
  return {title: [L.title.text, L.title.x, L.title.xanchor, L.title.font.family, L.title.font.size, L.title.font.color,
                  L.title.font.weight], font: [L.font.family, L.font.size, L.font.color],
          bg: [L.plot_bgcolor, L.paper_bgcolor], x: ax(L.xaxis), y: ax(L.yaxis), colorway: L.colorway,
          legend: [L.legend.orientation, L.legend.x, L.legend.y, L.legend.font.size, L.legend.font.family],
          hover: L.hoverlabel.font.family}; }"""
LIVE = "() => { const r = document.querySelector('.nnlive'); return r ? {...r.dataset} : null }"


@pytest.mark.parametrize(("path", "prefix"), [("/?train.epochs=10000", "pg"), ("/cnn?train.epochs=10000", "cnn")])
def test_a_chart_looks_the_same_while_training_and_after(server, browser, path, prefix):
    drawn = f".st-key-{prefix}-fig-loss .js-plotly-plot"  # st.plotly_chart's, keyed by ui.run_controls
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    try:
        page.goto(server + path)
        page.wait_for_selector("button:has-text('Train')", timeout=90_000)
        page.get_by_role("button", name="Train", exact=True).click()
        wait_for(page, LIVE, lambda v: v and v.get("status") == "running" and int(v.get("epoch", 0)) >= 2)
        live = wait_for(page, f"() => ({STYLE})('.nnlive [data-fig=loss]')", lambda v: v is not None)
        page.get_by_role("button", name="Stop", exact=True).click()
        static = wait_for(page, f"() => ({STYLE})('{drawn}')", lambda v: v is not None)
        shot(page, f"chart_style_{prefix}")
        assert static == live
        page.reload()  # the same chart drawn statically from the reconnected run
        again = wait_for(page, f"() => ({STYLE})('{drawn}')", lambda v: v is not None)
        assert again == live
    finally:
        ctx.close()
