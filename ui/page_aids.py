"""Browser aids that belong to every page, whatever it draws: mounted once per script run from app.py, after the
page, so the empty element sits below the content. Today: Streamlit names every number input's -/+ buttons
"Decrement" / "Increment", so a screen reader lists a dozen identical buttons; ui/page_aids.js names each pair
after its field ("Increase Epochs"). This lived in ui/live.js, which only pages with live charts load: the labs'
number fields (Initialization, Convolution, Pooling & norm, Dropout, Transfer) kept the nameless buttons."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_JS = (Path(__file__).with_name("page_aids.js")).read_text(encoding="utf-8")
_component: Any = None


def page_aids() -> Any:
    """Mount the aids (their script installs itself once per browser window and survives reruns)."""
    import streamlit as st

    global _component
    if _component is None:
        _component = st.components.v2.component("nn_page_aids", html="<div class='nnaids'></div>", js=_JS)
    return _component(key="nn_page_aids", data={})
