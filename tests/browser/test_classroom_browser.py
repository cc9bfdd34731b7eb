"""A teacher and two students through a class in real Chromium against a real server: the teacher unlocks the
Teacher page, creates a class, a preset with a locked learning rate and a challenge; two students join by the
class link, find the locked control disabled, train; the leaderboard lists both; the server restarts and a
student who reopens the class link is back in the class (no form), stays in it across a reload, and reopens her
run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from tests.browser.conftest import ARTIFACTS, ROOT, _free_port, shot

PRESET = RunConfig(data=DataConfig(dataset="xor", n_samples=200), model=ModelConfig(hidden=(3,)),
                   train=TrainConfig(lr=0.1, epochs=20, until_paused=False))


class Server:
    """`streamlit run app.py` with the classroom's environment; restartable on the same database."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        os.makedirs(ARTIFACTS, exist_ok=True)
        self.log = open(os.path.join(ARTIFACTS, f"{name}.log"), "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
             "127.0.0.1", "--server.port", str(self.port), "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1).read() == b"ok":
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        pytest.fail("the app did not answer /_stcore/health within 90 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def join(page, base: str, code: str, name: str | None) -> None:
    page.goto(f"{base}/?class={code}")
    page.wait_for_selector("text=Join the class", timeout=90_000)
    box = page.get_by_label("Your display name", exact=True)
    if name is not None:
        box.fill(name)
        box.press("Enter")
    page.get_by_role("button", name="Join", exact=True).click()
    page.wait_for_selector("text=you are", timeout=90_000)


def saved_runs_listed(page, timeout_ms: int) -> None:
    """The student's runs panel lists one run; its label goes on (" · challenges (1)" in a class with a challenge),
    which a text= selector waiting for visibility did not match reliably: read the page's text instead."""
    page.wait_for_function("document.body.innerText.includes('My saved runs (1)')", timeout=timeout_ms, polling=500)


def test_teacher_and_two_students_through_a_class(browser, tmp_path):
    env = {**os.environ, "NNLIB_WORKERS": "2", "NNLIB_ALLOW_DOWNLOAD": "0", "PYTHONPATH": ROOT,
           "NNLIB_DATABASE_URL": f"sqlite:///{tmp_path / 'class.sqlite3'}", "NNLIB_TEACHER_PASSWORD": "owl pie"}
    server = Server(env, "classroom-server-1")
    contexts = []

    def new_page():
        ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
        contexts.append(ctx)
        return ctx.new_page()

    try:
        teacher = new_page()
        teacher.goto(f"{server.url}/teacher")
        teacher.get_by_label("Teacher password", exact=True).fill("owl pie")
        teacher.get_by_role("button", name="Unlock").click()
        teacher.wait_for_selector("text=New class name", timeout=60_000)
        teacher.get_by_label("New class name", exact=True).fill("Group B")
        teacher.get_by_role("button", name="Create class").click()
        teacher.wait_for_selector("text=?class=", timeout=60_000)
        code = re.search(r"\?class=([A-Z0-9]{6})", teacher.inner_text("body")).group(1)
        teacher.get_by_role("tab", name="Preset").click()
        teacher.get_by_text("Advanced: the whole config as JSON").click()  # the common settings are widgets
        teacher.get_by_label("Preset config (JSON)", exact=True).fill(PRESET.to_json())
        teacher.get_by_label("Locked settings", exact=True).click()
        teacher.keyboard.type("Learning rate")  # the lists read like the widgets, not "train.lr"
        teacher.get_by_role("option", name="Learning rate", exact=True).click()
        teacher.keyboard.press("Escape")
        teacher.get_by_role("button", name="Save preset").click()
        teacher.wait_for_selector("text=Preset saved.", timeout=60_000)
        teacher.get_by_role("tab", name="Challenges").click()
        teacher.get_by_label("Title", exact=True).fill("XOR above 50%")
        teacher.get_by_label("Threshold", exact=True).fill("0.5")
        teacher.get_by_role("button", name="Add challenge").click()
        teacher.wait_for_selector("text=Challenge: XOR above 50%", timeout=60_000)
        shot(teacher, "classroom-teacher-setup")

        students = {}
        for name in ("Ann", "Ben"):
            pg = new_page()
            join(pg, server.url, code, name)
            pg.get_by_role("tab", name="Training").click()
            shot(pg, f"classroom-student-{name}-joined")
            label = ".st-key-pg-train-{} [data-testid=stWidgetLabel]"
            assert pg.locator(label.format("lr")).get_attribute("disabled") is not None  # locked by the preset
            assert pg.locator(label.format("epochs")).get_attribute("disabled") is None  # not locked
            locked = re.search(r"set by your teacher: ([^\n]*)", pg.inner_text("body")).group(1)
            assert locked.strip() == "learning rate", locked
            pg.get_by_role("button", name="Train", exact=True).click()
            students[name] = pg
        for pg in students.values():
            pg.wait_for_selector("text=all 20 epochs done", timeout=120_000)
            saved_runs_listed(pg, 60_000)
        shot(students["Ann"], "classroom-student-ann")

        from nnlib.store import runs
        from nnlib.store.db import open_engine

        stored = runs.class_runs(open_engine(env["NNLIB_DATABASE_URL"]), 1)
        assert len(stored) == 2 and all(json.loads(r.config)["train"]["lr"] == 0.1 for r in stored)

        teacher.get_by_role("tab", name="Class table").click()
        teacher.wait_for_selector("text=Finished runs (2)", timeout=60_000)
        teacher.get_by_role("tab", name="Challenges").click()
        teacher.wait_for_function("document.body.innerText.includes('2. ')", timeout=60_000)
        ranked = re.findall(r"([12])\. (Ann|Ben) · (\d+) parameters", teacher.inner_text("body"))
        assert sorted(r[1] for r in ranked) == ["Ann", "Ben"] and {r[2] for r in ranked} == {"13"}, ranked
        shot(teacher, "classroom-teacher-leaderboard")
    finally:
        server.stop()

    server = Server(env, "classroom-server-2")  # the same database after a restart
    try:
        ann = contexts[1].new_page()  # Ann's browser (its cookie names her): back in the class without the form
        ann.goto(f"{server.url}/?class={code}")
        ann.wait_for_selector("text=you are", timeout=90_000)
        assert "Ann" in ann.inner_text("[class*=st-key-class-bar]")
        saved_runs_listed(ann, 120_000)  # a cold server loads torch first
        assert ann.get_by_role("combobox", name="Dataset").input_value() == "xor"  # the class preset's setup
        ann.reload()  # the address kept the class: a reload stays in it
        saved_runs_listed(ann, 120_000)
        assert f"class={code}" in ann.url and "Join the class" not in ann.inner_text("body")
        shot(ann, "classroom-after-restart-reload")
        open_button = ann.locator("[class*=st-key-pg-open-] button").first  # "Open" alone also names selects
        for _ in range(5):  # the panel opens by itself in a class with challenges, once the page has settled
            if open_button.is_visible():
                break
            ann.get_by_text("My saved runs (1)").click()
            ann.wait_for_timeout(1500)
        open_button.click()
        try:
            ann.wait_for_selector("text=Run imported", timeout=90_000)
        finally:
            shot(ann, "classroom-after-restart")
    finally:
        for ctx in contexts:
            ctx.close()
        server.stop()
