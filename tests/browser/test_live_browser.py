"""The live component in chromium: what its status bar says for running, open-ended and final states (driven by a
scripted route, no server), and in the real app that Pause shows the exact paused epoch and Step adds one."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser.conftest import shot
from ui.live import plotly_path

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ORIGIN = "http://nnlive.test"
HARNESS = """<!doctype html><html><body><div id="host"><div class="nnlive"></div></div>
<script type="module">
import run from "/live.js";
window.__done = [];
const figures = {loss: {data: [{type: "scatter", x: [], y: []}], layout: {height: 200}}};
run({data: {figures, rows: [["loss"]], url: "/snap/job", plotly: "/plotly.js", kind: "playground", active: true,
            seq: 0, status: "queued", opts: {}, poll: 40},
     parentElement: document.getElementById("host"),
     setTriggerValue: (name, value) => window.__done.push([name, value])});
</script></body></html>"""


def _harness(page, messages: list[dict], html: str = HARNESS) -> None:
    """Serve live.js against a scripted snapshot route: each poll gets the next message (then 204s)."""
    todo = list(messages)
    page.route(f"{ORIGIN}/", lambda r: r.fulfill(body=html, content_type="text/html"))
    page.route(f"{ORIGIN}/live.js", lambda r: r.fulfill(path=os.path.join(ROOT, "ui", "live.js"),
                                                       content_type="text/javascript"))
    page.route(f"{ORIGIN}/plotly.js", lambda r: r.fulfill(path=plotly_path(), content_type="text/javascript"))
    page.route(f"{ORIGIN}/snap/**", lambda r: r.fulfill(status=200, body=json.dumps(todo.pop(0)),
                                                         content_type="application/json")
               if todo else r.fulfill(status=204, body=""))
    page.goto(f"{ORIGIN}/")


def _msg(seq: int, status: str, epoch: int, epochs: int = 100, **info: object) -> dict:
    return {"seq": seq, "status": status, "patches": {"loss": {"0": {"x": [epoch], "y": [0.5], "extend": True}}},
            "info": {"status": status, "epoch": epoch, "epochs": epochs, "elapsed": 1.0, **info}}


def _bar(page) -> tuple[str, str, str]:
    page.wait_for_function("() => window.__nnLiveUpdates > 0")
    return page.evaluate("""() => { const f = document.querySelector('.nn-fill');
        return [f.style.width, f.className, document.querySelector('.nn-text').textContent]; }""")


@pytest.mark.parametrize(("status", "epoch", "reason", "width"), [
    ("finished", 60, "early-stopped at epoch 60: no better val_loss for 10 epochs", "100%"),  # over: full
    ("stopped", 40, "stopped by the user", "40%"),  # where it was stopped
    ("failed", 7, "ValueError: boom", "7%"),
])
def test_final_state_fills_the_bar_and_says_why(page, status: str, epoch: int, reason: str, width: str) -> None:
    _harness(page, [_msg(1, "running", 5), _msg(2, status, epoch, reason=reason)])
    page.wait_for_function("() => window.__done.length > 0")
    fill, cls, text = _bar(page)
    assert fill == width and f"nn-fill-{status}" in cls
    assert f"Epoch {epoch} / 100" in text and status in text and reason in text
    assert page.evaluate("() => window.__done") == [["done", 2]]


def test_an_open_ended_run_says_it_runs_until_paused(page) -> None:
    _harness(page, [_msg(1, "running", 250, epochs=50_000, until_paused=True)])
    fill, cls, text = _bar(page)
    assert fill == "100%" and "nn-open" in cls
    assert "Epoch 250" in text and "/ 50000" not in text and "runs until you pause or stop" in text
    assert "Epoch 250 (until you pause; limit 50,000)" in text, text  # a limit, not a goal (in a class: 1,000)


def test_a_preparing_run_says_what_it_prepares_in_place_of_its_training_time(page) -> None:
    """The words come from the server (ui.status_line.stage: the job's plan, then "Training epoch 1…"); live.js
    shows them where "0 ms of training" stood, and the time again from the first epoch on."""
    from ui.status_line import status_text

    words = "Preparing: loading PyTorch and the shapes images…"
    loading = status_text(None, "running", None, {"epochs": 8, "preparing": words})
    _harness(page, [{"seq": 0, "status": "running", "patches": {}, "info": loading}])
    page.wait_for_function("() => document.querySelector('.nn-text').textContent.includes('Epoch')")
    text = page.evaluate("() => document.querySelector('.nn-text').textContent")
    assert text.startswith(f"Epoch 0 / 8 · {words}") and "of training" not in text, text
    page.goto("about:blank")
    _harness(page, [_msg(1, "running", 1, epochs=8, **{"stage": status_text({"epoch": 1}, "running")["stage"]})])
    _, _, trained = _bar(page)
    assert "Epoch 1 / 8 · 1.0 s of training" in trained and "Preparing" not in trained, trained


@pytest.mark.slow
def test_pause_shows_the_exact_epoch_and_step_adds_one_in_the_app(server, page) -> None:
    # A net big enough that the pause lands long before the server's limit: the default 2-4-2-1 trains all 20,000
    # epochs of a run "until I pause" in ~2 s at speed fast, so a Pause slowed by a loaded CI box (the click is a
    # Streamlit rerun) found the run finished. 64x64x64 needs ~40 s for them, and still ~1 s for the first 150.
    page.goto(f"{server}/?train.speed=fast&model.hidden=64,64,64")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    page.get_by_role("button", name="Train", exact=True).click()
    epoch = "() => Number((document.querySelector('.nnlive') || {dataset: {}}).dataset.epoch || 0)"
    page.wait_for_function(f"({epoch})() > 150", timeout=90_000)  # past `epochs` (100): it runs until paused
    page.get_by_role("button", name="Pause", exact=True).click()
    page.wait_for_function("() => (document.querySelector('.nnlive') || {dataset: {}}).dataset.status === 'paused'",
                           timeout=30_000)
    page.wait_for_timeout(1500)  # any snapshot still in flight would land now
    paused = page.evaluate(epoch)
    page.get_by_role("button", name="Step", exact=True).click()
    page.wait_for_function(f"({epoch})() !== {paused}", timeout=30_000)
    page.wait_for_timeout(1000)
    assert page.evaluate(epoch) == paused + 1
    shot(page, "live_paused_step")
    page.get_by_role("button", name="Stop", exact=True).click()
    page.wait_for_selector(f"text=/Epoch {paused + 1}\\b/", timeout=30_000)  # the stopped run: the same epoch


def test_a_queued_job_shows_its_position_and_polls_slowly(page) -> None:
    """The first answer says where the job stands; while it waits the page asks about once a second, not 25 times."""
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/snap/" in r.url else None)
    queued = {"seq": 0, "status": "queued", "patches": {}, "info": {"status": "queued", "queue": 3, "epoch": 0}}
    _harness(page, [queued])
    page.wait_for_selector("text=position 3 in the queue")
    first = len(asked)
    page.wait_for_timeout(1500)  # the scripted route answers 204 at once: a page that does not back off asks ~35x
    assert len(asked) - first <= 4
    assert "queue=3" in asked[-1]  # it tells the route which position it shows, so only a move is news
    shot(page, "live_queued_position")


def test_every_answer_reaches_every_chart_though_frames_draw_a_budget(page) -> None:
    """Answers merged between frames and charts left over by a busy frame are all drawn: after a final answer each
    chart shows every epoch it was sent, once (no point lost, none doubled)."""
    two = HARNESS.replace('const figures = {loss: {data: [{type: "scatter", x: [], y: []}], layout: {height: 200}}};',
                          'const figures = {loss: {data: [{type: "scatter", x: [], y: []}], layout: {height: 200}},'
                          ' metric: {data: [{type: "scatter", x: [], y: []}], layout: {height: 200}}};'
                          ).replace('rows: [["loss"]]', 'rows: [["loss", "metric"]]')
    msgs = []
    for seq in range(1, 13):
        m = _msg(seq, "running" if seq < 12 else "finished", seq)
        m["patches"]["metric"] = {"0": {"x": [seq], "y": [0.1 * seq], "extend": True}}
        msgs.append(m)
    _harness(page, msgs, two)
    page.wait_for_function("() => window.__done.length > 0")
    shown = page.evaluate("""() => [...document.querySelectorAll('.nn-fig')].map(d => [d.dataset.fig,
        Array.from(d.data[0].x)])""")
    assert shown == [["loss", list(range(1, 13))], ["metric", list(range(1, 13))]]


def test_the_live_line_counts_the_weights_l1_made_exactly_zero(page) -> None:
    _harness(page, [_msg(1, "running", 12, zero_weights=94)])
    assert "94 weights at exactly 0 (L1)" in _bar(page)[2]


LOSS_X = """() => { const d = document.querySelector('.nn-fig[data-fig=loss]');
    return d && d.data && d.data[0] ? Array.from(d.data[0].x) : []; }"""


DRAWN_LOSS_X = """() => { const d = [...document.querySelectorAll('.js-plotly-plot')].find(
    p => p.layout && p.layout.title && String(p.layout.title.text).includes('Loss'));
    return d && d.data && d.data[0] ? Array.from(d.data[0].x) : []; }"""  # the live or the final chart


def test_loss_curve_keeps_every_epoch_through_appends_and_at_the_end(server, page) -> None:
    """The route sends only the epochs a browser lacks: while the run goes the curve holds each epoch once and in
    order (no gap, no repeat), and the final chart all of them. (A reloaded page is a new session that does not
    show the finished run again, so there is no reload check here yet.)"""
    page.goto(f"{server}/?train.epochs=60&train.speed=normal&train.until_paused=false")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    page.get_by_role("button", name="Train", exact=True).click()
    seen: list[list[float]] = []
    for _ in range(200):
        xs = page.evaluate(LOSS_X)
        if xs:
            seen.append(xs)
        if xs and xs[-1] >= 60:
            break
        page.wait_for_timeout(50)
    running = [xs for xs in seen if 0 < len(xs) < 60]
    assert running, "no partial curve was seen while the run went"
    for xs in seen:
        assert xs == list(range(1, len(xs) + 1)), f"a gap or repeat after appends: {xs}"
    page.wait_for_function(f"({DRAWN_LOSS_X})().length >= 60", timeout=60_000)
    page.wait_for_timeout(1500)  # the end's rerun draws the charts from the final snapshot
    assert page.evaluate(DRAWN_LOSS_X) == list(range(1, 61))
    shot(page, "live_curve_finished")


def test_a_page_mounted_on_a_paused_job_shows_its_status_line(page) -> None:
    """Coming back to the Playground (or a rerun) mounts the component with the job's current seq; a paused job
    has no news for a held poll, so a walkthrough saw the status line gone. The first poll asks for the current
    state whatever seq the page was built with; the route here answers only news, like the real one."""
    paused = HARNESS.replace('seq: 0, status: "queued"', 'seq: 5, status: "paused"')
    answer = _msg(5, "paused", 279, until_paused=True)
    page.route(f"{ORIGIN}/", lambda r: r.fulfill(body=paused, content_type="text/html"))
    page.route(f"{ORIGIN}/live.js", lambda r: r.fulfill(path=os.path.join(ROOT, "ui", "live.js"),
                                                       content_type="text/javascript"))
    page.route(f"{ORIGIN}/plotly.js", lambda r: r.fulfill(path=plotly_path(), content_type="text/javascript"))

    def snap(route) -> None:
        q = parse_qs(urlparse(route.request.url).query)
        news = q.get("seq") != ["5"] or q.get("status") != ["paused"]
        route.fulfill(status=200, body=json.dumps(answer), content_type="application/json") if news else \
            route.fulfill(status=204, body="")

    page.route(f"{ORIGIN}/snap/**", snap)
    page.goto(f"{ORIGIN}/")
    page.wait_for_selector("text=Epoch 279", timeout=15_000)
    assert "paused" in page.evaluate("() => document.querySelector('.nn-text').textContent")
