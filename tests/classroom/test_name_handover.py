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
from ui import classroom as CR


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


def _submit_as_class_member() -> None:
    import streamlit as st

    from nnlib.config import RunConfig
    from nnlib.jobs.manager import JobLimitError
    from ui import session as S

    try:
        S.start_job("playground", {"config": RunConfig().to_dict(), "interval": 0.5})
        st.write("started")
    except JobLimitError as e:
        st.write(f"refused: {e}")


def test_a_page_left_open_in_the_old_browser_notices_the_hand_over_before_acting(class_db):
    """The old browser's page was open all along: its next run says the name went to another browser and shows the
    join form; a Train pressed on it starts nothing (it trained as that student until a reload)."""
    klass = classes.create_class(class_db, "Group H")
    old = _join(_playground(klass.code, "browser:old-laptop"), "Ann")
    assert "you are **Ann**" in texts(old), texts(old)
    (ann,) = students.class_students(class_db, klass.id)
    train = old.button(key="pg.train")  # on the old browser's screen while the teacher hands the name over

    _teacher().button(key=f"teacher.release.{ann.id}").click().run()
    assert "you are **Ann**" in texts(_join(_playground(klass.code, "browser:new-laptop"), "Ann"))

    train.click().run()
    shown = texts(old)
    assert [w.value for w in old.warning] == [
        "Your name was handed to another browser by your teacher; join again to continue."], shown
    assert f"Join the class **{klass.name}**" in shown and "you are **Ann**" not in shown
    assert "job_playground" not in old.session_state  # nothing trained, as Ann or as anyone
    assert old.session_state["class.ctx"] is None

    elsewhere = AppTest.from_function(_submit_as_class_member, default_timeout=60)  # another page's Train
    elsewhere.session_state["class.ctx"] = old_ctx = CR.ClassContext(klass.id, klass.code, klass.name, ann.id,
                                                                     ann.name, "browser:old-laptop")
    assert [m.value for m in elsewhere.run().markdown] == [
        "refused: Your name was handed to another browser by your teacher; join again to continue."]
    assert elsewhere.session_state["class.handed_over"] == old_ctx
