"""The teacher's read-only look at one student's run, opened from the class table: while it trains, its live
curves and decision boundary (the browser polls the live route, which only ever reads a snapshot); once it has
ended, the stored run's curves. The only control is the teacher's own Stop.

Both ways in are checked on the server: only a session that unlocked the teacher gate, and only a job or run of
the class the teacher is looking at (a job token or a run id alone opens nothing). A student's page never gets
here: students reach jobs only through their own session (the job manager refuses another session's job id).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import streamlit as st

from nnlib.classroom.recorder import ACTIVE, Tracked
from nnlib.config import RunConfig
from nnlib.jobs.records import JobView
from nnlib.store import runs, students
from ui import classroom as CR
from ui import classroom_teacher as T
from ui import session as S
from ui.classroom_table import ENDED_NOTE
from ui.live import live_charts, register_source
from ui.run_controls import static_chart

WATCH_KEY = "teacher.watch"  # (class id, "job", job id) or (class id, "run", run id), in a key no widget owns
LIVE_PAGES = ("playground",)  # pages whose live view the teacher can follow (their boundary needs the 2D data)
MAX_TOKENS = 500  # watch tokens kept (the oldest are forgotten first: their views then stop updating)

# watch token -> (the student's job id, the teacher's session). The teacher's browser polls the live route with this
# token, never the job's own: the route's page-state notes and closing beacon then reach no job (closing the
# teacher's tab must not stop the student's run), and its heartbeat keeps the teacher's session alive, not the
# student's (a student who closed the page still gets the run stopped).
WATCH_TOKENS: OrderedDict[str, tuple[str, str]] = OrderedDict()
_tokens_lock = threading.Lock()


def watch_token(job_id: str, teacher_session: str) -> str:
    """The read-only token the teacher's live view of `job_id` polls (one per job and teacher session)."""
    with _tokens_lock:
        for token, entry in WATCH_TOKENS.items():
            if entry == (job_id, teacher_session):
                WATCH_TOKENS.move_to_end(token)
                return token
        token = secrets.token_urlsafe(16)
        WATCH_TOKENS[token] = (job_id, teacher_session)
        while len(WATCH_TOKENS) > MAX_TOKENS:
            WATCH_TOKENS.popitem(last=False)
        return token


def _watch_source(token: str, manager: Any) -> tuple[str, JobView] | None:
    """The live route's lookup of a watch token: (the teacher's session, the student's job view)."""
    with _tokens_lock:
        entry = WATCH_TOKENS.get(token)
    found = manager.find(entry[0]) if entry else None
    return (entry[1], found[1]) if found else None


register_source(_watch_source)


@dataclass(frozen=True)
class Watched:
    """What the teacher's view shows: a tracked job (live or just ended) or a stored run."""

    owner: str
    page: str
    config_json: str
    job: tuple[Tracked, JobView] | None = None
    stored: runs.RunRow | None = None


def watched_job(class_id: int, job_id: str) -> Watched | None:
    """A class job the teacher may watch (None once it has left the job manager: see `stored_run`). NotAllowed
    for a session that is not the teacher's; a job of another class is simply not found."""
    T.require_teacher(class_id)
    for t, _session, view in CR.recorder().tracked(class_id):
        if t.job_id == job_id:
            return Watched(t.owner, t.page, t.config_json, job=(t, view))
    stored = runs.class_run_by_job(CR.engine(), class_id, job_id)
    return Watched(stored.owner, stored.page, stored.config, stored=stored) if stored else None


def stored_run(class_id: int, run_id: int) -> Watched | None:
    """A stored run of the class (not another class's); NotAllowed for a session that is not the teacher's."""
    T.require_teacher(class_id)
    run = runs.load_run(CR.engine(), run_id, class_id=class_id)
    return Watched(run.owner, run.page, run.config, stored=run) if run else None


def open_job(class_id: int, job_id: str) -> None:
    st.session_state[WATCH_KEY] = (class_id, "job", job_id)


def open_run(class_id: int, run_id: int) -> None:
    st.session_state[WATCH_KEY] = (class_id, "run", run_id)


def close() -> None:
    st.session_state.pop(WATCH_KEY, None)


def watch_panel(klass: Any) -> None:
    """The view the class table's Watch / View opened, above the table (outside its 2-second refresh, so the live
    charts are mounted once and patched by the browser)."""
    target = st.session_state.get(WATCH_KEY)
    if not target or target[0] != klass.id:  # nothing opened, or opened in another class (the teacher switched)
        return
    _, kind, ident = target
    try:
        watched = watched_job(klass.id, ident) if kind == "job" else stored_run(klass.id, int(ident))
    except T.NotAllowed as e:
        st.error(f"This run cannot be shown: {e}.")
        close()
        return
    with st.container(border=True, key="teacher-watch"):
        if watched is None:
            st.warning("This run is not in this class any more (it ended and was not kept, or was pruned).")
            st.button("Close", key="teacher.watch.close", on_click=close, help="Close this view.")
            return
        names = {f"student:{s.id}": s.name for s in students.class_students(CR.engine(), klass.id)}
        view = watched.job[1] if watched.job else None
        active = view is not None and view.status in ACTIVE
        if active:  # its status changes without the teacher doing anything (the student pauses, resumes, stops)
            _live_bar(klass.id, watched.job[0].job_id, names, drawn_active=True)
        else:
            _bar(klass.id, watched, names)
        if view is not None and watched.page in LIVE_PAGES:
            _live_playground(watched, view, active)
        else:
            history = view.snapshot.get("history") if view is not None and view.snapshot else (
                watched.stored.history if watched.stored else {})
            _curves(history or {})


def _bar(class_id: int, watched: Watched, names: dict[str, str]) -> None:
    """Whose run, its status, what it is; the teacher's Stop while it is active; Close."""
    view = watched.job[1] if watched.job else None
    bar = st.container(horizontal=True, vertical_alignment="center", key="teacher-watch-bar")
    state = view.status if view is not None else watched.stored.status if watched.stored else "?"
    bar.markdown(f":material/visibility: **{names.get(watched.owner, '?')}**'s run · {state} · read-only"
                 + _describe(watched.config_json))
    if view is not None and view.status in ACTIVE:
        if bar.button("Stop", key="teacher.watch.stop", icon=":material/stop:",
                      help="End this student's run now (their curves stay).") \
                and not T.stop_run(class_id, watched.job[0].job_id):
            st.toast(ENDED_NOTE, icon=":material/info:")
    elif st.session_state.get("teacher.watch.stop") is True:  # pressed as the run ended: the bar has no Stop now
        st.toast(ENDED_NOTE, icon=":material/info:")
    if bar.button("Close", key="teacher.watch.close", help="Close this view."):
        close()
        st.rerun()  # the whole page: the charts below go too


@st.fragment(run_every=2.0)
def _live_bar(class_id: int, job_id: str, names: dict[str, str], drawn_active: bool) -> None:
    """The bar of a run being watched, re-read every 2 s: the status the student's page gave it (paused, running
    again) shows without the teacher doing anything -- drawn once, it said "running" while the run was paused. A
    run that ended (or left the class) reruns the page, which then shows its final curves."""
    try:
        watched = watched_job(class_id, job_id)
    except T.NotAllowed:  # locked meanwhile
        watched = None
    if watched is None or watched.job is None or (watched.job[1].status in ACTIVE) != drawn_active:
        st.rerun()
    _bar(class_id, watched, names)


def _describe(config_json: str) -> str:
    cfg = RunConfig.from_json(config_json)
    layers = ",".join(map(str, cfg.model.hidden)) or "no hidden layer"
    return f" · {cfg.data.dataset}, {layers} {cfg.model.activation}, lr {cfg.train.lr:g}"


def _live_playground(watched: Watched, view: JobView, active: bool) -> None:
    """The student's boundary, network and curves, patched in place by the live route while the job runs."""
    from ui.playground_views import ROWS, data_view, preview_snapshot
    from ui.plots import playground_figures

    cfg = RunConfig.from_json(watched.config_json)
    dv = data_view(RunConfig(data=cfg.data).to_json())
    snap = view.snapshot or preview_snapshot(cfg.to_json())
    figs = playground_figures(snap, dv["points"], dv["domain"], dv["features"], False, False, dv["n_classes"],
                              dv["problem"] == "regression")
    token = watch_token(view.job_id, S.session_id())
    live_charts("teacher.live", figs, ROWS, token, "playground", active, view.snapshot_seq, view.status,
                on_done=lambda: None)


def _curves(history: dict[str, list]) -> None:
    """A stored run: its loss and accuracy (or RMSE) curves."""
    from ui.plots import loss_figure, metric_figure

    snap = {"history": history}
    for col, (fid, fig) in zip(st.columns(2), (("loss", loss_figure(snap)), ("metric", metric_figure(snap))),
                               strict=True):
        static_chart(col, fig, f"teacher.watch.{fid}")
