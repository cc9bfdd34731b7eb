"""The teacher's read-only view of a student's run, opened from the class table: live while it trains (the live
charts follow the job's token; the only control is the teacher's Stop), the stored run's curves once it ended --
and the server checks who opens what: a session that is not the teacher's, or another class's job or run, gets
nothing, and a student holding another student's job token gets neither its view nor its controls."""

from __future__ import annotations

import json
import os
import time

from streamlit.testing.v1 import AppTest

from nnlib.store import classes, presets, runs, students
from tests.classroom.test_class_pages import PAGES, PRESET, texts
from ui import classroom as CR

SLOW = PRESET.replace(train={"epochs": 1000, "speed": "slow"})  # paced: still running while the teacher watches


def _start_run() -> None:
    import streamlit as st

    from ui import session as S

    st.session_state["job_playground"] = S.start_job("playground", {"config": st.session_state["cfg"],
                                                                     "interval": 0.2})


def _student_session(klass, student) -> AppTest:
    at = AppTest.from_function(_start_run, default_timeout=60)
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, student.id, student.name)
    at.session_state["cfg"] = SLOW.to_dict()
    return at.run()


def _teacher() -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, "teacher.py"), default_timeout=120)
    at.session_state["teacher.ok"] = True  # unlocked (the password form has its own test)
    return at.run()


def _wait(predicate, what: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _member_running(class_db, class_name: str, name: str, browser: str):
    """A class with the preset, `name` joined from `browser`, and that member's Playground run started and running:
    (class, student, job id)."""
    from ui.services import job_manager

    klass = classes.create_class(class_db, class_name)
    presets.save_preset(class_db, klass.id, "p", PRESET.to_json(indent=None), [], [])
    member = students.join(class_db, klass.id, name, browser)
    job_id = _student_session(klass, member).session_state["job_playground"]
    _wait(lambda: job_manager().find(job_id)[1].status == "running", "the run to start")
    return klass, member, job_id


def test_the_teacher_watches_a_run_live_read_only_stops_it_then_views_its_curves(class_db):
    from ui.services import job_manager

    klass, ann, job_id = _member_running(class_db, "Group E", "Ann", "browser:ann")

    teacher = _teacher()
    teacher.button(key=f"teacher.watch.{job_id}").click().run()
    assert "**Ann**'s run · running · read-only" in texts(teacher), texts(teacher)
    panel = [b.key for b in teacher.button if b.key and b.key.startswith("teacher.watch.")]
    assert sorted(k for k in panel if k != f"teacher.watch.{job_id}") == ["teacher.watch.close",
                                                                            "teacher.watch.stop"], panel
    assert not any(b.label in ("Pause", "Resume", "Step") for b in teacher.button)

    from ui import classroom_watch as W
    from ui.live import note_page, snapshot_payload

    (token,) = [t for t, (j, _) in W.WATCH_TOKENS.items() if j == job_id]  # what the teacher's browser polls
    assert token != job_id
    code, body = snapshot_payload(token, -1, "", "playground", {})
    assert code == 200 and json.loads(body)["status"] == "running"
    student_session = job_manager().find(job_id)[0]
    assert not note_page(token, "closed")  # the teacher's tab closing (its beacon) reaches no job
    assert job_manager()._sessions[student_session].page != "closed"

    teacher.button(key="teacher.watch.stop").click().run()
    _wait(lambda: job_manager().find(job_id) is None or job_manager().find(job_id)[1].status == "stopped",
          "the run to stop")
    _wait(lambda: runs.class_run_by_job(class_db, klass.id, job_id) is not None, "the stopped run to be stored")
    teacher.run()
    assert "**Ann**'s run · stopped · read-only" in texts(teacher), texts(teacher)
    teacher.button(key="teacher.watch.close").click().run()
    assert "read-only" not in texts(teacher)

    (stored,) = runs.class_runs(class_db, klass.id)
    teacher.button(key=f"teacher.view.{stored.id}").click().run()
    assert "**Ann**'s run · stopped · read-only" in texts(teacher)
    loss, metric = (json.loads(c.proto.spec) for c in teacher.get("plotly_chart"))
    assert loss["data"][0]["x"] == stored.history["epoch"] and loss["data"][0]["y"] == stored.history["train_loss"]
    assert metric["data"][0]["y"] == stored.history["train_accuracy"] and len(stored.history["epoch"]) > 0
    assert not any(b.key == "teacher.watch.stop" for b in teacher.button)  # nothing to stop any more


def _open_without_unlocking() -> None:
    import streamlit as st

    from ui import classroom_teacher as T
    from ui import classroom_watch as W

    for name, action in (("job", lambda: W.watched_job(st.session_state["class_id"], st.session_state["job"])),
                         ("run", lambda: W.stored_run(st.session_state["class_id"], st.session_state["run"]))):
        try:
            st.write(f"{name}: {action()}")
        except T.NotAllowed as e:
            st.write(f"{name} refused: {e}")


def _hijack() -> None:
    import streamlit as st

    from ui import session as S

    st.session_state["job_playground"] = st.session_state["stolen"]
    view = S.current_view("playground")
    S.command("playground", "stop")
    st.write(f"view: {view}")


def test_only_the_teacher_opens_a_run_and_only_of_the_class_they_look_at(class_db):
    from ui.services import job_manager

    klass = classes.create_class(class_db, "Group F")
    other = classes.create_class(class_db, "Group G")
    ann = students.join(class_db, klass.id, "Ann", "browser:ann")
    ben = students.join(class_db, klass.id, "Ben", "browser:ben")
    job_id = _student_session(klass, ann).session_state["job_playground"]
    run_id = runs.save_run(class_db, job_id="j-old", owner=f"student:{ann.id}", class_id=klass.id,
                           page="playground", status="finished", config_json=PRESET.to_json(indent=None),
                           history={"epoch": [1]}, metrics={"epochs": 1}, weights=None, created_at=time.time())

    student = AppTest.from_function(_open_without_unlocking, default_timeout=60)
    for k, v in {"class_id": klass.id, "job": job_id, "run": run_id}.items():
        student.session_state[k] = v
    student.run()
    said = [m.value for m in student.markdown]
    assert said == ["job refused: only the teacher can do this: unlock the Teacher page first",
                    "run refused: only the teacher can do this: unlock the Teacher page first"], said

    teacher = AppTest.from_function(_open_without_unlocking, default_timeout=60)
    for k, v in {"teacher.ok": True, "class_id": other.id, "job": job_id, "run": run_id}.items():
        teacher.session_state[k] = v
    teacher.run()
    assert [m.value for m in teacher.markdown] == ["job: None", "run: None"]  # not that class's

    ben_session = AppTest.from_function(_hijack, default_timeout=60)  # Ben holds Ann's job token
    ben_session.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, ben.id, ben.name)
    ben_session.session_state["stolen"] = job_id
    ben_session.run()
    assert [m.value for m in ben_session.markdown] == ["view: None"]
    sid, view = job_manager().find(job_id)
    assert view.status in ("queued", "running")  # Ben's Stop did nothing
    job_manager().command(sid, job_id, "stop")


def test_a_run_the_teacher_stops_tells_the_student_it_was_the_teacher(class_db):
    """The student's run bar and live status line read the job's reason: "stopped by the user" would tell the
    student that they stopped it themselves."""
    from ui.run_controls import run_state
    from ui.services import job_manager

    klass, ann, job_id = _member_running(class_db, "Group H", "Ann", "browser:ann")

    teacher = _teacher()
    teacher.button(key=f"teacher.stop.{job_id}").click().run()
    _wait(lambda: job_manager().find(job_id)[1].status == "stopped", "the run to stop")
    view = job_manager().find(job_id)[1]
    assert view.error == "stopped by your teacher"
    text = run_state(view).text  # the status said once, not "stopped: stopped by your teacher"
    assert text.split(" · ")[2].startswith("stopped by your teacher") and "stopped: stopped" not in text, text
    _wait(lambda: runs.class_run_by_job(class_db, klass.id, job_id) is not None, "the stopped run to be stored")
    assert runs.class_run_by_job(class_db, klass.id, job_id).metrics["error"] == "stopped by your teacher"
