"""Where the job pool's workers run: local spawned processes (the default) or actors on a Ray cluster.

The JobManager only needs "a worker that takes a job payload and streams messages back": a process-like handle
(pid, sentinel, kill, terminate, join, exitcode, is_alive) and a Connection. The local backend is pool.py's own
spawn; the Ray backend (ray_backend.py) gives the same pair for an actor on another machine. Choosing it never
imports ray unless it is configured.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

BACKENDS = ("local", "ray")


def backend_from_env(env: Mapping[str, str] | None = None) -> str:
    """"ray" when NNLIB_BACKEND=ray, or RAY_ADDRESS is set and NNLIB_BACKEND does not say "local"; else "local"."""
    env = os.environ if env is None else env
    chosen = env.get("NNLIB_BACKEND", "").strip().lower()
    if chosen and chosen not in BACKENDS:
        raise ValueError(f"NNLIB_BACKEND must be one of {BACKENDS}, got {chosen!r}")
    if chosen:
        return chosen
    return "ray" if env.get("RAY_ADDRESS", "").strip() else "local"
