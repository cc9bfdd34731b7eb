"""Jobs of closed pages stop within seconds, finished jobs drop their weights (issue 9, items 1 and 2).

The manager's clock is injected: the tests move time forward and run the janitor's pass (`sweep`) themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nnlib.jobs import JobManager
from tests.jobs.test_manager import J, ready, wait_for

pytestmark = pytest.mark.timeout(60)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clocked() -> Iterator[tuple[JobManager, FakeClock]]:
    clock = FakeClock()
    m = JobManager(max_workers=1, preload_torch=False, stop_grace=1.0, idle_stop=5.0, result_ttl=60.0,
                   session_timeout=900.0, clock=clock)
    yield ready(m), clock
    m.shutdown()


def test_job_of_a_page_that_stopped_polling_is_stopped(clocked: tuple[JobManager, FakeClock]) -> None:
    m, clock = clocked
    running = m.submit("closed-tab", {"dt": 0.01}, J + "count")
    queued = m.submit("closed-tab", {"epochs": 1}, J + "count")
    wait_for(lambda: m.view("closed-tab", running).status == "running", what="running")
    m.submit("open-tab", {"epochs": 1}, J + "whoami")
    clock.now += 4.0
    m.touch("open-tab")  # the open tab keeps polling, the closed one does not
    m.sweep()
    assert m.find(running)[1].status == "running"
    clock.now += 2.0
    m.sweep()
    wait_for(lambda: m.find(running)[1].status == "stopped", what="the closed tab's job stopped")
    for job_id in (running, queued):
        view = m.find(job_id)[1]
        assert view.status == "stopped" and "page was closed" in view.error
    wait_for(lambda: [v.status for v in m.jobs("open-tab")] == ["finished"], what="the open tab's job ran")


def test_finished_jobs_drop_their_weights_after_result_ttl(clocked: tuple[JobManager, FakeClock]) -> None:
    m, clock = clocked
    job = m.submit("s", {}, J + "with_weights")
    wait_for(lambda: m.view("s", job).status == "finished", what="finished")
    assert "weights" in m.view("s", job).result
    clock.now += 59.0
    m.touch("s")
    m.sweep()
    assert "weights" in m.view("s", job).result
    clock.now += 2.0
    m.touch("s")
    m.sweep()
    result = m.view("s", job).result
    assert "weights" not in result and result["epochs"] == 1
