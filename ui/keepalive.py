"""Keep a page's other jobs alive while the page is open: a job that the page started but does not draw (a
Change-one-knob group started from the Playground or the CNN page) gets no polls from the page's live charts,
which follow only the page's own run and stop when it ends. The job manager would then take the page for closed
after NNLIB_IDLE_STOP seconds (nnlib.jobs.records.Session.silent_too_long) and stop the group while its student
watches. This component tells the live route's page endpoint (ui.live: POST /nnlive/page/<token>) every few
seconds that the page is still open (or in a background tab), and sends the closing beacon when it goes away, so
such a job lives and ends with its page exactly as the page's own run does."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ui.live import PREFIX


def keep_every_ms() -> int:
    """How often the page says it is open: every 5 s, or a third of a shorter idle limit (NNLIB_IDLE_STOP)."""
    try:
        idle = float(os.environ.get("NNLIB_IDLE_STOP", 30))
    except ValueError:
        idle = 30.0
    return int(max(250.0, min(5000.0, 1000.0 * idle / 3)))


_JS = (Path(__file__).with_name("keepalive.js")).read_text(encoding="utf-8")
_component: Any = None


def keep_alive(key: str, tokens: Sequence[str]) -> Any:
    """Mount the keep-alive for these job tokens (nothing is said for an empty list)."""
    import streamlit as st

    global _component
    if _component is None:
        _component = st.components.v2.component("nn_keep_alive", html="<div class='nnkeep'></div>", js=_JS)
    return _component(key=key, data={"tokens": list(tokens), "prefix": PREFIX, "every": keep_every_ms()})
