"""The teacher's live class table: each class member's active runs (Watch, Stop), their variant groups from
Compare and the labs (one row per group, its variants listed in it, Stop), and the stored runs (View, Show to
everyone).

A group is one row, not one row per variant: it is one experiment (one knob, several values), one job and one
worker, and Stop ends it whole; a class of 30 running 5-variant groups stays a table of 30 rows, and each row says
what the student is comparing (its labels) and how each value is doing.

Each row is its text and a strip of buttons sized to their labels, right-aligned (one 1/7 column per button cut
"Show to everyone" to "Show to eve..." at 1024 px).
"""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from nnlib.classroom.admission import ClassLimits
from nnlib.classroom.presets import ClassPreset, differences
from nnlib.classroom.recorder import ACTIVE, Tracked, group_rows, live_row
from nnlib.config import RunConfig
from nnlib.jobs.records import JobView
from nnlib.store import classes, presets, runs, students
from nnlib.words import count
from ui import classroom as CR
from ui import classroom_teacher as T

SHOWN_RUNS = 60  # stored runs listed (newest first)
STOP_KEY = "teacher.stop."  # + job id: each row's Stop
ENDED_NOTE = "That run had already ended when you pressed Stop: there was nothing left to stop."


def _row(text: str, key: str) -> DeltaGenerator:
    """One table row: the text, then a right-aligned strip the caller puts its buttons in. The strip's column is
    2/7 of the row (~250 px at 1024 px: "View" and "Show to everyone" side by side); below 640 px Streamlit stacks
    the two, and a strip too narrow wraps its buttons rather than cutting their labels."""
    text_col, button_col = st.columns([5, 2], vertical_alignment="center")
    text_col.markdown(text)
    return button_col.container(horizontal=True, horizontal_alignment="right", gap="small", key=key)


def _metric(acc: float | None, loss: float | None) -> str:
    return (f"val accuracy {100 * acc:.1f}%" if acc is not None else f"val loss {loss:.4g}" if loss is not None
            else "")


def group_label(page: str) -> str:
    """What the table calls a group's page: 'Compare', or 'Activations lab' for the slot 'lab_activations'."""
    if page == "compare":
        return "Compare"
    return page.removeprefix("lab_").replace("_", " ").capitalize() + " lab"


def class_table(klass: classes.ClassRow) -> None:
    """Live (the page refreshes it every 2 s): running runs, groups, stored runs, each with its actions."""
    from ui import classroom_watch as W  # it checks its targets with require_teacher from here

    eng = CR.engine()
    names = {f"student:{s.id}": s.name for s in students.class_students(eng, klass.id)}
    row = presets.current_preset(eng, klass.id)
    preset = ClassPreset.from_json(row.config, row.locked, row.hidden) if row else None
    tracked = [(t, v) for t, _, v in CR.recorder().tracked(klass.id)]
    live = [(t, v) for t, v in tracked if v.status in ACTIVE and not t.variants]
    groups = sorted(((t, v) for t, v in tracked if t.variants), key=lambda tv: -tv[0].submitted_at)
    active_groups = [(t, v) for t, v in groups if v.status in ACTIVE]
    ended_groups = [(t, v) for t, v in groups if v.status not in ACTIVE]
    running = len(live) + len(active_groups)
    if _stale_stops({t.job_id for t, v in tracked if v.status in ACTIVE}):
        st.toast(ENDED_NOTE, icon=":material/info:")
    st.markdown(f"**Students** ({len(names)}) · **running now** ({running})")
    for t, view in live:
        r = live_row(view)
        metric = _metric(r["val_accuracy"], None)
        buttons = _row(f"**{names.get(t.owner, '?')}** · {r['status']} · epoch {r['epoch']}"
                       + (f" · {metric}" if metric else "") + _diff(t.config_json, preset, _until_paused(view.plan)),
                       f"teacher-live-{t.job_id}")
        if t.page in W.LIVE_PAGES and buttons.button("Watch", key=f"teacher.watch.{t.job_id}", help="Follow this "
                                                     "run live, read-only: its curves and decision boundary as it "
                                                     "learns."):
            W.open_job(klass.id, t.job_id)
            st.rerun()
        _stop_button(buttons, klass.id, t.job_id, True, "End this student's run now.")
    # what runs and what ended apart, as for single runs: an ended group listed among the running ones read as live
    if groups:
        st.markdown(f"**Groups running now** ({len(active_groups)}) · Compare's change-one-knob runs and the labs' "
                    "runs, one row per group")
    for t, view in active_groups:
        _group_row(klass, t, view, names)
    if ended_groups:
        st.markdown(f"**Groups that ended** ({len(ended_groups)}) · listed while the student's page keeps them "
                    "(groups are not stored)")
    for t, view in ended_groups:
        _group_row(klass, t, view, names)
    stored = runs.class_runs(eng, klass.id, limit=200)
    st.markdown(f"**Finished runs** ({len(stored)})")
    for run in stored[:SHOWN_RUNS]:
        m = run.metrics
        metric = _metric(m.get("val_accuracy"), m.get("val_loss"))
        buttons = _row(f"**{names.get(run.owner, '?')}** · {run.status} · {count(m.get('epochs') or 0, 'epoch')}"
                       + (f" · {metric}" if metric else "") + f" · {m.get('params', '?')} parameters"
                       + (" · :material/campaign: shown to everyone" if run.shared else "")
                       + _diff(run.config, preset, _until_paused(m)), f"teacher-run-{run.id}")
        if buttons.button("View", key=f"teacher.view.{run.id}", help="This run's curves, read-only."):
            W.open_run(klass.id, run.id)
            st.rerun()
        label = "Unshare" if run.shared else "Show to everyone"
        if buttons.button(label, key=f"teacher.share.{run.id}", help="Show this run to every class member as a "
                          "reference: overlaid on their Compare page and dashed on their Playground's loss chart "
                          "(they can hide it, not remove it)."):
            T.share_run(klass.id, run.id, not run.shared)
            st.rerun()


def _group_row(klass: classes.ClassRow, t: Tracked, view: JobView, names: dict[str, str]) -> None:
    """One group: who, where, its status (an ended one's with why it ended, as the student reads it) and epoch, then
    each variant's label, epoch and metric."""
    snap = view.snapshot or {}
    epochs = f" · epoch {int(snap.get('epoch') or 0)}" if view.status != "queued" else ""
    why = "" if view.status in ACTIVE else _teachers_words(view.error or str(snap.get("reason") or ""))
    state = why if why.startswith(view.status) else view.status + (f": {why}" if why else "")
    variants = group_rows(view) or [{"label": label, "epoch": 0, "val_accuracy": None, "val_loss": None}
                                    for label in t.variants]
    listed = "; ".join(f"{v['label']}" + (f": {_metric(v['val_accuracy'], v['val_loss'])}"
                                          if _metric(v["val_accuracy"], v["val_loss"]) else "") for v in variants)
    buttons = _row(f"**{names.get(t.owner, '?')}** · {group_label(t.page)} · {len(t.variants)} runs · "
                   f"{state}{epochs}  \n{listed}", f"teacher-group-{t.job_id}")
    _stop_button(buttons, klass.id, t.job_id, view.status in ACTIVE, "End this student's group now (all its runs).")


def _teachers_words(reason: str) -> str:
    """An ended run's reason as the teacher reads it: the student's "stopped by your teacher" is the teacher's own
    Stop, "stopped by you" here."""
    return "stopped by you" if reason == T.TEACHER_STOP_NOTE else reason


def _stop_button(strip: DeltaGenerator, class_id: int, job_id: str, active: bool, help_text: str) -> None:
    """A row's Stop: enabled while its run is active, drawn disabled once it has ended (a group's row stays listed:
    drawn in place, the button changes at once, where a Stop left out lingered on screen one more refresh and could
    still be pressed). A press that reaches a run which ended meanwhile says so."""
    if strip.button("Stop", key=f"{STOP_KEY}{job_id}", disabled=not active,
                    help=help_text if active else "Every run of this row has ended: nothing to stop.") \
            and not T.stop_run(class_id, job_id):
        st.toast(ENDED_NOTE, icon=":material/info:")


def _stale_stops(active: set[str]) -> list[str]:
    """Job ids whose Stop was pressed though their run is no longer active: pressed a moment before it ended, or on
    a button still on screen after its row went (Streamlit takes a left-out element away only at a later refresh).
    A disabled or undrawn button returns False for that press, so it is read from the session state."""
    return [str(k).removeprefix(STOP_KEY) for k, v in st.session_state.items()
            if str(k).startswith(STOP_KEY) and v is True and str(k).removeprefix(STOP_KEY) not in active]


def _until_paused(record: dict | None) -> bool | None:
    """Whether the student ran it "until I pause", from a job's plan or a stored run's metrics (None: not recorded,
    a run stored before they kept it)."""
    value = (record or {}).get("until_paused")
    return value if isinstance(value, bool) else None


def _diff(config_json: str, preset: ClassPreset | None, until_paused: bool | None = None) -> str:
    if preset is None:
        return ""
    changed = differences(RunConfig.from_json(config_json).to_dict(), preset, ClassLimits.from_env().max_epochs,
                          until_paused)
    return (" · changed: " + "; ".join(changed[:4]) + ("…" if len(changed) > 4 else "")) if changed else \
        " · the preset as given"
