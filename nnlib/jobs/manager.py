"""Bounded pool of spawn-started worker processes that runs training jobs for many browser sessions at once.

Pages call it from many threads; reads only touch what the drain thread stored, so they never wait on IPC.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing as mp
import os
import pickle
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from nnlib.jobs.backends import backend_from_env
from nnlib.jobs.batched import group_size_from_env, groupable
from nnlib.jobs.control import COMMANDS
from nnlib.jobs.dispatch import DispatchMixin
from nnlib.jobs.fairness import FairQueue, expected_wait, progress_of, time_left
from nnlib.jobs.news import JobNews
from nnlib.jobs.pool import WorkerPoolMixin
from nnlib.jobs.records import (
    ACTIVE,
    PAGE_STATES,
    PROJECT_ROOT,
    Job,
    JobLimitError,
    JobNotFound,
    JobView,
    Session,
    Worker,
)
from nnlib.jobs.watchdog import DEFAULT_BUDGET, JobBudget, ProcessUsage, usage_of
from nnlib.words import count

__all__ = ["JobLimitError", "JobManager", "JobNotFound", "JobView", "JobBudget"]

log = logging.getLogger(__name__)


class JobManager(DispatchMixin, WorkerPoolMixin):
    """Runs jobs for many sessions on at most `max_workers` reused processes, with a fair queue beyond.

    Quotas count people (`person` at submit: a browser cookie or client address), not sessions/tabs, and one client
    address may have at most `max_jobs_per_address` (forged cookies cannot multiply a person); the queue serves
    people round-robin and tells each queued job its expected wait; each running job is held to a CPU-time and
    memory budget by a /proc watchdog; a session that stops polling for `idle_stop` seconds gets its jobs stopped
    (`hidden_stop` while its page says it is in a background tab, which the browser wakes about once a minute;
    `CLOSED_STOP_S` once its page said it was closed); finished jobs drop their weights `result_ttl` seconds after
    they end. `clock` (monotonic seconds) is injectable for tests of those timeouts.
    """

    def __init__(
        self,
        max_workers: int | None = None,
        torch_threads: int = 1,
        session_timeout: float = 900.0,
        max_jobs_per_session: int = 2,
        max_queued_total: int = 200,
        default_fn: str = "nnlib.train.job:run_training",
        *,
        stop_grace: float = 10.0,
        preload_torch: bool = True,
        min_interval: float = 0.05,
        max_jobs_per_person: int | None = None,
        idle_stop: float = 30.0,
        hidden_stop: float | None = None,
        max_jobs_per_address: int | None = None,
        result_ttl: float = 600.0,
        job_budget: JobBudget = DEFAULT_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        backend: str | None = None,
        ray_address: str | None = None,
        group_size: int | None = None,
        can_group: Callable[[str, dict], bool] = groupable,
    ) -> None:
        if max_workers is None:
            max_workers = int(os.environ.get("NNLIB_WORKERS", os.cpu_count() or 1))
        self.max_workers = max(1, max_workers)
        self.session_timeout = session_timeout
        self.max_jobs_per_session = max_jobs_per_session
        self.max_queued_total = max_queued_total
        self.default_fn = default_fn
        self.stop_grace = stop_grace
        self.max_jobs_per_person = max_jobs_per_person or max_jobs_per_session
        self.idle_stop = idle_stop
        self.hidden_stop = max(idle_stop, hidden_stop if hidden_stop is not None
                               else float(os.environ.get("NNLIB_HIDDEN_IDLE_STOP", 180)))
        self.max_jobs_per_address = max_jobs_per_address or int(os.environ.get("NNLIB_JOBS_PER_ADDRESS", 16))
        self.result_ttl = result_ttl
        self.job_budget = job_budget
        # up to `group_size` compatible jobs (can_group(fn, payload)) share one worker as one batched program
        self.group_size = group_size_from_env() if group_size is None else max(1, group_size)
        self._can_group = can_group
        self._clock = clock
        self._next_watch = 0.0
        warm = default_fn if preload_torch else None
        self._worker_args = (PROJECT_ROOT, torch_threads, preload_torch, min_interval, warm)
        self._ctx = mp.get_context("spawn")  # never fork: the server process has threads
        self._lock = threading.RLock()
        self._closed = threading.Event()
        self._jobs: dict[str, Job] = {}
        self._sessions: dict[str, Session] = {}
        self._queue = FairQueue()
        self._workers: list[Worker] = []
        self.news = JobNews()  # jobs whose view changed, announced to listeners (the live route's held polls)
        self._startup_failures = 0
        self._respawn_after = 0.0
        self.backend = backend or backend_from_env()  # "local" processes, or "ray" actors (RAY_ADDRESS)
        self._remote = None
        if self.backend == "ray":
            from nnlib.jobs.backends.ray_backend import RayBackend

            self._remote = RayBackend(self._ctx, self._worker_args, ray_address)
        for _ in range(self.max_workers):  # pre-start: the first job should not wait for a torch import
            self._workers.append(self._spawn())
        self._drain_thread = threading.Thread(target=self._drain_loop, name="nnlib-jobs-drain", daemon=True)
        self._janitor_thread = threading.Thread(
            target=self._janitor_loop, name="nnlib-jobs-janitor", daemon=True
        )
        self._drain_thread.start()
        self._janitor_thread.start()
        atexit.register(self.shutdown)

    # -- public API --------------------------------------------------------------------------------------

    def submit(
        self, session_id: str, payload: dict, fn: str | None = None, *, person: str | None = None,
        budget: JobBudget | None = None, address: str | None = None, expected_s: float | None = None,
    ) -> str:
        """Queue a job for this session and return its unguessable id; JobLimitError when over a limit.

        `person` (default: the session) is whom the per-person quota and the fair queue count; `budget` may only
        lower the server's per-job ceilings (`job_budget`), e.g. to a multiple of the run's estimated cost;
        `address` (the client's, if known) is held to `max_jobs_per_address` whoever the person claims to be;
        `expected_s` (the run's estimated seconds) lets queued jobs be told how long they will wait.
        """
        person = person or session_id
        limit = self.job_budget if budget is None else JobBudget(
            min(budget.cpu_seconds, self.job_budget.cpu_seconds), min(budget.memory_mb, self.job_budget.memory_mb)
        )
        fn = fn or self.default_fn
        if ":" not in fn:
            raise ValueError(f"a job function must be given as 'package.module:function', got {fn!r}")
        try:
            pickle.dumps(payload)
        except Exception as e:
            raise TypeError(f"the job payload must be plain data ({type(e).__name__}: {e})") from e
        group = self.group_size > 1 and self._can_group(fn, payload)  # outside the lock: it may import numba
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("the job manager has been shut down")
            session = self._touch_locked(session_id)
            active = sum(1 for j in session.jobs if self._jobs[j].status in ACTIVE)
            if active >= self.max_jobs_per_session:
                raise JobLimitError(
                    f"You already have {count(active, 'job')} running or queued; stop one first "
                    f"(limit {self.max_jobs_per_session} per session)."
                )
            mine = sum(1 for j in self._jobs.values() if j.person == person and j.status in ACTIVE)
            if mine >= self.max_jobs_per_person:
                raise JobLimitError(
                    f"You already have {count(mine, 'job')} running or queued in this browser (other tabs count too); "
                    f"stop one first (limit {self.max_jobs_per_person} per person)."
                )
            if address and sum(1 for j in self._jobs.values()
                               if j.address == address and j.status in ACTIVE) >= self.max_jobs_per_address:
                raise JobLimitError(
                    f"Your network address already has {count(self.max_jobs_per_address, 'job')} running or queued "
                    "(the limit per address); stop one first or ask your teacher."
                )
            if len(self._queue) >= self.max_queued_total:
                raise JobLimitError(
                    f"The server is busy: {count(len(self._queue), 'job')} already waiting. "
                    "Please try again in a minute."
                )
            job_id = secrets.token_urlsafe(16)
            self._jobs[job_id] = Job(job_id, session_id, fn, payload, submitted_at=time.time(), person=person,
                                     budget=limit, address=address, expected_s=expected_s, group=group,
                                     plan=payload.get("plan") if isinstance(payload, dict) else None)
            session.jobs[job_id] = None
            self._queue.push(person, job_id, address)
            to_send = self._dispatch_locked()
        self._send(to_send)
        return job_id

    def view(self, session_id: str, job_id: str) -> JobView:
        """The job's current state as stored by the drain thread; JobNotFound if it is not this session's."""
        with self._lock:
            return self._view_locked(self._get_locked(session_id, job_id))

    def command(self, session_id: str, job_id: str, cmd: str) -> None:
        """Send "pause" | "resume" | "step" | "stop"; commands on a finished job are ignored."""
        if cmd not in COMMANDS:
            raise ValueError(f"unknown job command {cmd!r}; expected one of {COMMANDS}")
        with self._lock:
            job = self._get_locked(session_id, job_id)
            worker = self._command_locked(job, cmd)
        self._send([worker] if worker else [])

    def remove(self, session_id: str, job_id: str) -> None:
        """Stop the job if it is still active, then forget it (frees its snapshot and result)."""
        with self._lock:
            worker = self._forget_locked(self._get_locked(session_id, job_id))
        self._send([worker] if worker else [])

    def jobs(self, session_id: str) -> list[JobView]:
        """All jobs this session still has, oldest first."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return []
            session.last_seen = self._clock()
            return [self._view_locked(self._jobs[j]) for j in session.jobs]

    def touch(self, session_id: str, page: str | None = None) -> None:
        """Heartbeat (every page run and live poll): a session silent for `idle_stop` seconds gets its active jobs
        stopped (its page was closed); one silent for `session_timeout` is forgotten with its jobs. `page` is what
        the page said of itself ("visible", "hidden" in a background tab, "closed"): see Session.silent_too_long."""
        with self._lock:
            session = self._touch_locked(session_id)
            if page in PAGE_STATES:  # a plain touch keeps it: a poll held since before a closing beacon ends later
                session.page = page

    def find(self, job_id: str) -> tuple[str, JobView] | None:
        """(session_id, view) for a route that only holds the unguessable job id; None if unknown."""
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else (job.session_id, self._view_locked(job))

    def stats(self) -> dict:
        """Pool health for an admin panel, the health route (ui.health_route) and the metrics route."""
        with self._lock:
            ready = [w for w in self._workers if w.ready]
            engine_errors = [w.engine_error for w in ready if w.engine_error]
            by_state: dict[str, int] = {}
            for job in self._jobs.values():
                by_state[job.status] = by_state.get(job.status, 0) + 1
            return {
                "workers": self.max_workers,
                "workers_alive": len(self._workers),
                "workers_ready": len(ready),
                # ready workers whose warm-up loaded the engine (0 without preload: nothing was loaded)
                "workers_engine_ok": sum(not w.engine_error for w in ready) if self._worker_args[4] else 0,
                "engine_error": engine_errors[-1] if engine_errors else None,
                "busy": sum(w.job_id is not None or bool(w.grouped) for w in self._workers),
                "grouped_jobs": sum(len(w.grouped) for w in self._workers),
                "queued": len(self._queue),
                "jobs_total": len(self._jobs),
                "jobs_by_state": by_state,
                "sessions": len(self._sessions),
                "startup_failures": self._startup_failures,
                "closed": self._closed.is_set(),
                "backend": self.backend,
            }

    def worker_usage(self) -> list[tuple[int, bool, ProcessUsage | None]]:
        """(pid, busy, CPU and memory now) of each worker process, for the metrics route."""
        with self._lock:
            workers = [(w.process, w.job_id is not None) for w in self._workers]
        return [(p.pid or 0, busy, usage_of(p) if p.pid else None) for p, busy in workers]

    def shutdown(self) -> None:
        """Stop everything and terminate the workers; idempotent (also runs at interpreter exit)."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            for job in self._jobs.values():
                if job.status in ACTIVE:
                    self._finish_locked(job, "stopped")
            self._queue.clear()
            workers = list(self._workers)
        for thread in (self._drain_thread, self._janitor_thread):
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)
        for w in workers:
            if w.job_id is None and not w.grouped and w.conn_open:
                w.outbox.append(("exit",))
                self._send([w])
            else:
                w.process.terminate()  # a busy worker may not read its pipe for a while
        deadline = time.monotonic() + 1.0
        for w in workers:
            w.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.kill()
                w.process.join(timeout=1.0)
            w.conn.close()
        atexit.unregister(self.shutdown)

    # -- state changes (all *_locked methods run under self._lock) ----------------------------------------

    def _touch_locked(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            session = self._sessions[session_id] = Session(last_seen=self._clock())
        session.last_seen = self._clock()
        return session

    def _get_locked(self, session_id: str, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None or job.session_id != session_id:
            raise JobNotFound("no such job")  # same error either way: never reveal another session's job
        self._sessions[session_id].last_seen = self._clock()
        return job

    def _view_locked(self, job: Job) -> JobView:
        position = wait = None
        if job.status == "queued":
            order = self._queue.order()
            position = order.index(job.job_id) + 1
            wait = self._expected_wait_locked(order[:position - 1])
        return JobView(
            job_id=job.job_id,
            status=job.status,
            queue_position=position,
            snapshot=job.snapshot,
            snapshot_seq=job.snapshot_seq,
            result=job.result,
            error=job.error,
            submitted_at=job.submitted_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
            expected_wait_s=wait,
            pictures=job.pictures,
            plan=job.plan,
        )

    def _expected_wait_locked(self, ahead: list[str]) -> float | None:
        """Seconds until a worker is expected to be free for the job behind `ahead` (the queued jobs before it)."""
        now = time.time()
        running = [self._jobs[w.job_id] for w in self._workers if w.job_id in self._jobs]
        left = [time_left(j.expected_s, now - (j.started_at or now), *progress_of(j.snapshot)) for j in running]
        return expected_wait(left, [self._jobs[j].expected_s for j in ahead], self.max_workers)

    def _command_locked(self, job: Job, cmd: str) -> Worker | None:
        if job.status == "queued":
            if cmd == "stop":
                self._queue.remove(job.job_id)
                self._finish_locked(job, "stopped")
            else:
                job.paused = cmd != "resume"  # it will start paused
            return None
        worker = job.worker
        if job.status not in ("running", "paused") or worker is None:
            return None
        if cmd == "stop":
            if job.job_id in worker.grouped:
                if worker.grouped[job.job_id] is None:
                    worker.grouped[job.job_id] = time.monotonic() + self.stop_grace
            elif worker.stop_deadline is None:
                worker.stop_deadline = time.monotonic() + self.stop_grace
        else:
            job.status = "running" if cmd == "resume" else "paused"
            self.news.note(job.job_id)
        worker.outbox.append(("cmd", job.job_id, cmd))
        return worker

    def _forget_locked(self, job: Job) -> Worker | None:
        worker = self._command_locked(job, "stop") if job.status in ACTIVE else None
        del self._jobs[job.job_id]
        session = self._sessions.get(job.session_id)
        if session is not None:
            session.jobs.pop(job.job_id, None)
        return worker

    def _finish_locked(self, job: Job, status: str, result: Any = None, error: str | None = None) -> None:
        if status == "stopped" and not error:
            error = job.stop_note
        job.status, job.result, job.error = status, result, error
        self.news.note(job.job_id)
        job.finished_at, job.ended = time.time(), self._clock()
        job.payload = None
        job.worker = None

    def _send(self, workers: list[Worker]) -> None:
        """Write queued messages outside the manager lock (a pipe write can block); one writer per worker. Every
        change of state ends here, so it is also where the jobs that changed are announced (nnlib.jobs.news)."""
        self.news.announce()
        for w in workers:
            with w.send_lock:
                while w.outbox:
                    try:
                        msg = w.outbox.popleft()
                    except IndexError:
                        break
                    try:
                        w.conn.send(msg)
                    except (OSError, ValueError):
                        w.outbox.clear()  # the worker died; the drain thread notices and reports it
                        break

    # -- background threads ------------------------------------------------------------------------------

