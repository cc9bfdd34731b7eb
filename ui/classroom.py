"""The classroom's server-side services and the hooks ui.session calls around a job: who owns a run (a class
member, else the browser), the class preset and admission limits applied before a job is submitted, and the
recorder that stores every ended run in the database.

A class member is identified by (class, display name): the `students` row, bound to the browser that chose the
name (nnlib.jobs.identity's person key, a hash of Streamlit's XSRF cookie token). Outside a class, runs belong to
that person key, so the same browser finds them after a reload or a server restart.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import streamlit as st

from nnlib.classroom.admission import class_refusal, within_class_epochs
from nnlib.classroom.auth import TeacherGate
from nnlib.classroom.presets import ClassPreset, apply_preset
from nnlib.classroom.recorder import ACTIVE, RunRecorder
from nnlib.config import RunConfig
from nnlib.jobs.manager import JobLimitError
from nnlib.store import presets, students
from nnlib.store.db import StoreError, open_engine
from nnlib.validation import run_plan
from ui import session as S

log = logging.getLogger(__name__)
CTX_KEY = "class.ctx"
HANDED_KEY = "class.handed_over"  # the ClassContext this session lost to the teacher's hand-over
HOLDS_MEMO = "class.holds_memo"  # (script run, ClassContext, whether it still holds its name)
HANDED_NOTE = "Your name was handed to another browser by your teacher; join again to continue."
PAGES = {"playground": "playground", "cnn": "cnn"}  # job slot -> the page a stored run reopens on
GROUP_PAGES = {"group": "compare"}  # group job slot -> what the teacher's table calls it (labs: their own slot)
PRESET_SLOT = "playground"  # class presets are Playground setups; other pages only get the class's limits

_lock = threading.Lock()
_services: dict[str, Any] = {}


@dataclass(frozen=True)
class ClassContext:
    """This session's class membership (set by the join form, kept in session_state)."""

    class_id: int
    code: str
    class_name: str
    student_id: int
    student_name: str
    person: str = ""  # the browser that held the name when this session joined ("": not checked, a bare script)

    @property
    def owner(self) -> str:
        return f"student:{self.student_id}"


def engine() -> sa.Engine:
    """The process's database engine (migrated at first use); StoreError with a sentence if it cannot open."""
    with _lock:
        if "engine" not in _services:
            _services["engine"] = open_engine()
        return _services["engine"]


def _pack(config_json: str, snapshot: dict, weights: dict) -> bytes:
    from ui.run_file import export_run

    return export_run(RunConfig.from_json(config_json), snapshot, weights)


def recorder() -> RunRecorder:
    """The process's run recorder (started with the first page that needs it, or at server start)."""
    eng = engine()
    with _lock:
        if "recorder" not in _services:
            from ui.services import job_manager

            _services["recorder"] = RunRecorder(eng, job_manager().find, _pack)
        return _services["recorder"]


def teacher_gate() -> TeacherGate:
    """The password gate: NNLIB_TEACHER_PASSWORD, else `teacher_password` in Streamlit secrets, else off."""
    with _lock:
        if "gate" not in _services:
            password = os.environ.get("NNLIB_TEACHER_PASSWORD") or None
            if password is None:
                try:
                    password = st.secrets.get("teacher_password") or None
                except Exception:  # noqa: BLE001 - no secrets file: teacher features stay off
                    password = None
            _services["gate"] = TeacherGate(password)
        return _services["gate"]


def start_classroom() -> None:
    """At server start: open and migrate the database, start the recorder (its first tick applies retention)."""
    try:
        recorder()
    except StoreError as e:
        log.error("classroom features are off: %s", e)


MAX_MEMBERS = 5000  # browsers whose class this process remembers (the least recently joined are forgotten first)
_members: OrderedDict[str, ClassContext] = OrderedDict()  # person key -> the class that browser is in


def context() -> ClassContext | None:
    """This session's class; a new session (a reload of any page, a new tab) of a browser that joined a class
    while this server runs is in it again. After a server restart the class link brings it back
    (ui.classroom_student.rejoin). A session whose name the teacher has handed to another browser is in no class
    from its next run on (`handed_over` says so), though its page was open all along."""
    ctx = st.session_state.get(CTX_KEY)
    if ctx is None and CTX_KEY not in st.session_state:
        with _lock:
            ctx = _members.get(S.person_id())
        st.session_state[CTX_KEY] = ctx  # looked up once per session; None: not in a class
    if ctx is not None and not _still_holds(ctx):
        st.session_state[CTX_KEY] = None
        st.session_state[HANDED_KEY] = ctx
        with _lock:  # this browser's later sessions are not in the class either (the new browser's stay)
            if _members.get(S.person_id()) == ctx:
                del _members[S.person_id()]
        return None
    return ctx


def _still_holds(ctx: ClassContext) -> bool:
    """Whether this session's browser still holds its display name, read from the database once per script run
    (a page asks for its class ~10 times a run): the teacher's hand-over must reach a page that is already open, at
    its next run, before it acts."""
    if not ctx.person:
        return True
    run = _this_run()
    memo = st.session_state.get(HOLDS_MEMO)
    if run is not None and memo is not None and memo[0] is run and memo[1] == ctx:
        return memo[2]
    try:
        holder = students.holder(engine(), ctx.student_id)
    except (StoreError, sa.exc.SQLAlchemyError):
        return True  # cannot tell: the page keeps working (asked again next time)
    holds = holder is None or holder == ctx.person
    if run is not None:
        st.session_state[HOLDS_MEMO] = (run, ctx, holds)
    return holds


def _this_run() -> object | None:
    """An object that is this script run's alone (Streamlit's per-run cursor table, replaced at every run and
    fragment run; kept referenced by the memo, so a later run's cannot be the same object); None where there is
    none (a bare script: then nothing is memoized)."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    return getattr(get_script_run_ctx(), "cursors", None)


def handed_over() -> ClassContext | None:
    """The class membership this session lost because the teacher handed its name to another browser (None if
    it did not): its pages say so and act for no one until the student joins again."""
    context()
    return st.session_state.get(HANDED_KEY)


def clear_handed_over() -> None:
    st.session_state.pop(HANDED_KEY, None)


def set_context(ctx: ClassContext | None) -> None:
    """Join (a ClassContext) or leave (None) a class, for this session and this browser's later sessions."""
    st.session_state[CTX_KEY] = ctx
    person = S.person_id()
    with _lock:
        if ctx is None:
            _members.pop(person, None)
            return
        _members[person] = ctx
        _members.move_to_end(person)
        while len(_members) > MAX_MEMBERS:
            _members.popitem(last=False)


def forget_student(student_id: int) -> None:
    """Forget the browsers this server remembers as that class member (the teacher released the name: the old
    browser's next session gets the join form; an open page keeps its session until it reloads)."""
    with _lock:
        for person in [p for p, c in _members.items() if c.student_id == student_id]:
            del _members[person]


def owner() -> str:
    """Whom this session's stored runs belong to."""
    ctx = context()
    return ctx.owner if ctx else S.person_id()


def class_preset(ctx: ClassContext | None = None) -> ClassPreset | None:
    """The class's current preset, read from the database (so a teacher's change applies at the next Train)."""
    ctx = ctx or context()
    if ctx is None:
        return None
    row = presets.current_preset(engine(), ctx.class_id)
    return ClassPreset.from_json(row.config, row.locked, row.hidden) if row else None


def _live_runs(class_id: int) -> list[tuple[str, str]]:
    """(owner, config JSON) of the class's active single runs: what the class's limits count. Group jobs (Compare,
    labs) are listed for the teacher but, as before they were, not counted."""
    return [(t.owner, t.config_json) for t, _, v in recorder().tracked(class_id)
            if v.status in ACTIVE and not t.variants]


def enforce_config(cfg: RunConfig, slot: str = PRESET_SLOT) -> RunConfig:
    """What a class member may train on this page: `cfg` with the preset's locked and hidden fields."""
    preset = class_preset() if slot == PRESET_SLOT else None
    return cfg if preset is None else RunConfig.from_dict(apply_preset(cfg.to_dict(), preset))


def admit(slot: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The payload a class member may submit (preset applied), or JobLimitError saying why not. Outside a class
    the payload is unchanged (the job manager's own limits apply)."""
    ctx = context()
    if ctx is None and st.session_state.get(HANDED_KEY) is not None:
        raise JobLimitError(HANDED_NOTE)  # not as the student whose name it was, nor as no one in particular
    if ctx is None or not isinstance(payload.get("config"), dict):
        return payload
    try:
        preset = class_preset(ctx) if slot == PRESET_SLOT else None
        live = _live_runs(ctx.class_id)
    except StoreError:
        raise JobLimitError("The class database is not reachable right now; try again in a minute.") from None
    chosen = RunConfig.from_dict(apply_preset(payload["config"], preset) if preset else payload["config"])
    cfg = within_class_epochs(chosen)
    why = class_refusal(live, ctx.owner, cfg)
    if why:
        raise JobLimitError(why)
    # an "until I pause" run bounded to the class's limit still runs until paused: its status says whose limit it is
    capped = chosen.open_ended and not cfg.open_ended
    return {**payload, "config": cfg.to_dict(), "plan": run_plan(cfg, class_limit=capped)}


def fixed_fields(slot: str) -> frozenset[str]:
    """The config fields ("train.lr") this session's class preset locks or hides on this page (none outside a class
    or when the database cannot be read: the server still enforces the preset at submit)."""
    preset = _page_preset(slot)
    return preset.enforced if preset else frozenset()


def hidden_fields(page: str = PRESET_SLOT) -> frozenset[str]:
    """The config fields ("model.activation") this session's class preset hides from students, for configs of
    `page` (the preset is a Playground setup: other pages' runs hide nothing). Outside a class: none. If the
    database cannot be read, none either -- what is shown then is the student's own setup, which the server
    already holds to the preset."""
    preset = _page_preset(page)
    return preset.hidden if preset else frozenset()


def _page_preset(page: str) -> Any:
    """This session's class preset when it applies to `page` (a Playground setup); None outside a class, on other
    pages, or when the database cannot be read."""
    ctx = context()
    if ctx is None or page != PRESET_SLOT:
        return None
    try:
        return class_preset(ctx)
    except StoreError:
        return None


def admit_group(page: str, configs: list[RunConfig]) -> tuple[list[RunConfig], list[dict[str, Any]]]:
    """The variants a class member may train as one group job (the preset applied to each, on the Playground) with
    each one's plan (nnlib.validation.run_plan: a run "until I pause" the class bounded to its epoch limit still
    ends at a limit, as a single run does), or JobLimitError: a knob the preset locks cannot be varied, and the
    class's limits apply to the group's cost. Outside a class the configs are unchanged."""
    ctx = context()
    if ctx is None and st.session_state.get(HANDED_KEY) is not None:
        raise JobLimitError(HANDED_NOTE)
    if ctx is None:
        return configs, [run_plan(c) for c in configs]
    try:
        preset = class_preset(ctx) if page == PRESET_SLOT else None
        live = _live_runs(ctx.class_id)
    except StoreError:
        raise JobLimitError("The class database is not reachable right now; try again in a minute.") from None
    chosen = [RunConfig.from_dict(apply_preset(c.to_dict(), preset)) if preset else c for c in configs]
    admitted = [within_class_epochs(c) for c in chosen]
    plans = [run_plan(a, class_limit=c.open_ended and not a.open_ended) for c, a in zip(chosen, admitted, strict=True)]
    if len({c.to_json(indent=None) for c in admitted}) < len(configs):
        raise JobLimitError("Your class's preset fixes the setting these variants change, so they would all "
                            "train the same run: pick a knob your teacher left open.")
    for cfg in admitted:
        why = class_refusal(live, ctx.owner, cfg)
        if why:
            raise JobLimitError(why)
    return admitted, plans


def track(slot: str, job_id: str, payload: dict[str, Any]) -> None:
    """Register a submitted job with the recorder so it is stored when it ends."""
    if slot not in PAGES or not isinstance(payload.get("config"), dict):
        return
    try:
        ctx = context()
        recorder().track(job_id, owner(), ctx.class_id if ctx else None, PAGES[slot],
                         RunConfig.from_dict(payload["config"]).to_json(indent=None))
    except StoreError as e:  # the run still trains; it is only not kept
        log.error("run %s will not be stored: %s", job_id, e)


def track_group(slot: str, job_id: str, configs: list[RunConfig], labels: list[str]) -> None:
    """Register a class member's group job (Compare's variants, a lab's runs) for the teacher's table; outside a
    class nothing is tracked (a group is never stored as a run)."""
    ctx = context()
    if ctx is None or not configs:
        return
    try:
        recorder().track(job_id, ctx.owner, ctx.class_id, GROUP_PAGES.get(slot, slot),
                         configs[0].to_json(indent=None), tuple(map(str, labels)))
    except StoreError as e:  # the group still trains; the teacher only does not see it
        log.error("group %s will not be listed for the teacher: %s", job_id, e)


def record_now(job_id: str) -> None:
    """Store an ended job before its page forgets it (Train again, Reset)."""
    try:
        recorder().record_now(job_id)
    except StoreError:
        pass


def close_classroom() -> None:
    """Stop the recorder and forget the engine, the gate and the remembered members (tests switching databases or
    passwords; a restart forgets them too)."""
    with _lock:
        rec = _services.pop("recorder", None)
        _services.clear()
        _members.clear()
    if rec is not None:
        rec.close()
