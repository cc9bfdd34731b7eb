"""`/nnlive/metrics`: the server's load in Prometheus text format, for a teacher's or an admin's dashboard.

Queue length, jobs by state and backend, each worker's CPU time and memory, sessions, and live-view requests per
second. Off unless switched on, because a server bound to 0.0.0.0 would otherwise tell anyone how busy it is:
NNLIB_METRICS=1 opens it to whoever reaches the server; NNLIB_METRICS_TOKEN=<secret> opens it to requests with
`Authorization: Bearer <secret>` (Prometheus' `authorization` setting) and refuses the rest with 401.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
from collections.abc import Callable
from typing import Any

METRICS_PATH = "/nnlive/metrics"
RATE_WINDOW_S = 10  # live requests per second are averaged over this many whole seconds


class RequestRate:
    """Counts requests (the live route's polls) in one-second buckets: a total and a recent per-second rate."""

    def __init__(self, window_s: int = RATE_WINDOW_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s, self.clock = window_s, clock
        self.total = 0
        self._buckets: dict[int, int] = {}
        self._lock = threading.Lock()

    def hit(self) -> None:
        """One request now."""
        second = int(self.clock())
        with self._lock:
            self.total += 1
            self._buckets[second] = self._buckets.get(second, 0) + 1
            if len(self._buckets) > 2 * self.window_s:
                for old in [s for s in self._buckets if s <= second - self.window_s]:
                    del self._buckets[old]

    def per_second(self) -> float:
        """Requests per second over the last `window_s` whole seconds (the current, partial one left out)."""
        now = int(self.clock())
        with self._lock:
            return sum(n for s, n in self._buckets.items() if now - self.window_s <= s < now) / self.window_s


LIVE_REQUESTS = RequestRate()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def exposition(stats: dict[str, Any], usage: list[tuple[int, bool, Any]], live: RequestRate) -> str:
    """The Prometheus text exposition of JobManager.stats(), worker_usage() and the live request rate."""
    backend = str(stats.get("backend", "local"))
    lines: list[str] = []

    def metric(name: str, kind: str, doc: str, samples: list[tuple[dict[str, str], float]]) -> None:
        lines.append(f"# HELP {name} {doc}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
            number = str(int(value)) if float(value).is_integer() else f"{float(value):.6g}"  # bytes stay exact
            lines.append(f"{name}{{{label_text}}} {number}" if label_text else f"{name} {number}")

    metric("nnlib_queue_length", "gauge", "Jobs waiting for a free worker.", [({}, stats.get("queued", 0))])
    states = ("queued", "running", "paused", "finished", "stopped", "failed")
    by_state = stats.get("jobs_by_state", {})
    metric("nnlib_jobs", "gauge", "Jobs the server holds, by state and backend.",
           [({"state": s, "backend": backend}, by_state.get(s, 0)) for s in states])
    metric("nnlib_workers", "gauge", "Job workers by condition (configured, alive, ready, engine loaded, busy).",
           [({"condition": c, "backend": backend}, stats.get(key, 0)) for c, key in (
               ("configured", "workers"), ("alive", "workers_alive"), ("ready", "workers_ready"),
               ("engine_loaded", "workers_engine_ok"), ("busy", "busy"))])
    metric("nnlib_worker_startup_failures", "gauge", "Workers that died while starting, in a row.",
           [({}, stats.get("startup_failures", 0))])
    metric("nnlib_worker_cpu_seconds_total", "counter", "CPU time used by each worker process.",
           [({"pid": str(pid), "busy": str(busy).lower()}, u.cpu_seconds) for pid, busy, u in usage if u])
    metric("nnlib_worker_resident_memory_bytes", "gauge", "Resident memory of each worker process.",
           [({"pid": str(pid), "busy": str(busy).lower()}, round(u.rss_mb * 2**20)) for pid, busy, u in usage if u])
    metric("nnlib_sessions", "gauge", "Browser sessions the job pool has heard from (within the session timeout).",
           [({}, stats.get("sessions", 0))])
    metric("nnlib_live_requests_total", "counter", "Polls of the live-view route since the server started.",
           [({}, live.total)])
    metric("nnlib_live_requests_per_second", "gauge",
           f"Polls of the live-view route per second, averaged over the last {live.window_s} s.",
           [({}, round(live.per_second(), 3))])
    return "\n".join(lines) + "\n"


def access(headers: Any, env: dict[str, str] | None = None) -> int:
    """200 if this request may read the metrics, 401 (a token is set and not given), 404 (metrics are off)."""
    env = dict(os.environ) if env is None else env
    token = env.get("NNLIB_METRICS_TOKEN", "")
    if token:
        given = headers.get("authorization", "")
        return 200 if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()) else 401
    return 200 if env.get("NNLIB_METRICS", "0") == "1" else 404


def metrics_text() -> str:
    """The exposition for the process-wide job pool."""
    from ui.services import job_manager

    manager = job_manager()
    return exposition(manager.stats(), manager.worker_usage(), LIVE_REQUESTS)


def routes() -> list[Any]:
    """The Starlette route (registered with the live routes in ui.live.routes)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def metrics(request: Request) -> PlainTextResponse:
        code = access(request.headers)
        if code != 200:
            text = "metrics are off (NNLIB_METRICS=1 or NNLIB_METRICS_TOKEN)" if code == 404 else "unauthorized"
            return PlainTextResponse(text, status_code=code,
                                     headers={"WWW-Authenticate": "Bearer"} if code == 401 else None)
        text = await run_in_threadpool(metrics_text)  # reads /proc and takes the manager's lock: off the loop
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4; charset=utf-8",
                                 headers={"Cache-Control": "no-store"})

    return [Route(METRICS_PATH, metrics)]
