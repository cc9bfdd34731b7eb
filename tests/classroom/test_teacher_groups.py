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
    assert "**Groups running now** (2)" in shown and "**running now** (2)" in shown, shown
    assert "Groups that ended" not in shown
    assert "**Ann** · Compare · 2 runs · running" in shown and "**Ben** · Learning rate lab · 2 runs" in shown, shown
    assert "lr = 0.03" in shown and "lr = 0.3" in shown
    assert not any(b.key == f"teacher.watch.{compare_job}" for b in teacher.button)  # no Playground view of a group

    teacher.button(key=f"teacher.stop.{compare_job}").click().run()
    _wait(lambda: job_manager().find(compare_job)[1].status == "stopped", "the group to stop")
    assert job_manager().find(compare_job)[1].error == "stopped by your teacher"
    assert job_manager().find(lab_job)[1].status == "running"  # only that group
    teacher.run()
    shown = texts(teacher)
    # the ended group leaves the running ones, as an ended single run does: it is listed under what ended, saying why
    assert "**running now** (1)" in shown and "**Groups running now** (1)" in shown, shown
    ended = shown.index("**Groups that ended** (1)")
    ann_row, ben_row = shown.index("**Ann** · Compare · 2 runs · stopped by you"), shown.index("**Ben** · Learning")
    assert ann_row > ended > ben_row, shown
    assert all(b.disabled for b in teacher.button if b.key == f"teacher.stop.{compare_job}")  # it has ended
    CR.recorder().poll_once()
    assert runs.class_runs(class_db, klass.id) == []  # listed, not stored: a group keeps no weights
    assert CR._live_runs(klass.id) == []  # the class's limits count single runs, as before
    sid, _ = job_manager().find(lab_job)
    job_manager().command(sid, lab_job, "stop")


def test_a_class_members_group_until_i_pause_ends_at_the_classs_limit_not_at_a_goal(class_db, monkeypatch):
    """A class bounds a run "until I pause" to its epoch limit (ui.classroom.admit_group); a group's runs ended
    with "all 6 epochs done", as if the student had asked for that many, where a single run says whose limit it
    reached. The group bar and the teacher's row say it too."""
    from ui.services import job_manager

    monkeypatch.setenv("NNLIB_CLASS_MAX_EPOCHS", "6")
    klass = classes.create_class(class_db, "Group U")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), [], [])
    ann = students.join(class_db, klass.id, "Ann", "browser:ann")
    at = AppTest.from_function(_start_group, default_timeout=60)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    at.session_state["cfg"] = PRESET.replace(train={"until_paused": True, "speed": "fast"}).to_dict()
    at.session_state["slot"] = "group"
    at.run()
    assert not at.exception, at.exception
    job_id = at.session_state["job_group"]
    _wait(lambda: job_manager().find(job_id)[1].status == "finished", "the group to finish")
    snap = job_manager().find(job_id)[1].snapshot
    said = "stopped at your class's limit of 6 epochs (Until I pause runs until you pause, up to that limit)"
    assert [(r["epoch"], r["reason"], r["until_paused"]) for r in snap["runs"]] == [(6, said, True)] * 2, snap["runs"]
    assert snap["reason"] == said
    assert f"**Ann** · Compare · 2 runs · finished: {said} · epoch 6" in texts(_teacher())
