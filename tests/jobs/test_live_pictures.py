"""A Playground job's snapshots carry their live view's pictures as ready JSON when the page asks (ui.live_parts):
the worker builds them, the manager moves them out of the snapshot into the job's view, the route serves them."""

from __future__ import annotations

import pytest

from nnlib.config import RunConfig
from nnlib.jobs import JobManager
from nnlib.jobs.control import JobControl
from nnlib.jobs.records import LIVE_PICTURES
from nnlib.train.job import run_training
from tests.jobs.test_manager import J, ready, wait_for

pytestmark = pytest.mark.timeout(60)


def _run(pictures: str | None) -> dict:
    ctl = JobControl(min_interval=0.0)
    payload = {"config": RunConfig().replace(train={"epochs": 3, "until_paused": False}).to_dict()}
    if pictures is not None:
        payload["live_pictures"] = pictures
    run_training(payload, ctl)
    return ctl.latest


def test_the_worker_adds_the_pictures_only_when_the_page_names_the_known_builder() -> None:
    from ui.live_parts import PICTURES_FN, picture_fragment

    snap = _run(PICTURES_FN)
    assert snap[LIVE_PICTURES] == picture_fragment({k: v for k, v in snap.items() if k != LIVE_PICTURES})
    assert LIVE_PICTURES not in _run(None)
    assert LIVE_PICTURES not in _run("os:system")  # a payload cannot make the worker call anything else


def test_the_manager_moves_the_pictures_out_of_the_snapshot_into_the_view() -> None:
    m = ready(JobManager(max_workers=1, preload_torch=False, stop_grace=1.0))
    try:
        jid = m.submit("s", {}, J + "with_live_pictures")
        view = wait_for(lambda: (v := m.view("s", jid)).snapshot and v, what="the snapshot")
        assert view.pictures == b'"boundary":{}' and view.snapshot == {"epoch": 1}
        assert m.find(jid)[1].pictures == view.pictures
        m.command("s", jid, "stop")
    finally:
        m.shutdown()
