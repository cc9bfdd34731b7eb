"""The Playground on a projector (1280x720) and a laptop (1024x768), in a real browser: no control text cut or
broken mid-word, all seven input features visible, and the boundary and the loss curve in the first screen while a
wide network trains (issue 8, "the page a class sees")."""

import time

import pytest

from tests.browser.conftest import shot, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = [(1280, 720), (1024, 768)]
WIDE = "?data.dataset=spiral&model.hidden=32,32,32&train.epochs=10000&train.optimizer=adamw&train.schedule=plateau"
FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]

# Every visible piece of control text -- widget labels, button captions, tab names, select values, number boxes --
# must fit its box (scrollWidth <= clientWidth + 1, not clipped by a box around it) and no word may be split over
# two lines ("Le / ar / ni / ng"). Returns the problems found.
TEXT_PROBLEMS = r"""(rootSelector) => {
  // every visible piece of control text: widget labels, button captions, tab names, select values, pills, inputs
  const SEL = ['[data-testid=stWidgetLabel]', '[data-testid=stWidgetLabel] *', 'button', 'button *',
               '[data-baseweb=select] div', '[data-baseweb=tab] *', 'input', '[data-testid=stMarkdownContainer] p'];
  const main = document.querySelector(rootSelector || '[data-testid=stMain]') || document.body;
  const seen = new Set(); const problems = [];
  const ICON = '[data-testid=stIconMaterial]';
  const ownText = (el) => {  // the element's text without icon ligatures ("add", "remove" are icons)
    const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT); let out = '';
    for (let n = w.nextNode(); n; n = w.nextNode()) if (!n.parentElement.closest(ICON)) out += n.data;
    return out.trim();
  };
  // (a 1-pixel box is screen-reader text, such as an icon button's name, not something a sighted student reads)
  // -- as is everything inside such a box (ui.controls.VISUALLY_HIDDEN: the box is 1 pixel, its text overflows it)
  const srOnly = (el) => { for (let a = el; a && a !== main; a = a.parentElement)
    if (a.getBoundingClientRect().width <= 1) return true; return false; };
  const visible = (el) => !srOnly(el) && getComputedStyle(el).visibility !== 'hidden';
  for (const el of main.querySelectorAll(SEL.join(','))) {
    if (seen.has(el) || !visible(el)) continue;
    seen.add(el);
    const text = el.tagName === 'INPUT' ? el.value : ownText(el);
    if (!text) continue;
    if (el.closest(ICON + ', .js-plotly-plot, .nnlive, [data-testid=stCode]')) continue;
    const cs = getComputedStyle(el);
    const clips = el.tagName === 'INPUT' || cs.textOverflow === 'ellipsis' || cs.overflowX !== 'visible';
    if (clips && el.scrollWidth > el.clientWidth + 1)
      problems.push(`cut: "${text.slice(0, 40)}" (${el.scrollWidth} > ${el.clientWidth})`);
    if (el.tagName === 'INPUT') continue;
    // or cut by a clipping box around it: the text runs past the right edge of an ancestor that hides overflow
    const all = document.createRange(); all.selectNodeContents(el);
    const right = Math.max(...[...all.getClientRects()].map((q) => q.right));
    for (let a = el.parentElement; a && a !== main; a = a.parentElement) {
      const acs = getComputedStyle(a);
      if (acs.overflowX !== 'visible' && right > a.getBoundingClientRect().right + 1) {
        problems.push(`clipped: "${text.slice(0, 40)}"`); break;
      }
      if (a.dataset.testid === 'stElementContainer') break;
    }
    // a word broken across lines: one word whose glyphs sit on two different lines
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.parentElement.closest(ICON)) continue;
      const re = /\S+/g; let m;
      while ((m = re.exec(node.data))) {
        const r = document.createRange(); r.setStart(node, m.index); r.setEnd(node, m.index + m[0].length);
        const tops = new Set([...r.getClientRects()].filter((q) => q.width > 0).map((q) => Math.round(q.top)));
        if (tops.size > 1) problems.push(`word broken across lines: "${m[0]}"`);
      }
    }
  }
  return [...new Set(problems)];
}"""

CHART_BOXES = """() => { const out = {vh: innerHeight, vw: innerWidth};
  for (const id of ['boundary', 'loss', 'network']) {
    const d = document.querySelector(`.nnlive [data-fig=${id}]`);
    if (d) { const r = d.getBoundingClientRect(); out[id] = {top: r.top, bottom: r.bottom, left: r.left,
                                                               right: r.right}; } }
  const root = document.querySelector('.nnlive'); out.status = root ? root.dataset.status : null; return out; }"""

PILLS = """(names) => names.map((n) => { const b = [...document.querySelectorAll('button')].find(
  (x) => x.innerText.trim() === n && x.getClientRects().length);
  if (!b) return [n, null]; const r = b.getBoundingClientRect(); let clipped = false;
  for (let a = b.parentElement; a && a !== document.body; a = a.parentElement) {
    const ar = a.getBoundingClientRect();
    const cut = r.right > ar.right + 1 || r.left < ar.left - 1;
    if (getComputedStyle(a).overflowX !== 'visible' && cut) clipped = true; }
  return [n, {right: r.right, clipped}]; })"""




@pytest.mark.parametrize(("width", "height"), SIZES)
def test_every_control_is_legible_and_the_pictures_are_in_view(server, browser, width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/{WIDE}")
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
        problems = {}
        tabs = [t.inner_text() for t in page.get_by_role("tab").all()] or ["page"]  # the setup's tabs, if any
        for tab in tabs:
            if tab != "page":
                page.get_by_role("tab", name=tab).click()
            closed = page.locator("[data-testid=stExpander] details:not([open]) summary:visible", has_text="Optimizer")
            if closed.count():  # the less-used training settings
                closed.first.click()
                page.wait_for_selector("text=LR patience", timeout=10_000)
            time.sleep(0.5)
            shot(page, f"layout_{width}x{height}_{tab.lower()}")
            problems[tab] = page.evaluate(TEXT_PROBLEMS)
        assert problems == dict.fromkeys(tabs, [])
        assert page.locator("text=LR patience").count()  # every setting was looked at

        if tabs != ["page"]:
            page.get_by_role("tab", name=tabs[0]).click()
        pills = dict(page.evaluate(PILLS, FEATURES))
        for name, box in pills.items():  # x1*x2 (the XOR lesson) and sin() were off the end of a one-line row
            assert box is not None and not box["clipped"] and box["right"] <= width, (name, box)

        page.get_by_role("button", name="Train", exact=True).click()
        boxes = wait_for(page, CHART_BOXES, lambda v: v["status"] == "running" and "loss" in v)
        time.sleep(1.0)
        boxes = page.evaluate(CHART_BOXES)
        shot(page, f"layout_{width}x{height}_training")
        for fig in ("boundary", "loss"):  # in the first screen, without scrolling
            box = boxes[fig]
            assert 0 <= box["top"] and box["bottom"] <= height and box["right"] <= width, (fig, boxes)
        assert boxes["network"]["bottom"] - boxes["network"]["top"] <= height  # 3 x 32 neurons: was 1,532 px
        assert page.evaluate(TEXT_PROBLEMS) == []  # the run bar while running (Pause, Stop enabled)
        page.get_by_role("button", name="Stop", exact=True).click()
    finally:
        ctx.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_cnn_pages_run_bar_is_legible(server, browser, width, height):
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/cnn")
        page.wait_for_selector(".st-key-cnn-training >> text=Early stop patience", timeout=90_000)
        time.sleep(0.5)
        shot(page, f"layout_cnn_{width}x{height}")
        assert page.evaluate(TEXT_PROBLEMS, ".st-key-cnn-runbar") == []  # "P...", "S..." at 1024 px
        assert page.evaluate(TEXT_PROBLEMS, ".st-key-cnn-training") == []  # the knobs, under the results
    finally:
        ctx.close()


CNN_FIRST_ROW = """() => { const out = {};
  for (const id of ['loss', 'metric', 'filters']) {
    const d = document.querySelector(`.nnlive [data-fig=${id}]`);
    if (d) { const r = d.getBoundingClientRect(); out[id] = {top: r.top, bottom: r.bottom}; } }
  const root = document.querySelector('.nnlive'); out.status = root ? root.dataset.status : null; return out; }"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_cnn_pages_results_appear_under_the_train_button(server, browser, width, height):
    """A student presses Train on the Images & CNNs page and must see the run start where they look: the curves
    and the filters came ~1,600 px below the button, past the whole setup (brief s4 pages, item 1)."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/cnn?train.epochs=2000")
        page.wait_for_selector("text=parameters", timeout=90_000)
        page.get_by_role("button", name="Train", exact=True).click()
        wait_for(page, CNN_FIRST_ROW, lambda v: v["status"] == "running" and "filters" in v)
        time.sleep(1.0)
        boxes = page.evaluate(CNN_FIRST_ROW)
        shot(page, f"layout_cnn_training_{width}x{height}")
        for fig in ("loss", "metric", "filters"):  # in the first screen, without scrolling
            assert 0 <= boxes[fig]["top"] and boxes[fig]["bottom"] <= height, (fig, boxes)
        page.get_by_role("button", name="Stop", exact=True).click()
    finally:
        ctx.close()


# the Train tooltip's box, and every box on the page it covers: the title's text, the navigation, any control
TIP_COVERS = """() => { const c = document.querySelector('[data-testid=stTooltipContent]');
  if (!c) return null; const t = c.getBoundingClientRect(); if (!t.width) return null;
  const cut = (r) => r.width > 0 && r.left < t.right && t.left < r.right && r.top < t.bottom && t.top < r.bottom;
  const words = document.createRange(); words.selectNodeContents(document.querySelector(
    '[data-testid=stMain] h3 [data-heading-text]') || document.querySelector('[data-testid=stMain] h3'));
  const covered = cut(words.getBoundingClientRect()) ? ['the page title'] : [];
  const SEL = 'button, input, [role=tab], [data-baseweb=select], [data-testid=stWidgetLabel], [data-testid=stTopNav] a';
  for (const el of document.querySelectorAll(SEL)) if (!c.contains(el) && cut(el.getBoundingClientRect()))
    covered.push((el.innerText || el.getAttribute('aria-label') || el.tagName).trim().slice(0, 30));
  return {covered, inside: t.left >= 0 && t.top >= 0 && t.right <= innerWidth && t.bottom <= innerHeight,
          box: [t.left, t.top, t.width, t.height].map(Math.round)}; }"""


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("path", ["/", "/cnn"])
def test_the_train_tooltip_covers_nothing_a_student_needs(server, browser, path, width, height):
    """Hovering Train showed its tooltip over the page title (the run bar sits right under it)."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(server + path)
        page.wait_for_selector(".nnlive", state="attached", timeout=90_000)  # the page is drawn
        page.get_by_role("button", name="Train", exact=True).hover()
        time.sleep(1.5)  # the tooltip waits half a second, then is placed
        tip = wait_for(page, TIP_COVERS, lambda v: v is not None)
        for _ in range(20):  # the popover is placed, then may move once (measured mid-move, it covered the title)
            time.sleep(0.25)
            tip, before = wait_for(page, TIP_COVERS, lambda v: v is not None), tip
            if tip["box"] == before["box"]:
                break
        shot(page, f"train_tooltip_{path.strip('/') or 'playground'}_{width}x{height}")
        assert {k: tip[k] for k in ("covered", "inside")} == {"covered": [], "inside": True}, tip
    finally:
        ctx.close()


# every tick label and axis title of the chart: cut by the chart's box, or overlapping (title on tick labels)
LABEL_PROBLEMS = """(sel) => { const d = document.querySelector(sel); const box = d.getBoundingClientRect();
  const r = (e) => e.getBoundingClientRect(); const problems = [];
  const hit = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  for (const ax of ['x', 'y']) {
    const ticks = [...d.querySelectorAll(`.${ax}tick text`)].filter((t) => t.textContent);
    const title = d.querySelector(`.g-${ax}title text`);
    for (const t of [...ticks, title].filter(Boolean)) { const q = r(t);
      if (q.left < box.left - 0.5 || q.right > box.right + 0.5 || q.top < box.top - 0.5 || q.bottom > box.bottom + 0.5)
        problems.push(`cut: "${t.textContent}"`); }
    for (const t of ticks)
      if (title && hit(r(title), r(t))) problems.push(`"${title.textContent}" on "${t.textContent}"`);
  }
  return problems; }"""


# the width the page gives a chart of its metrics row (two side by side): ~480 px at 1024x768, ~610 at 1280x720
@pytest.mark.parametrize("width", [480, 610])
@pytest.mark.parametrize("dataset", ["shapes", "digits"])
def test_the_confusion_matrix_and_per_class_names_are_not_cut(page, dataset: str, width: int) -> None:
    """Images & CNNs at 1024x768 with "shapes": the confusion matrix's row names were cut ("rizontal line") and its
    "predicted" title sat on the slanted column names. The page's own figures, drawn by live.js at its widths."""

    import numpy as np

    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from ui.cnn_plots import confusion_figure, prf_figure

    names = load_data(RunConfig().replace(data={"dataset": dataset})).class_names
    k = len(names)
    cm = np.diag(np.full(k, 50)) + np.eye(k, k=1, dtype=np.int64) * 3
    snap = {"confusion": cm, "per_class": {m: [0.9] * k for m in ("precision", "recall", "f1")} | {"macro_f1": 0.9}}
    figs = {"confusion": confusion_figure(snap, names), "prf": prf_figure(snap, names)}
    draw_static(page, figs, [["confusion"], ["prf"]], "cnn", width)
    page.wait_for_function("() => document.querySelectorAll('.nnlive .main-svg').length >= 2")
    page.wait_for_timeout(300)
    shot(page, f"confusion_{dataset}_{width}")
    for fig in figs:
        assert page.evaluate(LABEL_PROBLEMS, f".nnlive [data-fig={fig}]") == [], fig


# the Dropout lab's Monte-Carlo row: two charts side by side, ~380 px each at 1024x768, ~500 at 1280x720
@pytest.mark.parametrize("width", [380, 560])
def test_the_dropout_ensemble_chart_title_is_not_cut(page, width: int) -> None:
    """At 1024x768 the title read "Dropout as an ensemble: |average of T sub-networks - eval-mode n..." (cut by
    the chart's box). The page's figures, drawn by live.js at the width the page gives them."""

    from ui.labs.mc_plots import ensemble_figure
    from ui.labs.train_plots import overlay_figure

    labels = ["dropout p 0.3", "no dropout"]
    figs = {"loss": overlay_figure("Loss: train (solid), validation (dashed)", labels, ("train", "val")),
            "ensemble": ensemble_figure(labels)}
    draw_static(page, figs, [["loss"], ["ensemble"]], "lab", width)
    page.wait_for_function("() => document.querySelectorAll('.nnlive .main-svg').length >= 2")
    page.wait_for_timeout(300)
    shot(page, f"dropout_ensemble_{width}")
    for fig in figs:
        cut = page.evaluate("""(sel) => { const d = document.querySelector(sel), t = d.querySelector('.gtitle');
          const box = d.getBoundingClientRect(), q = t.getBoundingClientRect();
          return q.left < box.left - 0.5 || q.right > box.right + 0.5 ? t.textContent : ''; }""",
                            f".nnlive [data-fig={fig}]")
        assert cut == "", fig


# how far each table of the page scrolls sideways: a column past the table's edge is a column the student misses
TABLE_OVERFLOW = """() => [...document.querySelectorAll('[data-testid=stMain] [data-testid=stDataFrame] .dvn-scroller')]
  .filter((s) => s.getClientRects().length).map((s) => s.scrollWidth - s.clientWidth)"""


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_the_cnn_pages_setup_is_legible_to_its_last_column(server, browser, width, height):
    """The whole Images & CNNs page before a run: the conv-block table showed "ma" for max, "non" for none and
    headers broken to "Po / ol F" at 1024 px, and the model summary lost its "output size" column (and at 1280 its
    parameter formulas were cut)."""
    ctx = browser.new_context(viewport={"width": width, "height": height})
    page = ctx.new_page()
    try:
        page.goto(f"{server}/cnn?data.dataset=shapes")
        page.wait_for_selector("text=26,566 parameters", timeout=90_000)
        page.locator("[data-testid=stDataFrame]").scroll_into_view_if_needed()
        time.sleep(1.0)
        shot(page, f"layout_cnn_setup_{width}x{height}")
        assert page.evaluate(TEXT_PROBLEMS) == []
        overflow = page.evaluate(TABLE_OVERFLOW)
        assert overflow and max(overflow) <= 1, overflow
    finally:
        ctx.close()


# the gallery's captions: any two that overlap (each caption is one text element of the labels trace)
CAPTIONS_OVERLAP = """(sel) => { const boxes = [...document.querySelectorAll(`${sel} .textpoint text`)].map((t) => [
  t.textContent.slice(0, 30), t.getBoundingClientRect()]); const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) { const [a, p] = boxes[i];
    const [b, q] = boxes[j];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1)
      out.push(`${a} / ${b}`); }
  return {n: boxes.length, out}; }"""


# the width the page gives the gallery (the whole row): ~940 px at 1024x768, ~1200 at 1280x720
@pytest.mark.parametrize("width", [940, 1200])
def test_the_mistakes_captions_do_not_run_into_each_other(page, width: int) -> None:
    """'true circle → diagonal line' in one line ran into its neighbour's caption at 1024 px."""

    import numpy as np

    from ui.cnn_plots import MAX_MISTAKES, mistakes_figure

    names = ["horizontal line", "vertical line", "diagonal line", "circle", "square", "triangle"]
    images = np.zeros((MAX_MISTAKES, 1, 28, 28), np.uint8)
    mistakes = [{"index": i, "true": 3, "pred": 0 if i % 2 else 2, "top3": [(0, 0.99), (1, 0.01), (2, 0.0)]}
                for i in range(MAX_MISTAKES)]
    figs = {"mistakes": mistakes_figure({"mistakes": mistakes, "confusion": np.eye(6)}, images, names)}
    draw_static(page, figs, [["mistakes"]], "cnn", width)
    page.wait_for_function("() => document.querySelectorAll('.nnlive .textpoint').length >= 12")
    page.wait_for_timeout(300)
    shot(page, f"mistakes_{width}")
    assert page.evaluate(CAPTIONS_OVERLAP, ".nnlive [data-fig=mistakes]") == {"n": MAX_MISTAKES, "out": []}


def draw_static(page, figs: dict, rows: list[list[str]], kind: str, width: int) -> None:
    """The page's own figures drawn by live.js, without a run, in a box as wide as the page gives them."""
    import json

    from tests.browser.test_live_browser import _harness
    from ui.plots import encode

    html = f"""<!doctype html><html><body><div id="host" style="width: {width}px"><div class="nnlive"></div></div>
<script type="module">
import run from "/live.js";
run({{data: {{figures: {json.dumps(encode(figs))}, rows: {json.dumps(rows)}, url: null, plotly: "/plotly.js",
             kind: "{kind}", active: false, seq: 0, status: "", opts: {{}}, poll: 40}},
     parentElement: document.getElementById("host"), setTriggerValue: () => null}});
</script></body></html>"""
    _harness(page, [], html)
