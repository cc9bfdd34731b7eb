"""JobManager end to end with real spawned workers (torch-free sample jobs keep it fast)."""

from __future__ import annotations

import os
import signal
import sys
import time
import types
from collections.abc import Callable, Iterator

import pytest

from nnlib.jobs import JobLimitError, JobManager, JobNotFound, JobView

pytestmark = pytest.mark.timeout(60)

J = "tests.jobs.sample_jobs:"


def wait_for(pred: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def epoch(view: JobView) -> int:
    return (view.snapshot or {}).get("epoch", 0)


def settled(m: JobManager, sid: str, jid: str, quiet: float = 0.2) -> int:
    """The epoch counter once it has stopped moving for `quiet` seconds."""
    last, since = epoch(m.view(sid, jid)), time.monotonic()
    deadline = since + 5
    while time.monotonic() < deadline:
        time.sleep(0.02)
        now = epoch(m.view(sid, jid))
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now
    raise AssertionError("counter never settled")


def ready(m: JobManager) -> JobManager:
    """Workers announce themselves asynchronously; tests about queue order need the whole pool up."""
    wait_for(lambda: m.stats()["workers_ready"] == m.max_workers, timeout=60.0, what="workers ready")
    return m


@pytest.fixture
def manager() -> Iterator[JobManager]:
    m = JobManager(max_workers=2, preload_torch=False, max_jobs_per_session=3, stop_grace=1.0)
    yield ready(m)
    m.shutdown()


def test_parallel_up_to_pool_size_then_fifo_queue(manager: JobManager) -> None:
    a = manager.submit("s1", {"dt": 0.01}, J + "count")
    b = manager.submit("s1", {"dt": 0.01}, J + "count")
    c = manager.submit("s2", {"epochs": 3}, J + "count")
    d = manager.submit("s2", {"epochs": 3}, J + "count")
    assert c != d and len(c) >= 20
    # both workers advance their own job at the same time
    wait_for(lambda: epoch(manager.view("s1", a)) > 3 and epoch(manager.view("s1", b)) > 3, what="parallel")
    pids = {manager.view("s1", a).snapshot["pid"], manager.view("s1", b).snapshot["pid"]}
    assert len(pids) == 2
    vc, vd = manager.view("s2", c), manager.view("s2", d)
    assert (vc.status, vc.queue_position, vd.queue_position) == ("queued", 1, 2)
    assert manager.stats()["queued"] == 2 and manager.stats()["busy"] == 2
    manager.command("s1", a, "stop")
    wait_for(lambda: manager.view("s2", c).status == "finished", what="c to run once a worker frees up")
    assert manager.view("s1", a).status == "stopped"
    assert manager.view("s2", c).result["epochs"] == 3
    wait_for(lambda: manager.view("s2", d).status == "finished", what="d")
    assert [v.job_id for v in manager.jobs("s2")] == [c, d]
    # workers are reused, not spawned per job
    assert manager.view("s2", d).result["pid"] in pids


def test_pause_step_resume_stop(manager: JobManager) -> None:
    jid = manager.submit("s", {"dt": 0.01}, J + "count")
    wait_for(lambda: epoch(manager.view("s", jid)) >= 3, what="progress")
    manager.command("s", jid, "pause")
    assert manager.view("s", jid).status == "paused"
    frozen = settled(manager, "s", jid)
    manager.command("s", jid, "step")
    wait_for(lambda: epoch(manager.view("s", jid)) == frozen + 1, what="one step")
    assert settled(manager, "s", jid) == frozen + 1
    assert manager.view("s", jid).status == "paused"
    manager.command("s", jid, "resume")
    assert manager.view("s", jid).status == "running"
    wait_for(lambda: epoch(manager.view("s", jid)) >= frozen + 5, what="resumed progress")
    seq = manager.view("s", jid).snapshot_seq
    assert seq >= frozen + 5
    manager.command("s", jid, "stop")
    wait_for(lambda: manager.view("s", jid).status == "stopped", timeout=0.5, what="a quick stop")
    view = manager.view("s", jid)
    assert view.result["epochs"] == epoch(view) and view.finished_at >= view.started_at >= view.submitted_at


def test_queued_job_can_be_stopped_or_start_paused(manager: JobManager) -> None:
    blockers = [manager.submit("a", {}, J + "count") for _ in range(2)]
    wait_for(lambda: manager.stats()["busy"] == 2, what="both workers busy")
    q1 = manager.submit("b", {"epochs": 5}, J + "count")
    q2 = manager.submit("b", {"epochs": 5}, J + "count")
    manager.command("b", q1, "stop")
    assert manager.view("b", q1).status == "stopped" and manager.view("b", q2).queue_position == 1
    manager.command("b", q2, "pause")
    manager.command("a", blockers[0], "stop")
    wait_for(lambda: manager.view("b", q2).status == "paused", what="q2 dispatched paused")
    time.sleep(0.1)
    assert epoch(manager.view("b", q2)) == 0
    manager.command("b", q2, "resume")
    wait_for(lambda: manager.view("b", q2).status == "finished", what="q2 finished")


def test_raising_job_fails_and_worker_carries_on(manager: JobManager) -> None:
    bad = manager.submit("s", {}, J + "boom")
    wait_for(lambda: manager.view("s", bad).status == "failed", what="failure")
    assert manager.view("s", bad).error == "ValueError: boom"
    missing = manager.submit("s", {}, "tests.jobs.sample_jobs:nope")
    wait_for(lambda: manager.view("s", missing).status == "failed", what="failure")
    assert manager.view("s", missing).error.startswith("AttributeError")
    ok = manager.submit("s", {"x": 1}, J + "whoami")
    wait_for(lambda: manager.view("s", ok).status == "finished", what="next job")
    assert manager.view("s", ok).result["echo"] == {"x": 1}
    assert manager.stats()["workers_alive"] == 2


def test_dead_worker_fails_only_its_job(manager: JobManager) -> None:
    survivor = manager.submit("s", {"epochs": 60, "dt": 0.01}, J + "count")
    crash = manager.submit("s", {}, J + "exit_hard")
    wait_for(lambda: manager.view("s", crash).status == "failed", what="os._exit job failed")
    assert "worker process died (exit code 3" in manager.view("s", crash).error
    victim = manager.submit("s", {"dt": 0.01}, J + "count")
    wait_for(lambda: epoch(manager.view("s", victim)) >= 1, what="victim running on the replacement worker")
    os.kill(manager.view("s", victim).snapshot["pid"], signal.SIGKILL)
    wait_for(lambda: manager.view("s", victim).status == "failed", what="SIGKILL job failed")
    assert "exit code -9, killed by SIGKILL" in manager.view("s", victim).error
    wait_for(lambda: manager.view("s", survivor).status == "finished", what="survivor finished")
    assert manager.view("s", survivor).result["epochs"] == 60
    after = manager.submit("s", {}, J + "whoami")
    wait_for(lambda: manager.view("s", after).status == "finished", what="a job after the crashes")
    wait_for(lambda: manager.stats()["workers_ready"] == 2, what="pool back to full size")


def test_job_ignoring_stop_is_killed_after_grace(manager: JobManager) -> None:
    jid = manager.submit("s", {}, J + "ignore_stop")
    wait_for(lambda: manager.view("s", jid).snapshot, what="started")
    manager.command("s", jid, "stop")
    assert manager.view("s", jid).status == "running"
    wait_for(lambda: manager.view("s", jid).status == "stopped", timeout=5, what="forced stop")
    assert manager.view("s", jid).error is None
    nxt = manager.submit("s", {}, J + "whoami")
    wait_for(lambda: manager.view("s", nxt).status == "finished", what="pool still works")


def test_sessions_are_isolated(manager: JobManager) -> None:
    jid = manager.submit("alice", {"epochs": 1}, J + "count")
    errors = []
    for call in (
        lambda s, j: manager.view(s, j),
        lambda s, j: manager.command(s, j, "stop"),
        lambda s, j: manager.remove(s, j),
    ):
        for sid, job in (("mallory", jid), ("alice", "not-a-job")):
            with pytest.raises(JobNotFound) as exc:
                call(sid, job)
            errors.append(str(exc.value))
    assert len(set(errors)) == 1  # another session's job looks exactly like a nonexistent one
    assert manager.jobs("mallory") == []
    found = manager.find(jid)
    assert found is not None and found[0] == "alice" and found[1].job_id == jid
    assert manager.find("nope") is None
    wait_for(lambda: manager.view("alice", jid).status == "finished", what="alice's job unaffected")
    manager.remove("alice", jid)
    with pytest.raises(JobNotFound):
        manager.view("alice", jid)


def test_limits(manager: JobManager) -> None:
    ids = [manager.submit("s", {}, J + "count") for _ in range(3)]
    with pytest.raises(JobLimitError, match=r"already have 3 jobs .*limit 3 per session"):
        manager.submit("s", {}, J + "count")
    manager.remove("s", ids[0])
    ids.append(manager.submit("s", {"epochs": 1}, J + "count"))
    with pytest.raises(TypeError):
        manager.submit("t", {"f": lambda: 1}, J + "count")
    with pytest.raises(ValueError):
        manager.command("s", ids[1], "explode")


def test_global_queue_bound() -> None:
    m = ready(JobManager(max_workers=1, preload_torch=False, max_queued_total=1))
    try:
        m.submit("a", {}, J + "count")
        wait_for(lambda: m.stats()["busy"] == 1, what="worker busy")
        m.submit("b", {}, J + "count")
        with pytest.raises(JobLimitError, match="busy"):
            m.submit("c", {}, J + "count")
    finally:
        m.shutdown()


def test_abandoned_sessions_are_cleaned_up() -> None:
    m = ready(JobManager(max_workers=1, preload_torch=False, session_timeout=0.5))
    try:
        gone = m.submit("gone", {}, J + "count")
        m.command("gone", gone, "pause")  # a paused job holds its worker until the janitor frees it
        wait_for(lambda: m.stats()["busy"] == 1, what="worker busy")
        kept = m.submit("alive", {"epochs": 2}, J + "count")
        assert m.view("alive", kept).queue_position == 1

        def alive_finished() -> bool:
            m.touch("alive")
            return m.view("alive", kept).status == "finished"

        wait_for(alive_finished, what="abandoned job stopped and queued job run")
        with pytest.raises(JobNotFound):
            m.view("gone", gone)
        assert m.find(gone) is None and m.jobs("gone") == []
        wait_for(lambda: m.stats()["jobs_total"] == 0, what="finished job of an expired session forgotten")
    finally:
        m.shutdown()


def test_shutdown_terminates_workers() -> None:
    m = JobManager(max_workers=2, preload_torch=False)
    jid = m.submit("s", {}, J + "ignore_stop")
    wait_for(lambda: m.stats()["workers_ready"] == 2 and m.view("s", jid).snapshot, what="ready")
    procs = [w.process for w in m._workers]
    m.shutdown()
    assert not any(p.is_alive() for p in procs)
    assert m.view("s", jid).status == "stopped"
    with pytest.raises(RuntimeError):
        m.submit("s", {}, J + "count")
    m.shutdown()  # idempotent


def test_workers_never_rerun_the_parents_main_script(tmp_path, monkeypatch) -> None:
    """Streamlit makes the page script sys.modules["__main__"]; spawn must not re-execute it in workers."""
    script = tmp_path / "page.py"
    script.write_text("raise SystemExit(7)  # would kill every worker at start-up if re-run\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    m = ready(JobManager(max_workers=1, preload_torch=False))
    try:
        assert sys.modules["__main__"] is fake_main
        victim = m.submit("s", {}, J + "exit_hard")  # forces a respawn while the fake main is installed
        wait_for(lambda: m.view("s", victim).status == "failed", what="crash")
        after = m.submit("s", {}, J + "whoami")
        wait_for(lambda: m.view("s", after).status == "finished", what="job on the replacement worker")
        assert m.stats()["startup_failures"] == 0
    finally:
        m.shutdown()


def test_a_jobs_plan_outlives_its_payload(manager: JobManager) -> None:
    # the plan (epochs before the first snapshot) was read from the payload, which the manager lets go once a worker
    # has the job: a running CNN run's status line fell back to "Epoch 0 / 0" (the full suite caught it)
    plan = {"epochs": 4, "until_paused": False, "limit": None}
    jid = manager.submit("s", {"dt": 0.01, "plan": plan}, J + "count")
    wait_for(lambda: epoch(manager.view("s", jid)) >= 1, what="running")
    assert manager.view("s", jid).plan == plan
    manager.command("s", jid, "stop")
