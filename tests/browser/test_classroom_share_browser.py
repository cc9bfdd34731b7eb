"""The teacher's read-only live view and "show to everyone" in real Chromium at 1280x720: a student trains a slow
run; the teacher opens it from the class table and watches the epochs arrive through the live route, stops it,
shows it to everyone; another student finds it as "Teacher's reference" on the Compare page (and hides it) and as
a dashed curve on the Playground's loss chart."""

from __future__ import annotations

import os

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from nnlib.store import classes, presets
from nnlib.store.db import open_engine
from tests.browser.conftest import ARTIFACTS, ROOT, shot, wait_for
from tests.browser.test_classroom_browser import Server, join
from tests.browser.test_classroom_teacher_browser import press_train

PRESET = RunConfig(data=DataConfig(dataset="xor", n_samples=200), model=ModelConfig(hidden=(3,)),
                   train=TrainConfig(lr=0.1, epochs=400, speed="slow", until_paused=False))
EPOCH = "() => Number((document.querySelector('.nnlive') || {dataset: {}}).dataset.epoch || 0)"
REFERENCE = "Teacher's reference: xor · 3 tanh · lr 0.1"


def unlock(page, base: str) -> None:
    page.goto(f"{base}/teacher")
    page.get_by_label("Teacher password", exact=True).fill("owl pie")
    page.get_by_role("button", name="Unlock").click()


def test_teacher_watches_a_run_read_only_and_shows_it_to_everyone(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'class.sqlite3'}"
    engine = open_engine(url)
    klass = classes.create_class(engine, "Group S")
    presets.save_preset(engine, klass.id, "p", PRESET.to_json(indent=None), ["train.lr"], [])
    env = {**os.environ, "NNLIB_WORKERS": "2", "NNLIB_ALLOW_DOWNLOAD": "0", "PYTHONPATH": ROOT,
           "NNLIB_DATABASE_URL": url, "NNLIB_TEACHER_PASSWORD": "owl pie"}
    server = Server(env, "classroom-share-server")
    contexts = []

    def new_page():
        ctx = browser.new_context(viewport={"width": 1280, "height": 720})
        contexts.append(ctx)
        return ctx.new_page()

    try:
        ann = new_page()
        join(ann, server.url, klass.code, "Ann")
        press_train(ann)  # once the page has stored what Train starts (a press right after Join found nothing)

        teacher = new_page()
        unlock(teacher, server.url)
        watch = teacher.locator("[class*=st-key-teacher-watch-] button").first
        watch.wait_for(timeout=90_000)
        watch.click()
        teacher.wait_for_selector("text=read-only", timeout=60_000)
        first = wait_for(teacher, EPOCH, lambda e: e >= 2, timeout=90)
        wait_for(teacher, EPOCH, lambda e: e > first, timeout=60)  # the student's epochs keep arriving
        panel = teacher.locator(".st-key-teacher-watch")
        assert "Ann" in panel.inner_text() and "running" in panel.inner_text() and "Pause" not in panel.inner_text()
        src = teacher.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"
                               ".filter(n => n.includes('/nnlive/snap/'))")
        ann_src = ann.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)"
                               ".filter(n => n.includes('/nnlive/snap/'))")
        token = src[-1].split("/nnlive/snap/")[1].split("?")[0]
        assert token not in " ".join(ann_src)  # the teacher polls a watch token, not the student's job token
        panel.evaluate("el => el.scrollIntoView({block: 'start'})")  # the name, Stop and the charts in view
        teacher.screenshot(path=os.path.join(ARTIFACTS, "classroom-teacher-watch-live.png"))

        spare = teacher.context.new_page()  # a second teacher tab closes while watching: Ann's run goes on
        spare.goto(f"{server.url}/teacher")  # the same browser: still unlocked (remembered per browser), no password
        spare.locator("[class*=st-key-teacher-watch-] button").first.click()
        spare.wait_for_selector("text=read-only", timeout=60_000)
        wait_for(spare, EPOCH, lambda e: e >= 1, timeout=60)
        spare.close(run_before_unload=True)
        before = wait_for(ann, EPOCH, lambda e: e >= 1, timeout=30)
        wait_for(ann, EPOCH, lambda e: e > before + 40, timeout=90)  # 10 s at 4 epochs/s: >> CLOSED_STOP_S
        assert "stopped" not in ann.locator(".nnlive").inner_text()
        teacher.get_by_role("button", name="Stop", exact=True).first.click()
        teacher.wait_for_selector("text=Finished runs (1)", timeout=90_000)
        teacher.get_by_role("button", name="Show to everyone").click()
        teacher.wait_for_selector("text=shown to everyone", timeout=60_000)
        shot(teacher, "classroom-teacher-shared")

        ben = new_page()
        join(ben, server.url, klass.code, "Ben")
        ben.wait_for_function(f"() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p.data || [])"
                              f".some(t => t.name === {REFERENCE!r} && t.line.dash === 'dash'))", timeout=90_000)
        shot(ben, "classroom-student-playground-reference")
        ben.locator("[data-testid=stTopNav]").get_by_text("Compare", exact=True).click()
        ben.wait_for_selector(f"text={REFERENCE}", timeout=90_000)
        ben.wait_for_function(f"() => [...document.querySelectorAll('.js-plotly-plot')].some(p => (p.data || [])"
                              f".some(t => t.name === {REFERENCE + ' · validation'!r}))", timeout=60_000)
        shot(ben, "classroom-student-compare-reference")
        ben.reload()  # a reload of the Compare page: still in the class, the reference still there
        ben.wait_for_selector(f"text={REFERENCE}", timeout=90_000)
        ben.locator("[class*=st-key-cmp-ref-] button").first.click()  # Hide
        ben.wait_for_selector("text=hidden", timeout=60_000)
        assert ben.evaluate(f"() => ![...document.querySelectorAll('.js-plotly-plot')].some(p => (p.data || [])"
                            f".some(t => (t.name || '').startsWith({REFERENCE!r})))")
        assert ben.get_by_role("button", name="Unpin").count() == 0  # nothing of Ben's own to unpin
    finally:
        for ctx in contexts:
            ctx.close()
        server.stop()
