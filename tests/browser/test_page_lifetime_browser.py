"""The live component in chromium, for a class server (issue 9): a queued job's page says its position and expected
wait (counted down) from the first answer; a page in a background tab says so in its polls (the server then allows
the browser's once-a-minute timer wakes), and a page that goes away sends a closing beacon (its job stops within
seconds), unless its job is already over.

A small HTTP server on 127.0.0.1 plays the app's live routes with scripted answers: a beacon sent while a page
unloads is never seen by playwright's request routing, so it must reach a real socket.
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import app_server, shot
from tests.browser.test_live_browser import HARNESS, ROOT, _msg
from ui.live import plotly_path

HIDE = """() => {
  Object.defineProperty(document, "visibilityState", {get: () => "hidden", configurable: true});
  Object.defineProperty(document, "hidden", {get: () => true, configurable: true});
  document.dispatchEvent(new Event("visibilitychange"));
}"""


class Script:
    """What the scripted server answers (the next message per poll, then 204) and what it was asked."""

    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.polls: list[str] = []
        self.beacons: list[str] = []


@pytest.fixture
def scripted() -> Iterator[tuple[str, Script]]:
    script = Script()
    files = {"/": (HARNESS.encode(), "text/html"),
             "/live.js": (open(os.path.join(ROOT, "ui", "live.js"), "rb").read(), "text/javascript"),
             "/plotly.js": (open(plotly_path(), "rb").read(), "text/javascript"),
             "/other": (b"<p>another page</p>", "text/html")}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self, code: int, body: bytes = b"", kind: str = "application/json") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path.startswith("/snap/"):
                script.polls.append(self.path)
                todo = script.messages
                return self._answer(200, json.dumps(todo.pop(0)).encode()) if todo else self._answer(204)
            body, kind = files.get(self.path, (b"", ""))
            self._answer(200 if kind else 404, body, kind or "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            script.beacons.append(self.path)
            self._answer(204)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()


def _until(page, pred, tries: int = 100) -> None:
    """Let the page run (100 ms at a time) until `pred` holds; fail after `tries`."""
    for _ in range(tries):
        if pred():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page never did it")


def test_a_queued_job_shows_its_position_and_expected_wait_counting_down(page, scripted) -> None:
    base, script = scripted
    script.messages.append({"seq": 0, "status": "queued", "patches": {},
                            "info": {"status": "queued", "queue": 2, "wait_s": 42, "epoch": 0}})
    page.goto(f"{base}/")
    page.wait_for_selector("text=position 2 in the queue, about 42 s")
    shot(page, "live_queued_wait")
    text = page.wait_for_function("""() => { const t = document.querySelector('.nn-text').textContent;
        const m = t.match(/about (\\d+) s/); return m && Number(m[1]) < 42 ? t : null; }""", timeout=30_000)
    assert "position 2 in the queue" in text.json_value()  # between answers the wait counts down


def test_a_hidden_tab_says_so_and_a_closed_one_sends_a_beacon(page, scripted) -> None:
    base, script = scripted
    script.messages.append(_msg(1, "running", 3))
    page.goto(f"{base}/")
    page.wait_for_function("() => window.__nnLiveUpdates > 0")
    assert "page=visible" in script.polls[-1] and not script.beacons
    page.evaluate(HIDE)
    _until(page, lambda: "page=hidden" in script.polls[-1])  # every poll of a background tab says so
    page.goto(f"{base}/other")  # the page goes away: pagehide sends the closing beacon
    _until(page, lambda: script.beacons == ["/page/job?page=closed"])


def test_a_finished_job_sends_no_beacon_when_its_page_goes(page, scripted) -> None:
    base, script = scripted
    script.messages += [_msg(1, "running", 3), _msg(2, "finished", 10)]
    page.goto(f"{base}/")
    page.wait_for_function("() => window.__done.length > 0")
    page.goto(f"{base}/other")
    page.goto(f"{base}/other")  # a beacon sent while the first page unloaded has arrived by the second load
    assert script.beacons == []  # nothing to stop: a finished job's page closing is not news


# ---------------------------------------------------------------- the real app
IDLE_STOP_S = 10  # this server's NNLIB_IDLE_STOP: a visible page silent this long counts as gone
EPOCH = "() => Number((document.querySelector('.nnlive') || {dataset: {}}).dataset.epoch || 0)"


@pytest.fixture(scope="module")
def short_idle_server() -> Iterator[str]:
    with app_server("server_idle", NNLIB_WORKERS="1", NNLIB_IDLE_STOP=str(IDLE_STOP_S),
                    NNLIB_HIDDEN_IDLE_STOP="600") as url:
        yield url


def _job_state(server: str, token: str) -> dict:
    """The job's status and reason as its live route tells them (this poll is contact too, like the page's)."""
    with urllib.request.urlopen(f"{server}/nnlive/snap/{token}?seq=-1&hold=0", timeout=30) as answer:
        msg = json.loads(answer.read())
    return {"status": msg["status"], "reason": msg["info"].get("reason", "")}


@pytest.mark.slow
def test_in_the_app_a_frozen_background_tab_keeps_its_job_and_closing_it_stops_the_job(short_idle_server,
                                                                                       page) -> None:
    """A background tab whose timers do not run for twice NNLIB_IDLE_STOP (Chrome wakes them once a minute; here
    the page is frozen outright) still has its job; closing the page stops it by its beacon, not by silence."""
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if "/nnlive/snap/" in r.url else None)
    page.goto(f"{short_idle_server}/?train.speed=normal")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function(f"({EPOCH})() > 0", timeout=120_000)
    token = urllib.parse.urlparse(polls[-1]).path.rsplit("/", 1)[1]
    page.evaluate(HIDE)
    _until(page, lambda: "page=hidden" in polls[-1])
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})  # no timer, no poll
    time.sleep(2 * IDLE_STOP_S + 5)  # the janitor sweeps every IDLE_STOP_S / 4 s
    cdp.send("Page.setWebLifecycleState", {"state": "active"})
    assert _job_state(short_idle_server, token)["status"] == "running"
    shot(page, "live_after_background")
    page.goto("about:blank")  # closing: the beacon
    for _ in range(12):  # asked every 7 s: contact, so only the beacon (not NNLIB_IDLE_STOP) can stop it
        time.sleep(7)
        state = _job_state(short_idle_server, token)
        if state["status"] != "running":
            break
    assert state == {"status": "stopped", "reason": "stopped because its page was closed"}
