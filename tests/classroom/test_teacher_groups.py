"""A class member's variant groups -- Compare's change-one-knob runs, a lab's runs -- are in the teacher's class
table: one row per group naming its page and each variant with its metric, and the teacher's Stop ends the whole
group (its student reads that the teacher stopped it). Groups are listed, never stored as runs, and do not count
against the class's run limits (as before they were listed)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from nnlib.store import classes, presets, runs, students
from tests.classroom.test_class_pages import PRESET, texts
from tests.classroom.test_teacher_watch import SLOW, _teacher, _wait
from ui import classroom as CR


def _start_group() -> None:
    import streamlit as st

    from nnlib.config import RunConfig
    from ui import session as S

    base = RunConfig.from_dict(st.session_state["cfg"])
    configs = [base.replace(train={"lr": lr}) for lr in (0.03, 0.3)]
    S.start_group(st.session_state["slot"], configs, ["lr = 0.03", "lr = 0.3"], page="playground")


def _group_of(klass, student, slot: str) -> str:
    at = AppTest.from_function(_start_group, default_timeout=60)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, student.id, student.name)
    at.session_state["cfg"] = SLOW.to_dict()
    at.session_state["slot"] = slot
    at.run()
    assert not at.exception, at.exception
    return at.session_state[f"job_{slot}"]


def test_compare_and_lab_groups_are_rows_of_the_class_table_and_the_teacher_stops_one(class_db):
    from ui.services import job_manager

    klass = classes.create_class(class_db, "Group J")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), [], [])
    ann = students.join(class_db, klass.id, "Ann", "browser:ann")
    ben = students.join(class_db, klass.id, "Ben", "browser:ben")
    compare_job = _group_of(klass, ann, "group")
    lab_job = _group_of(klass, ben, "lab_learning_rate")
    _wait(lambda: all(job_manager().find(j)[1].status == "running" for j in (compare_job, lab_job)),
          "both groups to start")

    teacher = _teacher()
    shown = texts(teacher)
    assert "**Groups** (2)" in shown and "**running now** (2)" in shown, shown
    assert "**Ann** · Compare · 2 runs · running" in shown and "**Ben** · Learning rate lab · 2 runs" in shown, shown
    assert "lr = 0.03" in shown and "lr = 0.3" in shown
    assert not any(b.key == f"teacher.watch.{compare_job}" for b in teacher.button)  # no Playground view of a group

    teacher.button(key=f"teacher.stop.{compare_job}").click().run()
    _wait(lambda: job_manager().find(compare_job)[1].status == "stopped", "the group to stop")
    assert job_manager().find(compare_job)[1].error == "stopped by your teacher"
    assert job_manager().find(lab_job)[1].status == "running"  # only that group
    teacher.run()
    assert "**Ann** · Compare · 2 runs · stopped" in texts(teacher), texts(teacher)
    assert all(b.disabled for b in teacher.button if b.key == f"teacher.stop.{compare_job}")  # it has ended
    CR.recorder().poll_once()
    assert runs.class_runs(class_db, klass.id) == []  # listed, not stored: a group keeps no weights
    assert CR._live_runs(klass.id) == []  # the class's limits count single runs, as before
    sid, _ = job_manager().find(lab_job)
    job_manager().command(sid, lab_job, "stop")
