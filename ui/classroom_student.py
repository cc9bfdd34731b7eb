"""What a student sees of the classroom on the Playground: the join form of a class link (`/?class=CODE`), the
class bar (who they are, what the teacher locked), and their saved runs, the runs the teacher shared, and the
class's challenges with their leaderboards -- every run reopenable as an imported run."""

from __future__ import annotations

import datetime as dt
from typing import Any

import streamlit as st

from nnlib.classroom.challenges import describe, leaderboard
from nnlib.classroom.presets import ClassPreset
from nnlib.config import RunConfig
from nnlib.store import challenges, classes, runs, students
from nnlib.store.db import StoreError
from nnlib.words import count
from ui import classroom as CR
from ui import controls as C
from ui import session as S

PENDING = "class.pending"
FIELD_LABELS = {"data.dataset": "dataset", "data.noise": "noise", "data.features": "input features",
                "model.hidden": "hidden layers", "model.activation": "activation", "train.lr": "learning rate",
                "train.epochs": "epochs", "train.optimizer": "optimizer", "train.batch_size": "batch size"}


def label(field_name: str) -> str:
    return FIELD_LABELS.get(field_name, field_name.split(".", 1)[1].replace("_", " "))


def _when(t: float) -> str:
    return dt.datetime.fromtimestamp(t).strftime("%d %b %H:%M")


def class_query() -> dict[str, str]:
    """The parameter the Playground's address keeps for a class member (`class=CODE`), so a reload stays in the
    class; empty outside a class."""
    ctx = CR.context()
    return {"class": ctx.code} if ctx else {}


def _forget_class_link() -> None:
    """Leaving (or not joining) drops `class=` from the address, so a reload does not ask to join again."""
    if "class" in st.query_params:
        del st.query_params["class"]


def rejoin(code: str) -> CR.ClassContext | None:
    """The membership this browser already has in the class `code` (a reload, or the class link opened again
    after a server restart): its most recently chosen name there, else None (the join form asks for one)."""
    klass = classes.by_code(CR.engine(), code)
    if klass is None:
        return None
    mine = [s for s in students.class_students(CR.engine(), klass.id) if s.person == S.person_id()]
    if not mine:
        return None
    student = max(mine, key=lambda s: (s.created_at, s.id))
    return CR.ClassContext(klass.id, klass.code, klass.name, student.id, student.name, student.person)


def join_gate(prefix: str) -> None:
    """A class link's join form; stops the page until the student has a display name (or leaves the class). A
    browser that already joined this class is back in it at once, with its name and its runs."""
    code = st.query_params.get("class")
    ctx = CR.context()
    handed = CR.handed_over()
    if handed is not None and PENDING not in st.session_state:  # the teacher gave this session's name away
        st.session_state[PENDING] = handed.code  # the join form, saying so: the page acts for no one until then
    if code and (ctx is None or ctx.code != classes.normalize_code(code)) and PENDING not in st.session_state:
        try:
            known = rejoin(code)
        except StoreError:
            known = None  # the form below says the class list cannot be read
        if known is not None:
            CR.set_context(known)
            ctx = known
            st.session_state.pop(f"{prefix}.class_seeded", None)  # another class's setup is not this one's
        else:
            st.session_state[PENDING] = classes.normalize_code(code)
    if ctx is not None and f"{prefix}.class_seeded" not in st.session_state:
        # this session's first run in a class it was already in: a bare class link starts from the preset like a
        # first join; a reloaded address (the setup in it) keeps the student's own setup
        st.session_state[f"{prefix}.class_seeded"] = any(k != "class" for k in st.query_params)
    pending = st.session_state.get(PENDING)
    if not pending:
        return
    try:
        klass = classes.by_code(CR.engine(), pending)
    except StoreError as e:
        st.error(f"The class list cannot be read right now ({e}). Ask your teacher.")
        klass = None
    with st.container(border=True, key="class-join"):
        if handed is not None:
            st.warning(CR.HANDED_NOTE, icon=":material/swap_horiz:")
        if klass is None:
            st.error(f"No class has the code {pending}: check the code with your teacher.")
        else:
            st.markdown(f"### Join the class **{klass.name}**")
            known = [s for s in students.class_students(CR.engine(), klass.id) if s.person == S.person_id()]
            name = st.text_input("Your display name", value=known[0].name if known else "", max_chars=40,
                                 key="class.name", help="Shown to your teacher and on the leaderboard; no "
                                 "account needed. Pick the same name again to find your runs later.")
            if st.button("Join", key="class.join", type="primary", help="Enter the class with this name."):
                try:
                    student = students.join(CR.engine(), klass.id, name, S.person_id())
                except ValueError as e:  # NameTaken included: a sentence
                    st.error(str(e)[0].upper() + str(e)[1:] + ".")
                else:
                    CR.set_context(CR.ClassContext(klass.id, klass.code, klass.name, student.id, student.name,
                                                   student.person))
                    CR.clear_handed_over()
                    st.session_state.pop(PENDING, None)
                    st.session_state[f"{prefix}.class_seeded"] = False
                    st.rerun()
        if st.button("Continue without a class", key="class.skip", help="Use the playground on your own."):
            st.session_state.pop(PENDING, None)
            CR.clear_handed_over()
            _forget_class_link()
            st.rerun()
    _unseed(prefix)
    st.stop()


def _unseed(prefix: str) -> None:
    """Take back the setup the page seeded before the form stopped it: its widgets never rendered, and Streamlit
    would bring such a value back after the next page switch, over the preset the student was shown once joined
    (a trip to Compare and back showed the app defaults). The page seeds again, from its address, when it renders."""
    for k in [k for k in st.session_state if C.is_setting(prefix, k)]:
        del st.session_state[k]
    st.session_state.pop(f"{prefix}.restored", None)


def seed_enforced(prefix: str, preset: ClassPreset, everything: bool) -> None:
    """Put the preset's values into the widgets' state: all of them once after joining, the locked and hidden
    ones on every run (so the page shows what will train, whatever the session state says)."""
    cfg = RunConfig.from_dict(preset.config)
    if everything:
        C.seed_state(prefix, cfg, force=True)
        return
    for name in preset.enforced:
        section, field_name = name.split(".", 1)
        value = getattr(getattr(cfg, section), field_name)
        st.session_state[C.key(prefix, section, field_name)] = (
            list(value) if isinstance(value, tuple) and field_name != "hidden" else value)
        if name == "model.hidden":
            C.seed_layers(prefix, value)


def class_bar(prefix: str) -> None:
    """For a class member: apply the preset's rules to the widgets and say which class, which name, what is
    locked. Call before the widgets are drawn."""
    ctx = CR.context()
    st.session_state.pop(f"{prefix}.rules", None)
    if ctx is None:
        return
    try:
        preset = CR.class_preset(ctx)
    except StoreError as e:
        st.error(f"Your class's setup cannot be read right now ({e}).")
        return
    if preset is not None:
        seed_enforced(prefix, preset, not st.session_state.get(f"{prefix}.class_seeded", True))
        st.session_state[f"{prefix}.class_seeded"] = True
        st.session_state[f"{prefix}.rules"] = {"locked": preset.locked, "hidden": preset.hidden}
    locked = sorted(label(n) for n in (preset.enforced if preset else ()))
    with st.container(horizontal=True, key="class-bar", vertical_alignment="center"):
        st.markdown(f":material/school: Class **{ctx.class_name}** · you are **{ctx.student_name}**"
                    + (f" · set by your teacher: {', '.join(locked)}" if locked else ""))
        if st.button("Leave class", key="class.leave", help="Use the playground on your own (rejoin with the "
                                                             "class link and the same name)."):
            CR.set_context(None)
            st.session_state.pop(f"{prefix}.rules", None)
            _forget_class_link()
            st.rerun()


def _open(prefix: str, slot: str, image_page: bool, blob: bytes | None) -> None:
    from ui.share_panel import _import_run  # the run-file import: same checks as an uploaded file

    if not blob:
        st.error("This run kept no weights (it failed before training), so it cannot be reopened.")
        return
    _import_run(prefix, slot, blob, image_page, 0)


def _run_line(run: Any) -> str:
    m = run.metrics
    parts = [f"{_when(run.finished_at)}", run.status, count(m.get('epochs') or 0, 'epoch')]
    if m.get("val_accuracy") is not None:
        parts.append(f"val accuracy {100 * m['val_accuracy']:.1f}%")
    elif m.get("val_loss") is not None:
        parts.append(f"val loss {m['val_loss']:.4g}")
    if m.get("params") is not None:
        parts.append(f"{m['params']} parameters")
    return " · ".join(parts)


def config_link(config_json: str, hidden: frozenset[str] = frozenset()) -> str:
    """A relative link that opens the Playground with this config (anyone can reproduce a leaderboard entry), without
    the fields the class preset hides from students (opened by a class member, the preset puts them back)."""
    from urllib.parse import urlencode

    query = RunConfig.from_json(config_json).to_query_dict()
    return "/?" + urlencode({k: v for k, v in query.items() if k not in hidden})


def runs_panel(prefix: str, slot: str, image_page: bool) -> None:
    """My saved runs (and, in a class, what the teacher shared and the challenges), each reopenable."""
    ctx = CR.context()
    page = CR.PAGES[slot]
    job_id = st.session_state.get(f"job_{slot}")
    if job_id:  # a run that just ended is listed now, not after the recorder's next round (no rerun would show it)
        CR.record_now(job_id)
    try:
        eng = CR.engine()
        mine = runs.owner_runs(eng, CR.owner(), page=page, limit=20)
        shared = [r for r in runs.class_runs(eng, ctx.class_id, shared_only=True) if r.page == page] if ctx else []
        tasks = challenges.class_challenges(eng, ctx.class_id) if ctx else []
    except StoreError as e:
        st.caption(f"Saved runs are unavailable right now ({e}).")
        return
    with st.expander(f"My saved runs ({len(mine)})" + (f" · shared by the teacher ({len(shared)})" if shared else "")
                     + (f" · challenges ({len(tasks)})" if tasks else ""), expanded=bool(ctx and (shared or tasks))):
        if not mine:
            st.caption("Every run you finish or stop is saved here; it is still here after a reload.")
        for run in mine:
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            c1.markdown(_run_line(run))
            if c2.button("Open", key=f"{prefix}.open.{run.id}", help="Show this run again, from its saved weights."):
                full = runs.load_run(eng, run.id, owner=CR.owner())
                _open(prefix, slot, image_page, full.weights if full else None)
        if shared:
            st.markdown("**Shared by your teacher**")
            for run in shared:
                c1, c2 = st.columns([5, 1], vertical_alignment="center")
                c1.markdown(_run_line(run))
                if c2.button("Open", key=f"{prefix}.open_shared.{run.id}", help="Look at the teacher's reference "
                             "run (its curves and what its weights compute)."):
                    full = runs.load_run(eng, run.id, class_id=ctx.class_id, shared=True)
                    _open(prefix, slot, image_page, full.weights if full else None)
        if ctx and tasks:
            names = {f"student:{s.id}": s.name for s in students.class_students(eng, ctx.class_id)}
            class_runs = runs.class_runs(eng, ctx.class_id)
            hidden = CR.hidden_fields()
            for task in tasks:
                show_leaderboard(task, class_runs, names, hidden)


def show_leaderboard(task: Any, class_runs: list[Any], names: dict[str, str],
                     hidden: frozenset[str] = frozenset()) -> None:
    """One challenge: its goal and its ranked entries, each with a link to its config (without `hidden` fields: a
    student's board must not spell out what the preset hides; the teacher's board passes none)."""
    st.markdown(f"**Challenge: {task.title}** ({describe(task.kind, task.threshold, task.max_epochs)})")
    board = leaderboard(task.kind, task.threshold, task.max_epochs, class_runs)
    if not board:
        st.caption("No run qualifies yet.")
    for e in board:
        st.markdown(f"**{e.rank}.** {names.get(e.owner, 'someone')} · {e.shown} · "
                    f"[config]({config_link(e.config, hidden)})")
