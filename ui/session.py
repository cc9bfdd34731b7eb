"""Per-browser-session state: who this session is (an unguessable id) and which job it is watching (or which
imported run file it is looking at, shown like a finished job until Train or Reset)."""

from __future__ import annotations

import secrets
from typing import Any

import streamlit as st

from nnlib.jobs.manager import JobManager, JobNotFound, JobView
from ui.services import job_manager


def session_id() -> str:
    if "nn_session" not in st.session_state:
        st.session_state.nn_session = secrets.token_urlsafe(16)
    return st.session_state.nn_session


def manager() -> JobManager:
    m = job_manager()
    m.touch(session_id())
    return m


def current_view(slot: str) -> JobView | None:
    """The job this page (slot) last started, else an imported run, else None (none, or it was cleaned up)."""
    job_id = st.session_state.get(f"job_{slot}")
    if not job_id:
        return st.session_state.get(f"imported_{slot}")
    try:
        return manager().view(session_id(), job_id)
    except JobNotFound:
        st.session_state.pop(f"job_{slot}", None)
        return st.session_state.get(f"imported_{slot}")


def show_imported(slot: str, view: JobView) -> None:
    """Look at an imported run instead of this page's job (which is stopped and forgotten)."""
    reset(slot)
    st.session_state[f"imported_{slot}"] = view


def start_job(slot: str, payload: dict[str, Any]) -> str:
    """Replace this page's job by a new one (the old one is stopped and forgotten)."""
    m = manager()
    st.session_state.pop(f"imported_{slot}", None)
    old = st.session_state.get(f"job_{slot}")
    if old:
        try:
            m.remove(session_id(), old)
        except JobNotFound:
            pass
    job_id = m.submit(session_id(), payload)
    st.session_state[f"job_{slot}"] = job_id
    return job_id


def command(slot: str, cmd: str) -> None:
    job_id = st.session_state.get(f"job_{slot}")
    if job_id:
        try:
            manager().command(session_id(), job_id, cmd)
        except JobNotFound:
            st.session_state.pop(f"job_{slot}", None)


def reset(slot: str) -> None:
    st.session_state.pop(f"imported_{slot}", None)
    job_id = st.session_state.pop(f"job_{slot}", None)
    if job_id:
        try:
            manager().remove(session_id(), job_id)
        except JobNotFound:
            pass
