"""The process-wide JobManager, shared by every browser session and by the live-snapshot HTTP route.

A plain lazily-created singleton (not st.cache_resource) so the Starlette route, which runs outside any script
run, reaches the very same object as the pages.
"""

from __future__ import annotations

import os
import threading

from nnlib.jobs.manager import JobManager

_lock = threading.Lock()
_manager: JobManager | None = None
_warm: threading.Thread | None = None


def job_manager() -> JobManager:
    global _manager
    with _lock:
        if _manager is None:
            _manager = JobManager(
                max_workers=int(os.environ.get("NNLIB_WORKERS", os.cpu_count() or 2)),
                torch_threads=int(os.environ.get("NNLIB_TORCH_THREADS", 1)),
                session_timeout=float(os.environ.get("NNLIB_SESSION_TIMEOUT", 900)),
                max_jobs_per_session=int(os.environ.get("NNLIB_JOBS_PER_SESSION", 2)),
            )
        return _manager


def install_manager(manager: JobManager | None) -> JobManager | None:
    """Swap the shared manager (tests use a 1-worker one); returns the previous one, which the caller owns."""
    global _manager
    with _lock:
        old, _manager = _manager, manager
    return old


def warm_up() -> None:
    """Import torch and build one untrained preview in a background thread at server start.

    The Playground draws the untrained network of every setup; the first such preview imports torch and, through
    torch.optim, torch._dynamo (~10 s on this kind of machine). Paying it while the server starts means the
    first student to open the page does not wait for it.
    """
    global _warm

    def run() -> None:
        try:
            from nnlib.config import RunConfig
            from nnlib.inspect.snapshot import playground_snapshot
            from nnlib.train.trainer import Trainer

            playground_snapshot(Trainer(RunConfig(), fast=False), False)
        except Exception:  # noqa: BLE001 - only a speed-up: the page does the same work on demand
            pass

    with _lock:
        if _warm is None:
            _warm = threading.Thread(target=run, name="nnlib-warm-up", daemon=True)
            _warm.start()
