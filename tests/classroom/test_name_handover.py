"""A display name is bound to the browser that chose it, so a student on a new laptop could not get their name
(and runs) back. The teacher, who sees the student, can hand the name over: the next browser that joins with it
takes it, runs included, and the old browser is asked for a name again. Only the teacher can."""

from __future__ import annotations

import os
import time

from streamlit.testing.v1 import AppTest

from nnlib.store import classes, runs, students
from tests.classroom.test_class_pages import PAGES, PRESET, texts
from tests.classroom.test_teacher_watch import _teacher


def _playground(code: str, person: str) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    at.session_state["nn_person"] = person
    at.query_params["class"] = code
    return at.run()


def _join(at: AppTest, name: str) -> AppTest:
    at.text_input(key="class.name").set_value(name).run()
    return at.button(key="class.join").click().run()


def _release_without_unlocking() -> None:
    import streamlit as st

    from ui import classroom_teacher as T

    try:
        T.release_name(st.session_state["class_id"], st.session_state["student_id"])
        st.write("released")
    except T.NotAllowed as e:
        st.write(f"refused: {e}")


def test_the_teacher_hands_a_name_to_a_students_new_browser(class_db):
    klass = classes.create_class(class_db, "Group L")
    ann = students.join(class_db, klass.id, "Ann", "browser:old-laptop")
    runs.save_run(class_db, job_id="j-ann", owner=f"student:{ann.id}", class_id=klass.id, page="playground",
                  status="finished", config_json=PRESET.to_json(indent=None), history={"epoch": [1]},
                  metrics={"epochs": 1}, weights=None, created_at=time.time())

    new = _join(_playground(klass.code, "browser:new-laptop"), "Ann")
    assert "ask your teacher to hand it to this browser" in texts(new), texts(new)

    student = AppTest.from_function(_release_without_unlocking, default_timeout=60)
    student.session_state["class_id"], student.session_state["student_id"] = klass.id, ann.id
    assert [m.value for m in student.run().markdown] == [
        "refused: only the teacher can do this: unlock the Teacher page first"]
    assert students.class_students(class_db, klass.id)[0].person == "browser:old-laptop"

    teacher = _teacher()
    teacher.button(key=f"teacher.release.{ann.id}").click().run()
    assert "released: the next browser that joins with this name takes it" in texts(teacher), texts(teacher)

    new = _join(_playground(klass.code, "browser:new-laptop"), "Ann")
    assert "you are **Ann**" in texts(new), texts(new)
    assert new.session_state["class.ctx"].student_id == ann.id  # the same student: the runs come along
    assert any(e.label.startswith("My saved runs (1)") for e in new.expander)
    old = _playground(klass.code, "browser:old-laptop")  # the old browser's next visit
    assert f"Join the class **{klass.name}**" in texts(old)
    again = _join(old, "Ann")
    assert "already used in this class by another browser" in texts(again)
