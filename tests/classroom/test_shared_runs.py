"""'Show to everyone': a run the teacher shares is every class member's reference run on the Compare page
(overlaid with their own pins, hideable, never unpinnable) and a dashed curve on the Playground's loss chart; it is
read from the database, so a server restart keeps it."""

from __future__ import annotations

import json
import os
import time

from streamlit.testing.v1 import AppTest

from nnlib.store import classes, presets, runs, students
from tests.classroom.test_class_pages import PAGES, PRESET, texts
from ui import classroom as CR
from ui import compare_store as store

HISTORY = {"epoch": [1, 2, 3], "train_loss": [0.7, 0.5, 0.3], "val_loss": [0.72, 0.55, 0.35],
           "train_accuracy": [0.5, 0.7, 0.9], "val_accuracy": [0.5, 0.65, 0.88]}
REFERENCE = "Teacher's reference: xor · 3 tanh · lr 0.1"


def _class_with_shared_run(engine) -> tuple[classes.ClassRow, students.StudentRow, int]:
    klass = classes.create_class(engine, "Group D")
    presets.save_preset(engine, klass.id, "p", PRESET.to_json(indent=None), [], [])
    ann = students.join(engine, klass.id, "Ann", "browser:ann")
    ben = students.join(engine, klass.id, "Ben", "browser:ben")
    run_id = runs.save_run(engine, job_id="j-ben", owner=f"student:{ben.id}", class_id=klass.id, page="playground",
                           status="finished", config_json=PRESET.to_json(indent=None), history=HISTORY,
                           metrics={"epochs": 3, "val_accuracy": 0.88}, weights=None, created_at=time.time())
    assert runs.set_shared(engine, run_id, klass.id, True)
    return klass, ann, run_id


def _open(page: str, klass: classes.ClassRow, student: students.StudentRow | None, person: str) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, page), default_timeout=120)
    at.session_state["nn_person"] = person
    if student is not None:
        at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, student.id, student.name)
    return at.run()


def _trace_names(at: AppTest) -> list[str]:
    return [t.get("name", "") for chart in at.get("plotly_chart") for t in json.loads(chart.proto.spec)["data"]]


def test_a_shared_run_is_every_members_reference_on_compare_and_only_hideable(class_db):
    klass, ann, run_id = _class_with_shared_run(class_db)
    store.clear("browser:ann")
    store.pin("browser:ann", store.Pin("own", "my run", "playground", PRESET.to_dict(), status="finished",
                                       epoch=2, history={"epoch": [1, 2], "train_loss": [0.9, 0.8],
                                                         "val_loss": [0.95, 0.85]}))
    at = _open("compare.py", klass, ann, "browser:ann")
    assert not at.exception, at.exception
    assert REFERENCE in texts(at)
    names = _trace_names(at)
    assert f"{REFERENCE} · validation" in names and "my run · validation" in names, names
    assert list(at.multiselect(key="cmp.unpin_choice").options) == ["1. my run"]  # the reference is no pin

    at.button(key=f"cmp.ref.{run_id}").click().run()  # Hide
    assert not any(n.startswith(REFERENCE) for n in _trace_names(at)) and "my run · validation" in _trace_names(at)
    assert at.button(key=f"cmp.ref.{run_id}").label == "Show"
    reloaded = _open("compare.py", klass, ann, "browser:ann")  # a reload keeps it hidden (per browser)
    assert reloaded.button(key=f"cmp.ref.{run_id}").label == "Show"
    assert not any(n.startswith(REFERENCE) for n in _trace_names(reloaded))
    at.button(key=f"cmp.ref.{run_id}").click().run()
    assert f"{REFERENCE} · validation" in _trace_names(at)

    CR.close_classroom()  # a server restart: the share flag is in the database
    again = _open("compare.py", klass, ann, "browser:ann2")
    assert f"{REFERENCE} · train" in _trace_names(again)

    outsider = _open("compare.py", klass, None, "browser:nobody")
    assert REFERENCE not in texts(outsider) and not outsider.get("plotly_chart")

    assert runs.set_shared(class_db, run_id, klass.id, False)  # the teacher stops showing it
    assert REFERENCE not in texts(again.run()) and not again.get("plotly_chart")
    store.clear("browser:ann")


def test_the_playground_loss_chart_draws_the_reference_dashed(class_db):
    klass, ann, _ = _class_with_shared_run(class_db)
    at = _open("playground.py", klass, ann, "browser:ann")
    assert not at.exception, at.exception
    loss = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    refs = [t for fig in loss for t in fig["data"] if t.get("name") == REFERENCE]
    assert refs and refs[0]["line"]["dash"] == "dash"
