"""A reloaded page gets its variant group's controls back: the same browser (the nn_person identity) in a new
session -- F5 on the Compare page or the Playground -- finds the group it started with Pause / Step / Stop, which
act on it, as the Playground's own run comes back after a reload (ui.run_controls.reconnect). They were offered
only in the session that started the group."""

from __future__ import annotations

import json
import os

from streamlit.testing.v1 import AppTest

from tests.app.test_compare_page import stop_job
from tests.classroom.test_teacher_watch import _wait

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
PERSON = "browser:reloaded-group"


def _start_group() -> None:
    import streamlit as st

    from nnlib.config import RunConfig
    from ui import compare_panel as CP

    base = RunConfig().replace(train={"epochs": 3000, "until_paused": False, "speed": "slow"})
    configs = [base.replace(model={"dropout": d}) for d in (0.0, 0.2)]
    st.write(CP.start_group(configs, ["dropout = 0", "dropout = 0.2"], "Playground", "playground") or "started")


def _session(path: str) -> AppTest:
    at = AppTest.from_file(os.path.join(ROOT, path), default_timeout=90)
    at.session_state["nn_person"] = PERSON  # the same browser, a new session: a reload
    return at


def _job(job_id: str):
    from ui.services import job_manager

    return job_manager().find(job_id)[1]


def test_a_reloaded_compare_page_gets_the_groups_pause_step_and_stop_back() -> None:
    first = AppTest.from_function(_start_group, default_timeout=90)
    first.session_state["nn_person"] = PERSON
    first.run()
    assert [m.value for m in first.markdown] == ["started"], [m.value for m in first.markdown]
    group = first.session_state["job_group"]
    try:
        reloaded = _session("pages/compare.py").run()
        assert not reloaded.exception
        bar = [m.value for m in reloaded.markdown if "Variant group" in m.value]
        assert bar and "(2 pinned runs trained in one job)" in bar[0], [m.value for m in reloaded.markdown]
        keys = {b.key for b in reloaded.button}
        assert {"cmp.group.pause", "cmp.group.step", "cmp.group.stop"} <= keys, keys
        keep = [c for c in reloaded.get("bidi_component") if c.proto.component_name == "nn_keep_alive"]
        assert [json.loads(c.proto.json)["tokens"] for c in keep] == [[group]]  # its old session: kept alive

        reloaded.button(key="cmp.group.pause").click().run()  # the controls act on the group
        _wait(lambda: _job(group).status == "paused", "the group to pause", 600)
        reloaded.run()
        assert "cmp.group.resume" in {b.key for b in reloaded.button}
        reloaded.button(key="cmp.group.stop").click().run()
        _wait(lambda: _job(group).status == "stopped", "the group to stop", 600)

        playground = _session("app.py").run()  # a reloaded Playground takes it over too (its keep-alive's job)
        assert playground.session_state["job_group"] == group
    finally:
        stop_job(group)


def test_a_group_the_teacher_stopped_says_so_once_on_the_compare_pages_bar() -> None:
    """The group bar read "stopped · stopped by your teacher": a reason that already says the status is the status,
    as on the run bar (ui.run_controls.run_state)."""
    from ui.services import job_manager

    first = AppTest.from_function(_start_group, default_timeout=90)
    first.session_state["nn_person"] = PERSON + "-stopped"
    first.run()
    group = first.session_state["job_group"]
    try:
        session_id, _ = job_manager().find(group)
        job_manager().stop_for(session_id, group, "stopped by your teacher")
        _wait(lambda: _job(group).status == "stopped", "the group to stop", 600)
        page = AppTest.from_file(os.path.join(ROOT, "pages/compare.py"), default_timeout=90)
        page.session_state["nn_person"] = PERSON + "-stopped"
        page.run()
        bar = [m.value for m in page.markdown if "Variant group" in m.value]
        assert bar and bar[0].endswith(" · stopped by your teacher") and "stopped · stopped" not in bar[0], bar
    finally:
        stop_job(group)
