"""/nnlive/health answers 200 "ok" only when a real worker process has loaded the engine, 503 with why otherwise."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

import pytest

import ui.services
from nnlib.jobs import JobManager
from tests.async_run import run_async
from tests.jobs.test_manager import wait_for as wait_until
from ui import health_route
from ui.health_route import HEALTH_PATH, health_verdict

pytestmark = pytest.mark.timeout(120)
E = "tests.platform."


wait_for = partial(wait_until, timeout=60.0)  # workers (and Ray actors) take longer to start than jobs


def ask_route() -> tuple[int, str]:
    """Call the registered Starlette endpoint the way the server does."""
    from starlette.requests import Request

    from ui.live import routes

    (route,) = [r for r in routes() if r.path == HEALTH_PATH]  # registered with the app's routes
    scope = {"type": "http", "method": "GET", "path": HEALTH_PATH, "query_string": b"", "headers": [],
             "client": ("127.0.0.1", 5000)}
    response = run_async(route.endpoint(Request(scope)))
    return response.status_code, response.body.decode()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], JobManager]]:
    """Make a real JobManager with the given engine the process-wide one the route asks."""
    made: list[JobManager] = []

    def make(engine: str) -> JobManager:
        m = JobManager(max_workers=1, preload_torch=True, default_fn=E + engine, torch_threads=1)
        made.append(m)
        monkeypatch.setattr(ui.services, "_manager", m)
        return m

    yield make
    for m in made:
        m.shutdown()


def test_ok_once_a_worker_has_loaded_the_engine(serve: Callable[[str], JobManager]) -> None:
    m = serve("engines:run")
    wait_for(lambda: m.stats()["workers_ready"] == 1, what="worker ready")
    assert ask_route() == (200, "ok")
    jid = m.submit("s", {})
    wait_for(lambda: m.view("s", jid).status == "finished", what="job finished")
    assert m.view("s", jid).result["warmed"] is True


def test_503_when_the_workers_cannot_import_the_engine(serve: Callable[[str], JobManager]) -> None:
    m = serve("engine_missing:run")
    wait_for(lambda: m.stats()["workers_ready"] == 1, what="worker ready")  # up, but without an engine
    code, text = ask_route()
    assert code == 503
    assert "could not load the training engine" in text and "libtorch_cuda.so" in text


def test_503_when_no_worker_gets_up(serve: Callable[[str], JobManager]) -> None:
    m = serve("engine_crash:run")
    wait_for(lambda: m.stats()["startup_failures"] >= 1, what="a failed worker start")
    code, text = ask_route()
    assert code == 503 and "no job worker is ready" in text and "failed to start" in text


def test_503_while_shutting_down_and_when_the_pool_cannot_be_asked(
    serve: Callable[[str], JobManager], monkeypatch: pytest.MonkeyPatch
) -> None:
    m = serve("engines:run")
    m.shutdown()
    assert ask_route() == (503, "the job pool is shutting down")

    def broken() -> JobManager:
        raise OSError("no more processes")

    monkeypatch.setattr(ui.services, "job_manager", broken)
    code, text = health_route.health_answer()
    assert code == 503 and "no more processes" in text


def test_verdict_without_preloading_is_not_ok() -> None:
    stats = {"workers": 1, "workers_alive": 1, "workers_ready": 1, "workers_engine_ok": 0, "engine_error": None}
    code, text = health_verdict(stats)
    assert code == 503 and "preloading is off" in text
