"""Fault test of issue 9: a worker killed mid-run, a worker over its memory ceiling and a job over its CPU budget
each fail only their own job, with a reason, and the pool replaces the worker."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from nnlib.jobs import JobManager
from nnlib.jobs.watchdog import JobBudget, process_usage
from tests.jobs.test_manager import J, epoch, ready, wait_for

pytestmark = pytest.mark.timeout(90)


@pytest.fixture
def pool() -> Iterator[JobManager]:
    m = JobManager(max_workers=2, preload_torch=False, max_jobs_per_session=4, max_jobs_per_person=4,
                   stop_grace=1.0, job_budget=JobBudget(cpu_seconds=60.0, memory_mb=250.0))
    yield ready(m)
    m.shutdown()


def _fails_only_its_job(m: JobManager, bad: str, what: str) -> str:
    survivor = m.submit("other", {"epochs": 40, "dt": 0.02}, J + "count")
    wait_for(lambda: m.view("s", bad).status == "failed", timeout=30.0, what=what)
    wait_for(lambda: m.view("other", survivor).status == "finished", timeout=30.0, what="the other job")
    assert m.view("other", survivor).result["epochs"] == 40
    wait_for(lambda: m.stats()["workers_ready"] == 2, timeout=30.0, what="a replacement worker")
    after = m.submit("s", {"x": 1}, J + "whoami")
    wait_for(lambda: m.view("s", after).status == "finished", what="the next job")
    return m.view("s", bad).error


def test_worker_killed_mid_run(pool: JobManager) -> None:
    job = pool.submit("s", {"dt": 0.01}, J + "count")
    wait_for(lambda: epoch(pool.view("s", job)) >= 3, what="progress")
    os.kill(pool.view("s", job).snapshot["pid"], signal.SIGKILL)
    error = _fails_only_its_job(pool, job, "the killed job failed")
    assert "worker process died" in error and "SIGKILL" in error


def test_worker_over_its_memory_ceiling(pool: JobManager) -> None:
    job = pool.submit("s", {}, J + "hog_memory")
    error = _fails_only_its_job(pool, job, "the memory hog failed")
    assert "more than 250 MB of memory" in error and "smaller batch" in error


def test_job_over_its_cpu_budget(pool: JobManager) -> None:
    job = pool.submit("s", {}, J + "burn_cpu", budget=JobBudget(cpu_seconds=1.0, memory_mb=10_000.0))
    error = _fails_only_its_job(pool, job, "the CPU burner failed")
    assert "more than 1 CPU-seconds" in error and "fewer epochs" in error


def test_a_job_budget_can_only_lower_the_servers_ceiling(pool: JobManager) -> None:
    job = pool.submit("s", {}, J + "hog_memory", budget=JobBudget(cpu_seconds=1e9, memory_mb=1e9))
    assert "more than 250 MB" in _fails_only_its_job(pool, job, "the memory hog failed")


def test_process_usage_reads_this_process() -> None:
    usage = process_usage(os.getpid())
    assert usage is not None and usage.rss_mb > 1 and usage.cpu_seconds > 0
    assert process_usage(2**22 + 12345) is None  # no such process
