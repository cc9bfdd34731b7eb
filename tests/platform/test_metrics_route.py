"""/nnlive/metrics: Prometheus text from a real job pool, a per-second live request rate, and who may read it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

import ui.services
from nnlib.jobs import JobManager
from tests.async_run import run_async
from ui import metrics_route
from ui.metrics_route import METRICS_PATH, RequestRate, access, exposition

pytestmark = pytest.mark.timeout(120)
SAMPLE = re.compile(r'^[a-z_]+(\{([a-z_]+="[^"]*",?)*\})? -?[0-9.e+]+$')


def wait_for(pred, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[JobManager]:
    m = JobManager(max_workers=2, preload_torch=False)
    monkeypatch.setattr(ui.services, "_manager", m)
    wait_for(lambda: m.stats()["workers_ready"] == 2)
    yield m
    m.shutdown()


def value(text: str, sample: str) -> float:
    (line,) = [ln for ln in text.splitlines() if ln.startswith(sample + " ")]
    return float(line.rsplit(" ", 1)[1])


def endpoint_answer(headers: list[tuple[bytes, bytes]]) -> tuple[int, str]:
    from starlette.requests import Request

    from ui.live import routes

    (route,) = [r for r in routes() if r.path == METRICS_PATH]
    scope = {"type": "http", "method": "GET", "path": METRICS_PATH, "query_string": b"", "headers": headers,
             "client": ("10.1.2.3", 5000)}
    response = run_async(route.endpoint(Request(scope)))
    return response.status_code, response.body.decode()


def test_jobs_workers_and_sessions_of_a_real_pool(manager: JobManager, monkeypatch: pytest.MonkeyPatch) -> None:
    done = manager.submit("alice", {"epochs": 2}, "tests.jobs.sample_jobs:count")
    wait_for(lambda: manager.view("alice", done).status == "finished")
    manager.submit("bob", {"dt": 0.05}, "tests.jobs.sample_jobs:count")
    manager.submit("bob", {}, "tests.jobs.sample_jobs:ignore_stop")
    manager.submit("carol", {}, "tests.jobs.sample_jobs:count")  # two workers, three jobs: one waits
    wait_for(lambda: manager.stats()["busy"] == 2)
    monkeypatch.setenv("NNLIB_METRICS", "1")
    code, text = endpoint_answer([])
    assert code == 200
    for line in text.splitlines():
        assert line.startswith("# ") or SAMPLE.match(line), line
    assert value(text, "nnlib_queue_length") == 1
    assert value(text, 'nnlib_jobs{state="finished",backend="local"}') == 1
    assert value(text, 'nnlib_jobs{state="running",backend="local"}') == 2
    assert value(text, 'nnlib_jobs{state="queued",backend="local"}') == 1
    assert value(text, 'nnlib_workers{condition="busy",backend="local"}') == 2
    assert value(text, "nnlib_sessions") == 3
    pids = {pid for pid, _, _ in manager.worker_usage()}
    memory = [ln for ln in text.splitlines() if ln.startswith("nnlib_worker_resident_memory_bytes{")]
    assert {re.search(r'pid="(\d+)"', ln).group(1) for ln in memory} == {str(p) for p in pids}
    assert all(float(ln.rsplit(" ", 1)[1]) > 1e6 for ln in memory)  # a python process holds megabytes


def test_live_polls_are_counted_per_second() -> None:
    now = [100.2]
    rate = RequestRate(window_s=10, clock=lambda: now[0])
    for _ in range(5):
        rate.hit()
    now[0] = 101.5
    for _ in range(3):
        rate.hit()
    now[0] = 102.0
    assert rate.per_second() == pytest.approx(0.8) and rate.total == 8
    now[0] = 111.9  # second 100 has left the window
    assert rate.per_second() == pytest.approx(0.3)
    text = exposition({}, [], rate)
    assert value(text, "nnlib_live_requests_total") == 8
    assert value(text, "nnlib_live_requests_per_second") == pytest.approx(0.3)


def test_the_live_route_feeds_the_counter(manager: JobManager, monkeypatch: pytest.MonkeyPatch) -> None:
    from starlette.requests import Request

    from ui import live

    before = metrics_route.LIVE_REQUESTS.total
    scope = {"type": "http", "method": "GET", "path": f"{live.PREFIX}/snap/nope", "query_string": b"hold=0",
             "headers": [], "client": ("10.0.0.7", 5000), "path_params": {"job_id": "nope"}}
    answer = run_async(live.routes()[0].endpoint(Request(scope)))
    assert answer.status_code == 404 and metrics_route.LIVE_REQUESTS.total == before + 1


def test_off_unless_switched_on_and_a_token_guards_it(manager: JobManager, monkeypatch: pytest.MonkeyPatch) -> None:
    assert access({}, {}) == 404 and access({}, {"NNLIB_METRICS": "0"}) == 404
    assert access({}, {"NNLIB_METRICS": "1"}) == 200
    guarded = {"NNLIB_METRICS": "1", "NNLIB_METRICS_TOKEN": "s3cret"}
    assert access({}, guarded) == 401
    assert access({"authorization": "Bearer wrong"}, guarded) == 401
    assert access({"authorization": "Bearer s3cret"}, guarded) == 200
    monkeypatch.delenv("NNLIB_METRICS", raising=False)
    monkeypatch.delenv("NNLIB_METRICS_TOKEN", raising=False)
    assert endpoint_answer([])[0] == 404
    monkeypatch.setenv("NNLIB_METRICS_TOKEN", "s3cret")
    assert endpoint_answer([])[0] == 401
    code, text = endpoint_answer([(b"authorization", b"Bearer s3cret")])
    assert code == 200 and "nnlib_queue_length 0" in text
