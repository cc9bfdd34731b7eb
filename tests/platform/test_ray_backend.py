"""The Ray backend on a REAL two-node Ray cluster on loopback (started and stopped here): jobs spread over both
nodes, pause/step/resume/stop, a killed Ray worker fails only its job, budgets hold, results equal the local pool's
for the same seed, and the Playground page trains through it while the live route keeps updating."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from functools import partial

import numpy as np
import pytest

import ui.services
from nnlib.config import RunConfig
from nnlib.jobs import JobManager
from nnlib.jobs.backends import backend_from_env
from nnlib.jobs.watchdog import JobBudget
from tests.jobs.test_manager import wait_for as wait_until
from tests.platform.ray_cluster import LocalRayCluster

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
J, R = "tests.jobs.sample_jobs:", "tests.platform.ray_jobs:"


wait_for = partial(wait_until, timeout=120.0)  # workers (and Ray actors) take longer to start than jobs


@pytest.fixture(scope="module")
def ray_pool(cluster: LocalRayCluster) -> Iterator[JobManager]:
    m = JobManager(max_workers=2, preload_torch=False, max_jobs_per_session=4, stop_grace=2.0, backend="ray",
                   ray_address=cluster.address)
    yield m
    m.shutdown()
    import ray

    ray.shutdown()  # this test process's driver connection: the rest of the suite runs without it


@pytest.fixture
def pool(ray_pool: JobManager) -> JobManager:
    """The module's Ray pool with both workers up (a test may have killed one)."""
    wait_for(lambda: ray_pool.stats()["workers_ready"] == 2, what="both Ray workers ready")
    return ray_pool


def epoch(m: JobManager, sid: str, jid: str) -> int:
    return (m.view(sid, jid).snapshot or {}).get("epoch", 0)


def test_the_backend_is_chosen_by_the_environment() -> None:
    assert backend_from_env({}) == "local"
    assert backend_from_env({"RAY_ADDRESS": "10.0.0.5:6379"}) == "ray"
    assert backend_from_env({"RAY_ADDRESS": " "}) == "local"
    assert backend_from_env({"NNLIB_BACKEND": "ray"}) == "ray"
    assert backend_from_env({"NNLIB_BACKEND": "local", "RAY_ADDRESS": "10.0.0.5:6379"}) == "local"
    with pytest.raises(ValueError, match="NNLIB_BACKEND"):
        backend_from_env({"NNLIB_BACKEND": "celery"})


def test_without_ray_configured_ray_is_never_imported() -> None:
    code = ("import sys; from nnlib.jobs import JobManager; m = JobManager(max_workers=1, preload_torch=False); "
            "j = m.submit('s', {}, 'tests.jobs.sample_jobs:whoami'); import time; t = time.time()\n"
            "while m.view('s', j).status != 'finished' and time.time() - t < 60: time.sleep(0.05)\n"
            "print(m.view('s', j).status, m.stats()['backend'], 'ray' in sys.modules); m.shutdown()")
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "NNLIB_BACKEND")}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=root,
                         env=env)
    assert out.stdout.split() == ["finished", "local", "False"], out.stderr


def test_an_unreachable_ray_address_stops_the_start_with_a_sentence() -> None:
    """A RAY_ADDRESS nothing listens on kept the app's start (and first page) hanging in ray.init's retries for
    minutes; now the manager refuses at once and says what to do. Run in a child so the old hang cannot stall the
    suite (it then fails on the child's timeout)."""
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = ("from nnlib.jobs import JobManager\n"
            "try:\n"
            f"    JobManager(max_workers=1, preload_torch=False, backend='ray', ray_address='127.0.0.1:{port}')\n"
            "except RuntimeError as err:\n"
            "    print(type(err).__name__, '|', err)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if k not in ("RAY_ADDRESS", "NNLIB_BACKEND")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90, cwd=root, env=env)
    assert out.stdout.startswith("RayUnreachable | Cannot reach the Ray cluster at 127.0.0.1:"), out.stderr[-2000:]
    assert "unset RAY_ADDRESS" in out.stdout


def test_a_ray_address_that_is_not_host_port_gets_a_sentence() -> None:
    from nnlib.jobs.backends.ray_backend import RayUnreachable, check_reachable

    check_reachable(None)  # Ray decides for itself: not our business
    check_reachable("auto")
    with pytest.raises(RayUnreachable, match="not host:port"):
        check_reachable("my-cluster")


def test_jobs_spread_over_both_nodes(pool: JobManager) -> None:
    import ray

    ids = [pool.submit(f"s{i}", {"hold": 2.0}, R + "where") for i in range(2)]
    wait_for(lambda: all(pool.view(f"s{i}", j).status == "finished" for i, j in enumerate(ids)), what="both done")
    nodes = {pool.view(f"s{i}", j).result["node"] for i, j in enumerate(ids)}
    assert nodes == {n["NodeID"] for n in ray.nodes() if n["Alive"]} and len(nodes) == 2
    assert pool.stats()["backend"] == "ray"


def test_pause_step_resume_stop(pool: JobManager) -> None:
    jid = pool.submit("p", {"dt": 0.02}, J + "count")
    wait_for(lambda: epoch(pool, "p", jid) >= 3, what="running")
    pool.command("p", jid, "pause")
    wait_for(lambda: pool.view("p", jid).status == "paused", what="paused")
    time.sleep(1.0)  # settle: a snapshot in flight may still arrive
    paused_at = epoch(pool, "p", jid)
    time.sleep(1.0)
    assert epoch(pool, "p", jid) == paused_at  # it really holds
    pool.command("p", jid, "step")
    wait_for(lambda: epoch(pool, "p", jid) == paused_at + 1, what="one step")
    pool.command("p", jid, "resume")
    wait_for(lambda: epoch(pool, "p", jid) >= paused_at + 5, what="running again")
    pool.command("p", jid, "stop")
    wait_for(lambda: pool.view("p", jid).status == "stopped", what="stopped")
    assert pool.view("p", jid).result["epochs"] >= paused_at + 5


def test_a_killed_ray_worker_fails_only_its_job(pool: JobManager) -> None:
    a = pool.submit("ka", {"dt": 0.02}, J + "count")
    b = pool.submit("kb", {"dt": 0.02}, J + "count")
    wait_for(lambda: epoch(pool, "ka", a) >= 2 and epoch(pool, "kb", b) >= 2, what="both running")
    victim = pool.view("ka", a).snapshot["pid"]
    assert victim != pool.view("kb", b).snapshot["pid"]
    os.kill(victim, signal.SIGKILL)  # the actor's process, on its (loopback) node
    wait_for(lambda: pool.view("ka", a).status == "failed", what="the killed worker's job failed")
    assert "worker process died" in pool.view("ka", a).error
    survivor = epoch(pool, "kb", b)
    wait_for(lambda: epoch(pool, "kb", b) > survivor + 5, what="the other job keeps training")
    assert pool.view("kb", b).status == "running"
    pool.command("kb", b, "stop")
    wait_for(lambda: pool.view("kb", b).status == "stopped", what="stopped")
    wait_for(lambda: pool.stats()["workers_ready"] == 2, what="a replacement actor")
    c = pool.submit("kc", {}, J + "whoami")  # and the replacement takes jobs
    wait_for(lambda: pool.view("kc", c).status == "finished", what="a job on the replacement")


def test_a_crashing_job_and_a_cpu_budget_end_only_that_job(pool: JobManager) -> None:
    crash = pool.submit("c1", {}, J + "exit_hard")
    burn = pool.submit("c2", {}, J + "burn_cpu", budget=JobBudget(cpu_seconds=1.5, memory_mb=100_000))
    wait_for(lambda: pool.view("c1", crash).status == "failed", what="crash contained")
    wait_for(lambda: pool.view("c2", burn).status == "failed", what="over its CPU budget")
    assert "CPU-seconds" in pool.view("c2", burn).error
    wait_for(lambda: pool.stats()["workers_ready"] == 2, what="replacements")


def _training_payload(seed: int) -> dict:
    cfg = RunConfig().replace(train={"epochs": 25, "until_paused": False, "speed": "fast", "seed": seed})
    return {"config": cfg.to_dict(), "interval": 0.05}


def test_results_equal_the_local_pools_for_the_same_seed(pool: JobManager) -> None:
    local = JobManager(max_workers=1, preload_torch=False)
    try:
        results = []
        for m in (local, pool):
            jid = m.submit("seed", _training_payload(seed=7))
            wait_for(lambda m=m, jid=jid: m.view("seed", jid).status in ("finished", "failed"), timeout=300,
                     what="training done")
            view = m.view("seed", jid)
            assert view.status == "finished", view.error
            results.append(view.result)
    finally:
        local.shutdown()
    here, there = results
    assert here["epochs"] == there["epochs"] == 25
    assert here["weights"].keys() == there["weights"].keys()
    for k in here["weights"]:
        assert np.array_equal(here["weights"][k], there["weights"][k]), k


def test_the_playground_trains_on_ray_and_the_live_route_keeps_updating(
    pool: JobManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from ui import live

    monkeypatch.setattr(ui.services, "_manager", pool)  # the process-wide pool the page and the route use
    page = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "playground.py")
    at = AppTest.from_file(page, default_timeout=120)
    at.query_params["train.epochs"] = "400"
    at.query_params["train.until_paused"] = "false"
    at.run()
    at.button(key="pg.train").click().run()
    assert not at.exception
    job_id = at.session_state["pg.job_cfg"][0]  # what the page submitted (ui.run_controls)
    seen: list[int] = []
    status = ""
    deadline = time.monotonic() + 300
    while status != "finished" and time.monotonic() < deadline:
        code, body = live.snapshot_payload(job_id, seen[-1] if seen else -1, status, "playground", {})
        if code == 200:
            msg = json.loads(body)
            seen.append(msg["seq"])
            status = msg["status"]
        time.sleep(0.05)
    assert status == "finished" and len(seen) >= 3 and seen == sorted(seen)  # several distinct live updates
