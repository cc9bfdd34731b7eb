"""The teacher's view of a class member's run in real Chromium, at the class table's two common screen sizes: the
Watch bar follows the run's status by itself (a student's Pause shows as paused, not "running"), the teacher's Stop
reads "stopped by your teacher" on the student's page, and the class table's buttons keep their whole labels at
1024x768 and 1280x720 ("Show to everyone" was cut to "Show to eve..." at 1024 px)."""

from __future__ import annotations

from nnlib.store import classes, presets
from nnlib.store.db import open_engine
from tests.browser.conftest import app_server, browser_contexts, shot
from tests.browser.test_classroom_browser import PRESET, join

SLOW = PRESET.replace(train={"epochs": 400, "speed": "slow"})  # still running while the teacher watches
CUT_BUTTONS = """() => [...document.querySelectorAll('[data-testid=stMain] button')]
    .filter((b) => b.offsetParent !== null)
    .filter((b) => [b, ...b.querySelectorAll('*')].some((e) => e.scrollWidth > e.clientWidth + 1))
    .map((b) => b.innerText)"""


def _body_has(page, text: str, timeout_ms: int) -> None:
    page.wait_for_function("(t) => document.body.innerText.includes(t)", arg=text, timeout=timeout_ms, polling=250)


def press_train(page) -> None:
    """Press Train once the page has stored what Train starts (a press during the run after Join finds nothing
    stored yet and says the setup cannot train: press again)."""
    for _ in range(5):
        page.wait_for_selector("text=Loss: train vs validation", timeout=90_000)
        page.get_by_role("button", name="Train", exact=True).click()
        try:
            page.get_by_role("button", name="Pause", exact=True).and_(page.locator(":enabled")).wait_for(
                timeout=20_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: not started, press again
            page.wait_for_timeout(1000)
    raise AssertionError("the student's run did not start")


def test_the_teacher_watches_a_paused_run_stops_it_and_the_table_fits(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    engine = open_engine(url)
    klass = classes.create_class(engine, "Group T")
    presets.save_preset(engine, klass.id, "p", SLOW.to_json(indent=None), [], [])
    with browser_contexts(browser, "classroom-teacher-failure") as contexts:
        with app_server("classroom-teacher-server", NNLIB_DATABASE_URL=url, NNLIB_TEACHER_PASSWORD="owl pie") as base:
            student_ctx = browser.new_context(viewport={"width": 1280, "height": 720})
            teacher_ctx = browser.new_context(viewport={"width": 1024, "height": 768})
            contexts += [student_ctx, teacher_ctx]
            student = student_ctx.new_page()
            join(student, base, klass.code, "Ann")
            press_train(student)

            teacher = teacher_ctx.new_page()
            teacher.goto(f"{base}/teacher")
            teacher.get_by_label("Teacher password", exact=True).fill("owl pie")
            teacher.get_by_role("button", name="Unlock").click()
            _body_has(teacher, "running now (1)", 90_000)
            teacher.get_by_role("button", name="Watch", exact=True).click()
            _body_has(teacher, "Ann's run · running · read-only", 60_000)

            student.get_by_role("button", name="Pause", exact=True).click()
            _body_has(teacher, "Ann's run · paused · read-only", 30_000)  # no click on the teacher's side
            _body_has(teacher, "Ann · paused · epoch", 30_000)  # the table's row too
            shot(teacher, "classroom-teacher-watch-paused-1024")

            teacher.locator("[class*=st-key-teacher-watch-bar]").get_by_role("button", name="Stop").click()
            _body_has(student, "stopped by your teacher", 60_000)
            shot(student, "classroom-student-stopped-by-teacher")

            _body_has(teacher, "Finished runs (1)", 60_000)
            share = teacher.get_by_role("button", name="Show to everyone", exact=True)
            share.wait_for(timeout=30_000)
            share.scroll_into_view_if_needed()
            shot(teacher, "classroom-teacher-table-1024x768")
            assert teacher.evaluate(CUT_BUTTONS) == []
            teacher.set_viewport_size({"width": 1280, "height": 720})
            teacher.wait_for_timeout(500)
            share.scroll_into_view_if_needed()
            shot(teacher, "classroom-teacher-table-1280x720")
            assert teacher.evaluate(CUT_BUTTONS) == []
