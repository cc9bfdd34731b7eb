"""The class table's Stop once a row's runs have ended: a group that ended keeps its row with a disabled Stop (a
Stop left out lingered on the teacher's screen for one more refresh, pressable), and a Stop pressed after its run
ended -- a group's, or a single run's whose row has gone -- says the run had already ended instead of doing
nothing."""

from __future__ import annotations

from nnlib.store import classes, presets, students
from tests.classroom.test_class_pages import PRESET
from tests.classroom.test_teacher_groups import _group_of
from tests.classroom.test_teacher_watch import _member_running, _teacher, _wait


def _end(job_id: str) -> None:
    """The student's own Stop (the run ends without the teacher)."""
    from ui.services import job_manager

    session, _ = job_manager().find(job_id)
    job_manager().command(session, job_id, "stop")
    _wait(lambda: job_manager().find(job_id)[1].status == "stopped", "the run to end")


def _toasts(at) -> list[str]:
    return [t.value for t in at.toast]


def _said_it_had_ended(at) -> bool:
    return any("already ended" in t for t in _toasts(at))


def test_an_ended_groups_stop_is_disabled_and_a_late_press_says_it_had_ended(class_db):
    from ui.services import job_manager

    klass = classes.create_class(class_db, "Group S")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), [], [])
    ann = students.join(class_db, klass.id, "Ann", "browser:ann")
    job_id = _group_of(klass, ann, "group")
    _wait(lambda: job_manager().find(job_id)[1].status == "running", "the group to start")
    teacher = _teacher()
    stop = teacher.button(key=f"teacher.stop.{job_id}")
    assert not stop.disabled
    _end(job_id)
    stop.click().run()  # the Stop still on the teacher's screen, pressed after the group ended
    assert _said_it_had_ended(teacher), _toasts(teacher)
    assert job_manager().find(job_id)[1].error != "stopped by your teacher"
    (stop,) = [b for b in teacher.button if b.key == f"teacher.stop.{job_id}"]
    assert stop.disabled  # drawn in place, disabled: no lingering live Stop
    teacher.run()
    assert not _said_it_had_ended(teacher)  # said once, for that press


def test_a_stop_pressed_after_a_single_run_ended_says_it_had_ended(class_db):

    klass, ben, job_id = _member_running(class_db, "Group R", "Ben", "browser:ben")
    teacher = _teacher()
    stop = teacher.button(key=f"teacher.stop.{job_id}")
    _end(job_id)
    stop.click().run()  # its row has gone from "running now"; the button was still on screen
    assert _said_it_had_ended(teacher), _toasts(teacher)
    assert not any(b.key == f"teacher.stop.{job_id}" for b in teacher.button)
