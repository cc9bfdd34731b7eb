"""The job manager announces which jobs changed (nnlib.jobs.news): the live route's held polls wake on it instead
of looking every few milliseconds, so every change a page shows must be announced."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from nnlib.jobs import JobManager
from nnlib.jobs.news import JobNews
from tests.jobs.test_manager import J, ready, wait_for

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def one_worker() -> Iterator[JobManager]:
    m = JobManager(max_workers=1, preload_torch=False, max_jobs_per_session=3, stop_grace=1.0)
    yield ready(m)
    m.shutdown()


class Heard:
    """A listener that keeps every job id it was told of, in order, with the thread that told it."""

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, job_ids: frozenset[str]) -> None:
        with self.lock:
            self.ids.extend(job_ids)

    def count(self, job_id: str) -> int:
        with self.lock:
            return self.ids.count(job_id)


def test_snapshots_starts_queue_moves_pauses_and_ends_are_announced(one_worker: JobManager) -> None:
    heard = Heard()
    one_worker.news.listen(heard)
    first = one_worker.submit("s1", {"dt": 0.01}, J + "count")
    second = one_worker.submit("s2", {"dt": 0.01, "epochs": 2}, J + "count")  # waits: one worker, no groups
    wait_for(lambda: heard.count(first) >= 3, what="the running job's start and snapshots announced")
    assert one_worker.find(second)[1].status == "queued"
    before = heard.count(first)
    one_worker.command("s1", first, "pause")
    wait_for(lambda: heard.count(first) > before, what="the pause announced")
    heard_second = heard.count(second)
    one_worker.command("s1", first, "stop")
    wait_for(lambda: one_worker.find(first)[1].status == "stopped", what="the first job stopped")
    wait_for(lambda: heard.count(second) > heard_second, what="the queued job's start announced")
    wait_for(lambda: one_worker.find(second)[1].status == "finished", what="the second job finished")
    ended = heard.count(second)
    assert ended >= 2  # it started and ended (and its snapshots)


def test_a_listener_that_fails_does_not_stop_the_others() -> None:
    news, heard = JobNews(), Heard()

    def broken(job_ids: frozenset[str]) -> None:
        raise RuntimeError("listener bug")

    news.listen(broken)
    news.listen(heard)
    news.listen(heard)  # a repeat is ignored
    news.note("a")
    news.note_all(["b", "a"])
    news.announce()
    news.announce()  # nothing new: nobody is told again
    assert sorted(heard.ids) == ["a", "b"]
