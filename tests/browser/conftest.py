"""A real server (`streamlit run app.py` on 127.0.0.1) and headless Debian chromium for the browser tests."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ARTIFACTS = os.path.join(ROOT, "test-artifacts")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MISSING_CHROMIUM = ("the browser tests need Debian's chromium at {path}: `apt-get install -y chromium` (make test "
                    "does it when run as root), set CHROMIUM=/path/to/chromium, or deselect them with "
                    "-m 'not browser'")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server(log_name: str = "server", **env: str) -> Iterator[str]:
    """`streamlit run app.py` on a free loopback port (extra environment variables in `env`); yields its URL."""
    port = _free_port()
    env = {**os.environ, "NNLIB_WORKERS": "2", "NNLIB_ALLOW_DOWNLOAD": "0", "PYTHONPATH": ROOT, **env}
    os.makedirs(ARTIFACTS, exist_ok=True)
    log = open(os.path.join(ARTIFACTS, f"{log_name}.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        log.close()
        pytest.fail("the app did not answer /_stcore/health within 60 s")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def server():
    with app_server() as url:
        yield url


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport={"width": 1500, "height": 1400})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def shot(page, name: str) -> str:
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=True)
    return path


def wait_for(page, js, pred, timeout=90.0):
    """Poll a JS expression until `pred` accepts its value (the live view updates on its own, not on an event)."""
    deadline = time.time() + timeout
    value = None
    while time.time() < deadline:
        value = page.evaluate(js)
        if pred(value):
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out; last value {value!r}")


@contextlib.contextmanager
def browser_contexts(browser, failure_name: str) -> Iterator[list]:
    """A list to put a test's browser contexts in: every page of them is screenshotted if the test fails (named
    `failure_name-<context index>`), and every context is closed at the end, failed or not."""
    contexts: list = []
    try:
        yield contexts
    except Exception:
        for i, ctx in enumerate(contexts):
            for pg in ctx.pages:
                shot(pg, f"{failure_name}-{i}")
        raise
    finally:
        for ctx in contexts:
            ctx.close()
