"""The run bar's "how to watch it" controls: the speed of a run and whether it runs until the student pauses.

One call from a page; labels and tooltips come from RunConfig's metadata like every other widget.
"""

from __future__ import annotations

import streamlit as st

from ui import controls as C


def pace_controls(prefix: str) -> None:
    """Speed (slow / normal / fast) and the "until I pause" toggle, side by side."""
    speed, until = st.columns([1.4, 1], vertical_alignment="bottom")
    with speed:
        C.choice(prefix, "train", "speed", "Speed")
    with until:
        C.toggle(prefix, "train", "until_paused", "Until I pause")
