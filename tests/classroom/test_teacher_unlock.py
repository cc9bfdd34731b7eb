"""The teacher's unlock outlives a reload of the same browser for a bounded time, and nothing else: not another
browser, not a session known only by its address (a class behind one NAT shares it), not after Lock, not after
the time is up."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from nnlib.classroom.auth import UnlockMemory
from tests.classroom.test_class_pages import PAGES, texts


def _open(person: str) -> AppTest:
    """A new session of the Teacher page (a reload, a new tab) of the browser `person` names."""
    at = AppTest.from_file(os.path.join(PAGES, "teacher.py"), default_timeout=60)
    at.session_state["nn_person"] = person
    return at.run()


def _unlocked(at: AppTest) -> bool:
    return any(t.key == "teacher.class_name" for t in at.text_input)


def _unlock(person: str) -> AppTest:
    at = _open(person)
    at.text_input(key="teacher.password").set_value("let me in")
    at.button[0].click().run()
    assert _unlocked(at), texts(at)
    return at


def test_a_reload_of_the_browser_that_unlocked_stays_unlocked_and_lock_ends_it(class_db):
    teacher = _unlock("browser:teacher")
    assert _unlocked(_open("browser:teacher"))  # a reload: no password asked
    assert not _unlocked(_open("browser:student"))  # another browser (e.g. the shared link opened elsewhere)
    teacher.button(key="teacher.lock").click().run()
    assert not _unlocked(teacher) and any(t.key == "teacher.password" for t in teacher.text_input)
    assert not _unlocked(_open("browser:teacher"))


def test_a_session_known_only_by_its_address_is_not_remembered(class_db):
    _unlock("address:10.0.0.7")
    assert not _unlocked(_open("address:10.0.0.7"))  # the student next to the teacher behind the same NAT


def test_the_unlock_ends_after_its_time():
    now = [1000.0]
    memory = UnlockMemory(ttl=60.0, clock=lambda: now[0])
    memory.remember("browser:t")
    now[0] += 59.0
    assert memory.unlocked("browser:t") and not memory.unlocked("browser:u")
    now[0] += 1.0
    assert not memory.unlocked("browser:t")
    memory.remember("browser:t")
    memory.forget("browser:t")
    assert not memory.unlocked("browser:t")
