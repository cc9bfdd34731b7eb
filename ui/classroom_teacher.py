"""The teacher's side of the classroom: the password gate, classes and their presets, the live class table
(stop a run, show a run to everyone) and challenges.

Every action is a function that checks, on the server, that this session unlocked the teacher gate and that the
class / run / job it names belongs together -- the page only draws buttons that call them.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from nnlib.classroom.challenges import KINDS
from nnlib.classroom.presets import unknown_fields
from nnlib.config import RunConfig
from nnlib.store import challenges, classes, presets, runs, students
from ui import classroom as CR
from ui import session as S

TEACHER_KEY = "teacher.ok"
TEACHER_STOP_NOTE = "stopped by your teacher"  # what the student reads (not "stopped by the user": that was not them)


class NotAllowed(PermissionError):
    """A teacher action from a session that is not the teacher's, or on something outside the class."""


def _browser() -> str | None:
    """The key an unlock is remembered by: this browser's cookie hash; None without the cookie (an address or a
    session names no one browser: a whole class behind one NAT shares an address)."""
    person = S.person_id()
    return person if person.startswith("browser:") else None


def is_teacher() -> bool:
    """This session unlocked the gate, or is a new session (a reload) of a browser that did so within the last
    UNLOCK_TTL_S (nnlib.classroom.auth.UnlockMemory)."""
    if not st.session_state.get(TEACHER_KEY):
        browser = _browser()
        if browser is not None and CR.teacher_gate().unlocks.unlocked(browser):
            st.session_state[TEACHER_KEY] = True
    return bool(st.session_state.get(TEACHER_KEY))


def unlock(attempt: str) -> tuple[bool, str]:
    """Check a password (rate-limited per person/address); on success this session is the teacher's, and this
    browser's reloads are too for a while."""
    gate = CR.teacher_gate()
    ok, message = gate.check(attempt, S.person_id())
    if ok:
        st.session_state[TEACHER_KEY] = True
        browser = _browser()
        if browser is not None:
            gate.unlocks.remember(browser)
    return ok, message


def lock() -> None:
    """End the teacher's unlock in this session and for this browser (a shared computer)."""
    st.session_state.pop(TEACHER_KEY, None)
    browser = _browser()
    if browser is not None:
        CR.teacher_gate().unlocks.forget(browser)


def require_teacher(class_id: int | None = None) -> Any:
    """NotAllowed unless this session unlocked the teacher gate (and `class_id`, if given, is a class); the class."""
    if not is_teacher():
        raise NotAllowed("only the teacher can do this: unlock the Teacher page first")
    if class_id is None:
        return None
    klass = classes.by_id(CR.engine(), class_id)
    if klass is None:
        raise NotAllowed("no such class")
    return klass


def create_class(name: str) -> classes.ClassRow:
    require_teacher()
    return classes.create_class(CR.engine(), name)


def save_preset(class_id: int, config_json: str, locked: list[str], hidden: list[str]) -> presets.PresetRow:
    """Store a preset after checking it: a valid Playground config, and only real field names."""
    require_teacher(class_id)
    bad = unknown_fields([*locked, *hidden])
    if bad:
        raise ValueError(f"these are not settings: {', '.join(bad)}")
    cfg = RunConfig.from_json(config_json).checked()  # ConfigError with the problems
    if cfg.is_image:
        raise ValueError("a class preset is a Playground (2D) setup, not an image one")
    return presets.save_preset(CR.engine(), class_id, "preset", cfg.to_json(indent=None), locked, hidden)


def add_challenge(class_id: int, title: str, kind: str, threshold: float | None,
                  max_epochs: int | None) -> challenges.ChallengeRow:
    require_teacher(class_id)
    if kind not in KINDS:
        raise ValueError(f"unknown challenge kind {kind!r}")
    return challenges.add_challenge(CR.engine(), class_id, title or KINDS[kind], kind, threshold, max_epochs)


def stop_run(class_id: int, job_id: str) -> bool:
    """Stop a class member's active job; False if it is not a job of this class, is gone, or has already ended (the
    page then says so: a Stop pressed as the run finished)."""
    require_teacher(class_id)
    from nnlib.classroom.recorder import ACTIVE
    from ui.services import job_manager

    for t, session_id, view in CR.recorder().tracked(class_id):
        if t.job_id == job_id:
            if view.status not in ACTIVE:
                return False
            job_manager().stop_for(session_id, job_id, TEACHER_STOP_NOTE)
            return True
    return False


def share_run(class_id: int, run_id: int, shared: bool) -> bool:
    """Show a class's stored run to every class member (or stop showing it)."""
    require_teacher(class_id)
    return runs.set_shared(CR.engine(), run_id, class_id, shared)


def release_name(class_id: int, student_id: int) -> bool:
    """Let the next browser that joins the class with this student's name take it, with their runs."""
    require_teacher(class_id)
    done = students.release(CR.engine(), class_id, student_id)
    if done:
        CR.forget_student(student_id)
    return done


# ---------------------------------------------------------------- the page's sections

def login_form() -> None:
    gate = CR.teacher_gate()
    if not gate.enabled:
        st.info("Teacher features are off on this server: set the environment variable NNLIB_TEACHER_PASSWORD "
                "(or `teacher_password` in .streamlit/secrets.toml) and restart the server.",
                icon=":material/lock:")
        return
    with st.form("teacher.login"):
        attempt = st.text_input("Teacher password", type="password", key="teacher.password",
                                help="Set by whoever started the server (NNLIB_TEACHER_PASSWORD).")
        if st.form_submit_button("Unlock", type="primary", help="Open the teacher's tools in this browser "
                                 "(its reloads too, for 4 hours or until you press Lock)."):
            ok, message = unlock(attempt)
            if ok:
                st.rerun()
            st.error(message)


def class_picker() -> classes.ClassRow | None:
    """Create a class, or pick one; returns the chosen class."""
    with st.form("teacher.new_class", clear_on_submit=True):
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        name = c1.text_input("New class name", key="teacher.class_name", help="e.g. 'Intro to NNs, group B'.")
        if c2.form_submit_button("Create class", help="A new class with a short join code.") and name.strip():
            st.session_state["teacher.class_id"] = create_class(name).id
    known = classes.all_classes(CR.engine())
    if not known:
        st.caption("No class yet: create one above.")
        return None
    ids = [k.id for k in known]
    if st.session_state.get("teacher.class_id") not in ids:
        st.session_state["teacher.class_id"] = ids[0]
    by_id = {k.id: k for k in known}
    chosen = st.selectbox("Class", ids, key="teacher.class_id", format_func=lambda i: f"{by_id[i].name} "
                          f"({by_id[i].code})", help="The class whose preset, table and challenges are shown.")
    klass = by_id[chosen]
    st.markdown(f"Join code **{klass.code}** · class link (students open it and pick a display name):")
    st.code(f"{_base_url()}?class={klass.code}", language=None)
    return klass


def _base_url() -> str:
    try:
        url = (st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - no client context
        url = ""
    return url.rsplit("/teacher", 1)[0].rstrip("/") + "/"


def students_panel(klass: classes.ClassRow) -> None:
    """The class's names; each can be handed to another browser (a student on a new laptop or browser, who cannot
    take their own name back: it is bound to the browser that chose it)."""
    members = students.class_students(CR.engine(), klass.id)
    if not members:
        return
    with st.expander(f"Students ({len(members)}) -- hand a name to a new browser", expanded=False):
        for s in members:
            line = st.container(horizontal=True, vertical_alignment="center", key=f"teacher-student-{s.id}")
            waiting = s.person == students.RELEASED
            line.markdown(f"**{s.name}**" + (" · released: the next browser that joins with this name takes it"
                                             if waiting else ""), width="stretch")
            if not waiting and line.button("Hand over", key=f"teacher.release.{s.id}", icon=":material/swap_horiz:",
                                           help=f"{s.name} is on another browser or laptop? After this, the next "
                                                "browser that joins the class with this name gets it, with its "
                                                "saved runs; the old browser is asked for a name again."):
                release_name(klass.id, s.id)
                st.rerun()


def challenge_form(klass: classes.ClassRow) -> None:
    with st.form(f"teacher.challenge.{klass.id}", clear_on_submit=True):
        st.markdown("**New challenge**")
        c1, c2, c3, c4 = st.columns([3, 3, 1, 1], vertical_alignment="bottom")
        title = c1.text_input("Title", key=f"teacher.ch_title.{klass.id}", help="What students read, e.g. "
                              "'Spiral: 95% with the fewest parameters'.")
        kind = c2.selectbox("Goal", list(KINDS), format_func=KINDS.get, key=f"teacher.ch_kind.{klass.id}",
                            help="How entries are ranked: parameters among runs with val accuracy >= threshold, "
                                 "or the lowest val loss reached within the epoch limit.")
        threshold = c3.number_input("Threshold", 0.0, 1.0, 0.95, 0.01, key=f"teacher.ch_thr.{klass.id}",
                                    help="Validation accuracy a run must reach (fewest-parameters goal).")
        epochs = c4.number_input("Epoch limit", 1, 10000, 200, key=f"teacher.ch_ep.{klass.id}",
                                 help="Only the first N epochs count (lowest-val-loss goal).")
        if st.form_submit_button("Add challenge", help="Students see it with a live leaderboard."):
            add_challenge(klass.id, title, kind, threshold if kind == "fewest_params" else None,
                          int(epochs) if kind == "lowest_val_loss" else None)


def leaderboards(klass: classes.ClassRow) -> None:
    from ui.classroom_student import show_leaderboard

    eng = CR.engine()
    names = {f"student:{s.id}": s.name for s in students.class_students(eng, klass.id)}
    class_runs = runs.class_runs(eng, klass.id)
    for task in challenges.class_challenges(eng, klass.id):
        show_leaderboard(task, class_runs, names)
