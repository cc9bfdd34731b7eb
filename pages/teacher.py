"""The Teacher page: unlock with the server's teacher password, create a class and its preset, watch the class
table live (follow a student's run read-only, stop it, show one to everyone) and set challenges and leaderboards."""

from __future__ import annotations

import streamlit as st

from nnlib.store.db import StoreError
from ui import classroom_preset as PRESET
from ui import classroom_table as TABLE
from ui import classroom_teacher as T
from ui import classroom_watch as W

head = st.container(horizontal=True, vertical_alignment="center", key="teacher-head")
head.markdown("### Teacher", width="stretch")
if not T.is_teacher():
    T.login_form()
    st.stop()
head.button("Lock", key="teacher.lock", icon=":material/lock:", on_click=T.lock, help="Close the teacher's tools "
            "in this browser: the password is asked again (on a shared computer, before you leave it).")
try:
    klass = T.class_picker()
except StoreError as e:
    st.error(f"The class database cannot be opened: {e}")
    st.stop()
if klass is None:
    st.stop()
table_tab, preset_tab, challenge_tab = st.tabs(["Class table", "Preset", "Challenges"])
with preset_tab:
    PRESET.preset_editor(klass)


@st.fragment(run_every=2.0)
def live_table() -> None:
    """Refreshed every 2 s on its own, so the rest of the page is not redrawn."""
    TABLE.class_table(klass)


@st.fragment(run_every=3.0)
def leaderboards() -> None:
    T.leaderboards(klass)


with table_tab:
    T.students_panel(klass)
    W.watch_panel(klass)  # a student's run, read-only (outside the table's refresh: its charts are mounted once)
    live_table()
with challenge_tab:
    T.challenge_form(klass)
    leaderboards()
