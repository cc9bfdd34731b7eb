"""The run bar's "how to watch it" controls: the speed of a run and whether it runs until the student pauses.

One call from a page; labels and tooltips come from RunConfig's metadata like every other widget.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui import controls as C


def pace_controls(prefix: str, box: Any = None) -> None:
    """Speed (slow / normal / fast) and the "until I pause" toggle, as two items of `box` (the page's run bar,
    a horizontal container that wraps instead of truncating) or of a new horizontal row."""
    with box if box is not None else st.container(horizontal=True, vertical_alignment="bottom"):
        C.choice(prefix, "train", "speed", "Speed", width=150)
        C.toggle(prefix, "train", "until_paused", "Until I pause")
