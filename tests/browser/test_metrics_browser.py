"""Issue 9 item 10: Streamlit's `/_stcore/metrics` is public on a class server and cannot be turned off (README says
so). This keeps README's promise about what it shows: aggregate counters only -- no session id, no browser's cookie
token, nothing of a visitor's settings -- while a real visitor has a session open."""

from __future__ import annotations

import re
import urllib.request

from nnlib.jobs.identity import xsrf_token

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_public_metrics_show_counters_but_nothing_of_a_visitor(server, page) -> None:
    page.goto(f"{server}/?data.n_samples=321")
    page.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
    cookie = next(c["value"] for c in page.context.cookies() if c["name"] == "_streamlit_xsrf")
    with urllib.request.urlopen(f"{server}/_stcore/metrics", timeout=30) as answer:
        text = answer.read().decode()
    assert "active_sessions" in text and "session_duration_seconds" in text  # the counters README lists
    assert re.search(r"^active_sessions\S* [1-9]", text, re.M), "the visitor's session is counted"
    token = xsrf_token(cookie)
    assert token and token.hex() not in text and cookie.strip('"') not in text
    assert not UUID.search(text), UUID.search(text)  # Streamlit's session ids are UUIDs
    assert "session_id" not in text
    labels = set(re.findall(r'(\w+)="', text))  # what the counters are split by: never who
    assert labels <= {"cache", "cache_type", "result", "le", "trigger", "type", "reason"}, labels
