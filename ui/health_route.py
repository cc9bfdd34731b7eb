"""`/nnlive/health`: a health answer that means the server can train, not only that Streamlit's web server is up.

Streamlit's own `/_stcore/health` says "ok" as soon as the web server answers, even when every training run would
fail (e.g. torch cannot load its native libraries in the worker processes). This route asks the job pool instead:
200 "ok" only when at least one worker is up and its warm-up imported the engine and trained a tiny run; 503 with
the reason otherwise. The container's HEALTHCHECK probes it.
"""

from __future__ import annotations

from typing import Any

HEALTH_PATH = "/nnlive/health"


def health_verdict(stats: dict[str, Any]) -> tuple[int, str]:
    """(HTTP status, one-line reason) from JobManager.stats(): 200 "ok" only if a worker has loaded the engine."""
    if stats.get("closed"):
        return 503, "the job pool is shutting down"
    if stats.get("workers_ready", 0) == 0:
        return 503, (f"no job worker is ready yet ({stats.get('workers_alive', 0)} of {stats.get('workers', 0)} "
                     f"starting, {stats.get('startup_failures', 0)} failed to start in a row)")
    if stats.get("workers_engine_ok", 0) == 0:
        why = stats.get("engine_error") or "no worker has loaded it (engine preloading is off)"
        return 503, f"the job workers could not load the training engine: {why}"
    return 200, "ok"


def health_answer() -> tuple[int, str]:
    """The verdict for the process-wide job pool; any failure to ask it is itself a 503 with the reason."""
    try:
        from ui.services import job_manager

        return health_verdict(job_manager().stats())
    except Exception as e:  # noqa: BLE001 - a health probe must answer, never raise
        return 503, f"the job pool could not be asked ({type(e).__name__}: {e})"


def routes() -> list[Any]:
    """The Starlette route (registered with the live routes in ui.live.routes)."""
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def health(request: Request) -> PlainTextResponse:
        code, text = await run_in_threadpool(health_answer)  # the manager's lock is never taken on the loop
        return PlainTextResponse(text, status_code=code, headers={"Cache-Control": "no-store"})

    return [Route(HEALTH_PATH, health)]
