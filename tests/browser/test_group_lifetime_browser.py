"""In chromium against the real app: a Change-one-knob group started from the Playground (with no run of the page's
own to poll) keeps training while the Playground stays open, and stops within seconds once the page is closed --
the same lifetime as the page's own run. The server's idle limit is 3 s here, so a page that says nothing for a few
seconds would have its group stopped (the bug: "stopped because its page was closed or left")."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest

from tests.browser.conftest import app_server, shot


def jobs_by_state(url: str) -> dict[str, int]:
    text = urllib.request.urlopen(f"{url}/nnlive/metrics", timeout=10).read().decode()
    return {m[1]: int(m[2]) for m in re.finditer(r'nnlib_jobs\{state="(\w+)",backend="\w+"\} (\d+)', text)}


def wait_state(url: str, pred, timeout: float) -> dict[str, int]:
    deadline = time.time() + timeout
    states = jobs_by_state(url)
    while time.time() < deadline and not pred(states):
        time.sleep(0.5)
        states = jobs_by_state(url)
    return states


@pytest.mark.slow
def test_a_group_lives_while_its_playground_is_open_and_stops_when_closed(browser) -> None:
    with app_server("group_lifetime", NNLIB_IDLE_STOP="3", NNLIB_METRICS="1") as url:
        ctx = browser.new_context(viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        page.goto(f"{url}/?train.epochs=5000&train.speed=slow&train.until_paused=false")
        page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
        page.get_by_role("button", name="Change one knob").click()
        page.get_by_role("textbox", name="Values").wait_for(timeout=30_000)
        page.get_by_role("button", name="Train the variants").click()
        page.get_by_text("3 variants of dropout are training side by side").wait_for(timeout=30_000)
        page.keyboard.press("Escape")
        started = wait_state(url, lambda s: s.get("running", 0) == 1, 120)
        assert started.get("running") == 1, started
        time.sleep(20)  # several idle limits (3 s) and a stop's grace (10 s) with the page open and untouched
        shot(page, "group_lifetime_open")
        alive = jobs_by_state(url)
        assert alive.get("running") == 1 and alive.get("stopped", 0) == 0, alive
        page.close()  # the page's closing beacon: the group stops within seconds, as the page's own run would
        ended = wait_state(url, lambda s: s.get("stopped", 0) == 1, 30)
        assert ended.get("stopped") == 1 and ended.get("running", 0) == 0, ended
        ctx.close()
