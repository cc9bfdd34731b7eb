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


def job_manager() -> JobManager:
    global _manager
    with _lock:
        if _manager is None:
            _manager = JobManager(
                max_workers=int(os.environ.get("NNLIB_WORKERS", os.cpu_count() or 2)),
                torch_threads=int(os.environ.get("NNLIB_TORCH_THREADS", 1)),
                session_timeout=float(os.environ.get("NNLIB_SESSION_TIMEOUT", 900)),
                max_jobs_per_session=int(os.environ.get("NNLIB_JOBS_PER_SESSION", 2)),
                max_jobs_per_person=int(os.environ.get("NNLIB_JOBS_PER_PERSON", 2)),
                idle_stop=float(os.environ.get("NNLIB_IDLE_STOP", 30)),
                result_ttl=float(os.environ.get("NNLIB_RESULT_TTL", 600)),
            )
        return _manager
