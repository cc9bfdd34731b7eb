"""Group workers: with 2 workers, six small jobs all run at once (none queued), each obeying its own pause/step/
stop; a failing or over-budget job fails alone; a killed group worker fails its jobs with a reason and the pool
recovers; a job that needs a worker of its own still gets one. The job functions below run inside the workers."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest

from nnlib.jobs import JobManager
from nnlib.jobs.batched import groupable
from nnlib.jobs.control import JobControl
from nnlib.jobs.watchdog import JobBudget
from tests.jobs.test_manager import J, epoch, ready, settled, wait_for

pytestmark = pytest.mark.timeout(120)
G = "tests.jobs.test_batched_pool:"


def tick(payload: dict, ctl: JobControl) -> dict:
    """Like sample_jobs.count, and says which process and thread ran it."""
    import threading

    done = 0
    for _ in range(payload.get("epochs", 10**9)):
        if not ctl.epoch_gate():
            break
        time.sleep(payload.get("dt", 0.01))
        done += 1
        ctl.publish({"epoch": done, "pid": os.getpid(), "thread": threading.current_thread().name}, force=True)
    return {"epochs": done, "pid": os.getpid()}


def fail_soon(payload: dict, ctl: JobControl) -> None:
    ctl.epoch_gate()
    raise ValueError("this group job breaks")


def spin_between_gates(payload: dict, ctl: JobControl) -> None:
    """Burns CPU but, like a training run, passes its gate between 'epochs': the CPU budget can stop it."""
    ctl.publish({"pid": os.getpid()}, force=True)
    while ctl.epoch_gate():
        end = time.thread_time() + 0.05
        x = 0
        while time.thread_time() < end:
            x = (x * 31 + 7) % 1_000_003


def group_sample_jobs(fn: str, payload: dict) -> bool:
    return fn.startswith(G)


@pytest.fixture
def pool() -> Iterator[JobManager]:
    m = JobManager(max_workers=2, preload_torch=False, max_jobs_per_session=4, max_jobs_per_person=4,
                   stop_grace=1.0, group_size=4, can_group=group_sample_jobs,
                   job_budget=JobBudget(cpu_seconds=60.0, memory_mb=2000.0))
    yield ready(m)
    m.shutdown()


def test_six_sessions_run_at_once_on_two_workers_each_with_its_own_controls(pool: JobManager) -> None:
    jobs = {f"s{i}": pool.submit(f"s{i}", {"dt": 0.02}, G + "tick") for i in range(6)}
    for s, j in jobs.items():
        wait_for(lambda s=s, j=j: epoch(pool.view(s, j)) >= 2, timeout=30.0, what=f"{s} running")
        assert pool.view(s, j).status == "running" and pool.view(s, j).queue_position is None
    assert pool.stats()["queued"] == 0 and pool.stats()["grouped_jobs"] == 6
    pids = {pool.view(s, j).snapshot["pid"] for s, j in jobs.items()}
    assert len(pids) == 2  # spread over both workers, three jobs each
    pool.command("s0", jobs["s0"], "pause")
    held = settled(pool, "s0", jobs["s0"])
    s1_at_pause = epoch(pool.view("s1", jobs["s1"]))
    pool.command("s0", jobs["s0"], "step")
    wait_for(lambda: epoch(pool.view("s0", jobs["s0"])) == held + 1, what="one step")
    assert settled(pool, "s0", jobs["s0"]) == held + 1
    # the others kept going meanwhile (against s1's own count: under load s1 may trail s0 by many epochs)
    wait_for(lambda: epoch(pool.view("s1", jobs["s1"])) > s1_at_pause + 2, what="s1 kept going")
    pool.command("s1", jobs["s1"], "stop")
    wait_for(lambda: pool.view("s1", jobs["s1"]).status == "stopped", what="stop")
    pool.command("s0", jobs["s0"], "resume")
    wait_for(lambda: epoch(pool.view("s0", jobs["s0"])) > held + 3, what="resumed")
    for s, j in jobs.items():
        pool.command(s, j, "stop")
    for s, j in jobs.items():
        wait_for(lambda s=s, j=j: pool.view(s, j).status == "stopped", what=f"{s} stopped")
        assert pool.view(s, j).result["epochs"] >= 2
    wait_for(lambda: pool.stats()["grouped_jobs"] == 0, what="groups emptied")


def test_a_failing_group_job_fails_alone(pool: JobManager) -> None:
    good = [pool.submit(f"g{i}", {"epochs": 30, "dt": 0.01}, G + "tick") for i in range(3)]
    bad = pool.submit("bad", {}, G + "fail_soon")
    wait_for(lambda: pool.view("bad", bad).status == "failed", timeout=30.0, what="the failing job")
    assert "this group job breaks" in pool.view("bad", bad).error
    for i, j in enumerate(good):
        wait_for(lambda i=i, j=j: pool.view(f"g{i}", j).status == "finished", timeout=30.0, what="the others")
        assert pool.view(f"g{i}", j).result["epochs"] == 30


def test_a_group_job_over_its_cpu_budget_fails_alone(pool: JobManager) -> None:
    other = pool.submit("other", {"epochs": 60, "dt": 0.02}, G + "tick")
    wait_for(lambda: epoch(pool.view("other", other)) >= 1, timeout=30.0, what="the other job")
    hog = pool.submit("hog", {}, G + "spin_between_gates", budget=JobBudget(cpu_seconds=0.5, memory_mb=1e9))
    wait_for(lambda: pool.view("hog", hog).status == "failed", timeout=60.0, what="the CPU hog failed")
    assert "more than 0 CPU-seconds" in pool.view("hog", hog).error  # the budget message, "{:,.0f}" of 0.5
    wait_for(lambda: pool.view("other", other).status == "finished", timeout=60.0, what="the other job")
    assert pool.view("other", other).result["epochs"] == 60


def test_a_killed_group_worker_fails_its_jobs_with_a_reason_and_the_pool_recovers(pool: JobManager) -> None:
    jobs = [pool.submit(f"k{i}", {"dt": 0.01}, G + "tick") for i in range(4)]
    for i, j in enumerate(jobs):
        wait_for(lambda i=i, j=j: epoch(pool.view(f"k{i}", j)) >= 1, timeout=30.0, what="running")
    victim = pool.view("k0", jobs[0]).snapshot["pid"]
    in_victim = [(f"k{i}", j) for i, j in enumerate(jobs) if pool.view(f"k{i}", j).snapshot["pid"] == victim]
    survivors = [(f"k{i}", j) for i, j in enumerate(jobs) if (f"k{i}", j) not in in_victim]
    os.kill(victim, signal.SIGKILL)
    for s, j in in_victim:
        wait_for(lambda s=s, j=j: pool.view(s, j).status == "failed", timeout=30.0, what="the killed group")
        assert "worker process died" in pool.view(s, j).error and "SIGKILL" in pool.view(s, j).error
    for s, j in survivors:
        assert pool.view(s, j).status == "running"
    wait_for(lambda: pool.stats()["workers_ready"] == 2, timeout=60.0, what="a replacement worker")
    after = pool.submit("after", {"epochs": 3}, G + "tick")
    wait_for(lambda: pool.view("after", after).status == "finished", timeout=30.0, what="the next job")


def test_a_job_that_needs_its_own_worker_waits_for_one_while_group_jobs_join_groups(pool: JobManager) -> None:
    group = [pool.submit(f"a{i}", {"dt": 0.01}, G + "tick") for i in range(2)]  # one group on each worker
    for i, j in enumerate(group):
        wait_for(lambda i=i, j=j: epoch(pool.view(f"a{i}", j)) >= 1, timeout=30.0, what="group jobs")
    alone = pool.submit("alone", {"dt": 0.01}, J + "count")  # not groupable: no idle worker, so it queues
    late = pool.submit("late", {"dt": 0.01}, G + "tick")  # but this one can still join a group
    wait_for(lambda: epoch(pool.view("late", late)) >= 1, timeout=30.0, what="the late group job")
    assert pool.view("alone", alone).status == "queued"
    pool.command("a0", group[0], "stop")
    pool.command("a1", group[1], "stop")
    pool.command("late", late, "stop")
    wait_for(lambda: epoch(pool.view("alone", alone)) >= 1, timeout=30.0, what="the lone job on a freed worker")


def test_only_fast_path_playground_runs_are_grouped() -> None:
    from nnlib.config import RunConfig

    base = RunConfig()
    assert groupable("nnlib.train.job:run_training", {"config": base.to_dict()})
    assert not groupable("nnlib.train.job:run_training", {"config": base.replace(model={"dropout": 0.2}).to_dict()})
    assert not groupable("nnlib.train.job:run_training",
                         {"config": base.replace(model={"batch_norm": True}).to_dict()})  # an old link's field
    assert not groupable("nnlib.train.job:run_training", {"config": base.replace(model={"norm": "layer"}).to_dict()})
    assert not groupable("tests.jobs.sample_jobs:count", {"config": base.to_dict()})
    assert not groupable("nnlib.train.job:run_training", {"config": {"model": {"hidden": "nonsense"}}})
