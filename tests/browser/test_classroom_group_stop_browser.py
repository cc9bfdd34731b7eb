"""In chromium, the teacher's class table once a class member's variant group has finished: its row moves under
"Groups that ended", with its Stop disabled, drawn in place in the same refresh that says "finished". The Stop used
to be left out instead, and Streamlit can keep a left-out button on screen, pressable, until a later refresh (the
walkthrough saw a finished group with a live Stop; sampled once a second, "finished" showed beside an enabled Stop
for about 2 s)."""

from __future__ import annotations

from nnlib.store import classes, presets
from nnlib.store.db import open_engine
from tests.browser.conftest import app_server, browser_contexts, shot
from tests.browser.test_classroom_browser import PRESET, join
from tests.browser.test_classroom_teacher_browser import _body_has

GROUP_ROW = """() => {
    const row = [...document.querySelectorAll('[class*=st-key-teacher-group-]')][0];
    const stop = row ? [...row.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Stop') : null;
    return {stop: stop ? (stop.disabled ? 'disabled' : 'enabled') : 'none'};
}"""


def test_a_finished_groups_stop_is_disabled_at_once_in_the_teachers_table(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    engine = open_engine(url)
    klass = classes.create_class(engine, "Group F")
    presets.save_preset(engine, klass.id, "p", PRESET.replace(train={"epochs": 30, "speed": "slow"}).to_json(
        indent=None), [], [])
    with browser_contexts(browser, "classroom-group-stop-failure") as contexts:
        with app_server("classroom-group-stop-server", NNLIB_DATABASE_URL=url,
                        NNLIB_TEACHER_PASSWORD="owl pie") as base:
            student_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
            teacher_ctx = browser.new_context(viewport={"width": 1024, "height": 768})
            contexts += [student_ctx, teacher_ctx]
            student = student_ctx.new_page()
            join(student, base, klass.code, "Ann")
            student.wait_for_selector("[data-testid=stPlotlyChart]", timeout=90_000)
            teacher = teacher_ctx.new_page()
            teacher.goto(f"{base}/teacher")
            teacher.get_by_label("Teacher password", exact=True).fill("owl pie")
            teacher.get_by_role("button", name="Unlock").click()
            _body_has(teacher, "running now (0)", 90_000)

            student.get_by_role("button", name="Change one knob").click()
            student.get_by_role("textbox", name="Values").wait_for(timeout=30_000)
            student.get_by_role("button", name="Train the variants").click()
            _body_has(student, "variants of dropout are training", 30_000)
            _body_has(teacher, "3 runs · running", 120_000)
            assert teacher.evaluate(GROUP_ROW) == {"stop": "enabled"}
            _body_has(teacher, "3 runs · finished", 120_000)  # 30 epochs at 4 per second
            teacher.wait_for_timeout(1000)  # within the table's 2-second refresh
            shot(teacher, "classroom-group-finished-1024")
            assert teacher.evaluate(GROUP_ROW) == {"stop": "disabled"}
            body = teacher.evaluate("document.body.innerText")  # it left the running groups for the ended ones
            assert "Groups running now (0)" in body and body.index("Groups that ended (1)") < body.index("3 runs · "
                                                                                                         "finished")
