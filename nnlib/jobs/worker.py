"""Main loop of one pool process: runs jobs one at a time, so a crash or runaway job never hurts the server --
or, for small-MLP jobs, hosts a group of them at once (`nnlib.jobs.batched.GroupHost`).

Only stdlib imports at module level: a spawned worker starts in ~0.1 s unless it is asked to preload torch.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from nnlib.jobs.control import JobControl

_THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def resolve(fn_path: str) -> Callable[..., Any]:
    """Import "package.module:function" (attribute paths like "mod:Class.method" work too)."""
    module_name, sep, attr = fn_path.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"a job function must be given as 'package.module:function', got {fn_path!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{fn_path!r} is not callable")
    return obj


def limit_threads(torch_threads: int, import_torch: bool) -> None:
    """Cap BLAS/torch threads so max_workers processes share the cores instead of oversubscribing them."""
    for var in _THREAD_VARS:
        os.environ[var] = str(torch_threads)
    if import_torch:
        try:
            import torch  # noqa: F401  (preloaded so the first epoch does not pay the ~4 s import)
        except ImportError:
            return
    torch_mod = sys.modules.get("torch")
    if torch_mod is not None:
        torch_mod.set_num_threads(torch_threads)


def warm_up(fn_path: str | None) -> str | None:
    """Call the default job module's optional `warmup()` (imports, compiled kernels) before the first job, so a
    student's first Train does not wait for it. Returns why the engine could not load (None: it did), which the
    "ready" message carries to the manager, so a health check can tell a pool whose every run would fail."""
    if not fn_path:
        return None
    try:
        module = importlib.import_module(fn_path.partition(":")[0])
        if callable(getattr(module, "warmup", None)):
            module.warmup()
        from nnlib.train.batched_kernel import warmup as warm_batched  # the loop a group worker's epochs run in

        warm_batched()
        from nnlib.train.batched_burst import warmup as warm_bursts  # many epochs of a group's jobs per call

        warm_bursts()
    except BaseException as e:  # noqa: BLE001 - a failed warm-up must not kill the worker (an OSError of a
        traceback.print_exc()  # missing native library, a SystemExit from a broken import alike)
        return f"{type(e).__name__}: {e}"
    return None


def worker_main(
    conn: Connection, project_root: str, torch_threads: int, preload_torch: bool, min_interval: float,
    warmup_fn: str | None = None,
) -> None:
    """Process entry point: announce readiness, then take ("job", ...) messages until told to exit."""
    if threading.current_thread() is threading.main_thread():  # (a Ray actor runs this loop in a thread)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's business; it shuts us down
    if project_root not in sys.path:
        sys.path.insert(0, project_root)
    limit_threads(torch_threads, preload_torch)
    engine_error = warm_up(warmup_fn)
    try:
        conn.send(("ready", os.getpid(), engine_error))
    except OSError:
        return
    inbox: deque[tuple] = deque()
    while True:
        try:
            msg = inbox.popleft() if inbox else conn.recv()
        except (EOFError, OSError):
            return  # the manager is gone
        if msg[0] == "exit":
            return
        if msg[0] == "gjob":  # the first job of a group: host it (and the ones that join) until all have ended
            from nnlib.jobs.batched import GroupHost

            host = GroupHost(conn, torch_threads, min_interval)
            keep_going = host.serve(msg)
            inbox.extend(host.leftover)
            if not keep_going:
                return
            continue
        if msg[0] != "job":
            continue  # a command for a job that already ended
        _, job_id, fn_path, payload, paused = msg
        ctl = JobControl(conn, job_id, paused=paused, min_interval=min_interval)
        if not _run_one(conn, ctl, fn_path, payload, torch_threads):
            return
        inbox.extend(ctl.deferred)
        if ctl.exit_requested:
            return


def _run_one(conn: Connection, ctl: JobControl, fn_path: str, payload: dict, torch_threads: int) -> bool:
    """Run one job and report how it ended; False if the manager has gone away."""
    limit_threads(torch_threads, import_torch=False)  # a previous job may have changed it
    result: Any = None
    error: str | None = None
    try:
        result = resolve(fn_path)(payload, ctl)
        status = "stopped" if ctl.stop_requested else "finished"
    except BaseException as e:  # noqa: BLE001 - anything the job does must end as a "failed" job, not a dead worker
        status, error = "failed", f"{type(e).__name__}: {e}"
        traceback.print_exc()
    try:
        ctl.flush()  # a state the job offered but did not send (the job sends its final state itself)
    except Exception as e:  # noqa: BLE001 - e.g. an unpicklable snapshot
        if status != "failed":  # keep the job's own error: it says more than the snapshot's
            status, error = "failed", f"the last snapshot could not be sent ({type(e).__name__}: {e})"
    try:
        conn.send(("done", ctl.job_id, status, result, error))
    except (EOFError, OSError):
        return False
    except Exception as e:  # noqa: BLE001 - pickling fails before any byte is written, so the pipe is intact
        try:
            msg = f"the job's result could not be sent back ({type(e).__name__}: {e})"
            conn.send(("done", ctl.job_id, "failed", None, msg))
        except (EOFError, OSError):
            return False
    return True
