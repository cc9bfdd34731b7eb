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
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.browser.conftest import shot
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
