"""Six students press Train on the Playground (the default run, until paused) on a 2-worker server: all six runs
train at once, nobody sees a queue position, and each page's Stop still stops its own run."""

from __future__ import annotations

import os
import time

import pytest
from streamlit.testing.v1 import AppTest

PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "playground.py")
pytestmark = pytest.mark.timeout(300)


def wait_until(pred, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_six_playground_sessions_train_at_once_with_two_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    import ui.services as services

    monkeypatch.setenv("NNLIB_WORKERS", "2")
    manager = services.job_manager()
    assert manager.max_workers == 2
    wait_until(lambda: manager.stats()["workers_ready"] == 2, 120, "two workers")
    pages, jobs = [], []
    for _ in range(6):
        at = AppTest.from_file(PAGE, default_timeout=60).run()
        at.button(key="pg.train").click().run()
        assert not at.exception and not at.error
        pages.append(at)
        jobs.append(at.session_state["pg.job_cfg"][0])
    views = [manager.find(j)[1] for j in jobs]
    assert [v.status for v in views] == ["running"] * 6  # with one job per worker, four would be queued
    assert [v.queue_position for v in views] == [None] * 6
    for j in jobs:  # every run is training at the same time
        wait_until(lambda j=j: (manager.find(j)[1].snapshot or {}).get("epoch", 0) >= 3, 120, "epochs")
    assert all(manager.find(j)[1].status == "running" for j in jobs)
    for at in pages:
        at.run()
        assert not at.exception and not at.error
        at.button(key="pg.stop").click().run()
    for j in jobs:
        wait_until(lambda j=j: manager.find(j)[1].status == "stopped", 60, "stopped")
