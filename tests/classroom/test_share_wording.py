"""The Playground's share link says what it is to whoever reads it: a class member's is a link to their own run's
setup (it read "copy it for your class", which is the teacher's to do), the teacher's is for their class, and a
visitor outside any class is not told about a class."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from nnlib.store import classes, presets, students
from tests.classroom.test_class_pages import PAGES, PRESET
from ui import classroom as CR


def _link_heading(at: AppTest) -> str:
    at.run()
    assert not at.exception, at.exception
    said = [str(m.value) for m in at.markdown if str(m.value).startswith("**Link to")]
    assert len(said) == 1, said
    return said[0]


def _playground() -> AppTest:
    return AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)


def test_the_share_link_is_worded_for_the_student_the_teacher_and_a_visitor(class_db):
    klass = classes.create_class(class_db, "Group L")
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), [], ["model.activation"])
    ann = students.join(class_db, klass.id, "Ann", "browser:ann")

    student = _playground()
    student.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ann.id, ann.name)
    heading = _link_heading(student)
    assert heading.startswith("**Link to your run's setup**") and "class" not in heading.replace("classmate", ""), \
        heading
    assert "hides are left out" in heading  # the preset hides the activation: the link leaves it out

    teacher = _playground()
    teacher.session_state["teacher.ok"] = True  # the teacher's unlocked session, on the Playground
    assert "copy it for your class" in _link_heading(teacher)

    visitor = _link_heading(_playground())
    assert visitor.startswith("**Link to this exact setup**") and "class" not in visitor, visitor
