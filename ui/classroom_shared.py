"""What the teacher shows to everyone, as a class member sees it: the class's shared runs as reference runs on the
Compare page (overlaid with the student's own pins, never unpinnable) and as dashed reference curves on the
Playground's loss chart.

The share flag lives in the database (nnlib.store.runs.set_shared), so references survive reloads and server
restarts; a student may only hide one (remembered per browser by this server process, like the Compare page's
pins: page switches and reloads keep it hidden).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import sqlalchemy as sa
import streamlit as st

from nnlib.classroom.presets import redact
from nnlib.config import ConfigError, RunConfig
from nnlib.store import runs
from nnlib.store.db import StoreError
from ui import classroom as CR
from ui import compare_store as store
from ui import session as S

MAX_PEOPLE = 5000  # browsers whose hidden references are remembered
_hidden: OrderedDict[str, set[int]] = OrderedDict()  # person key -> ids of the shared runs it hid
_lock = threading.Lock()
LABEL = "Teacher's reference"
REF_COLOR = "#7f7f7f"
PAGE_NAMES = {"playground": "Playground", "cnn": "CNN"}  # a stored run's slot -> what the student's pins say


def reference_runs(page: str | None = None) -> list[runs.RunRow]:
    """The runs the teacher shared with this session's class (of `page`, if given); none outside a class or while
    the database cannot be read (the page still works without them)."""
    ctx = CR.context()
    if ctx is None:
        return []
    try:
        shared = runs.class_runs(CR.engine(), ctx.class_id, shared_only=True)
    except (StoreError, sa.exc.SQLAlchemyError):  # a reference is an extra: never break the page for it
        return []
    return [r for r in shared if page is None or r.page == page]


def describe(run: runs.RunRow) -> str:
    """'Teacher's reference: spiral · 8,8 tanh · lr 0.03' -- what a student compares against, in one line. A field
    the class preset hides from students is left out (the label is on their charts, legends and hover texts)."""
    try:
        cfg = RunConfig.from_json(run.config)
    except (ConfigError, ValueError):
        return f"{LABEL} {run.id}"
    hidden = CR.hidden_fields(run.page)
    layers = ",".join(map(str, cfg.model.hidden)) or "no hidden layer"
    model = " ".join(part for name, part in (("model.hidden", layers), ("model.activation", cfg.model.activation))
                     if name not in hidden)
    parts = [part for name, part in (("data.dataset", cfg.data.dataset), ("model", model),
                                     ("train.lr", f"lr {cfg.train.lr:g}")) if part and name not in hidden]
    return f"{LABEL}: " + " · ".join(parts) if parts else f"{LABEL} {run.id}"


def hidden_ids() -> set[int]:
    """The references this browser hid (kept by the server like its pins, so a reload keeps them hidden)."""
    with _lock:
        return set(_hidden.get(S.person_id(), ()))


def toggle_hidden(run_id: int) -> None:
    """Hide a reference run from this browser's charts (or show it again); nothing is deleted."""
    person = S.person_id()
    with _lock:
        hidden = _hidden.pop(person, set())
        hidden.symmetric_difference_update({run_id})
        _hidden[person] = hidden  # most recently used last: the oldest browsers are forgotten first
        while len(_hidden) > MAX_PEOPLE:
            _hidden.popitem(last=False)


def as_pin(run: runs.RunRow) -> store.Pin:
    """A stored reference run in the Compare page's shape (no job: nothing to refresh, nothing to unpin)."""
    return store.Pin(pin_id=f"ref-{run.id}", label=describe(run), page=PAGE_NAMES.get(run.page, run.page),
                     config=redact(json.loads(run.config), CR.hidden_fields(run.page)),
                     status=run.status, epoch=int(run.metrics.get("epochs") or 0), history=run.history)


def reference_pins(shared: list[runs.RunRow]) -> list[store.Pin]:
    """The shared runs this session has not hidden, as pins."""
    hidden = hidden_ids()
    return [as_pin(r) for r in shared if r.id not in hidden]


def references_bar(shared: list[runs.RunRow]) -> None:
    """The Compare page's list of the teacher's references, each with Hide / Show (no Unpin: the teacher
    decides what is shared)."""
    if not shared:
        return
    hidden = hidden_ids()
    with st.container(border=True, key="cmp-references"):
        st.markdown(":material/campaign: **Shared by your teacher** -- overlaid with your runs")
        for run in shared:
            c1, c2 = st.columns([6, 1], vertical_alignment="center")
            c1.markdown(describe(run) + (" · *hidden*" if run.id in hidden else ""))
            c2.button("Show" if run.id in hidden else "Hide", key=f"cmp.ref.{run.id}", on_click=toggle_hidden,
                      args=(run.id,), width="stretch", help="Hide this reference from your charts for now, or "
                      "show it again (only your teacher can remove it).")


def reference_loss_traces(shared: list[runs.RunRow]) -> list[dict[str, Any]]:
    """Dashed grey validation-loss curves of the visible references, for the Playground's loss chart. They go
    after the chart's own traces, which the live route patches by index, so live updates leave them alone."""
    hidden = hidden_ids()
    traces = []
    for run in shared:
        if run.id in hidden:
            continue
        epochs = run.history.get("epoch") or []
        loss = run.history.get("val_loss") or run.history.get("train_loss") or []
        n = min(len(epochs), len(loss))
        if n:
            traces.append({"type": "scatter", "mode": "lines", "name": describe(run), "x": list(epochs[:n]),
                           "y": list(loss[:n]), "line": {"color": REF_COLOR, "width": 1.5, "dash": "dash"},
                           "hovertemplate": "reference · epoch %{x}: %{y:.4g}<extra></extra>"})
    return traces
