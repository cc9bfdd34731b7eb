"""The job manager's background side: worker processes started, their messages drained, dead or over-budget
workers replaced, and the janitor's sweep (closed pages, forgotten sessions, old weights).

A mixin of JobManager (it shares its state and lock); kept apart so each module stays readable.
"""

from __future__ import annotations

import logging
import threading
import time
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from nnlib.jobs.history_tail import merge_tails
from nnlib.jobs.news import JobNews
from nnlib.jobs.records import ACTIVE, LIVE_PICTURES, WAIT_S, Job, Session, Worker, describe_exit, start_without_main
from nnlib.jobs.watchdog import JobBudget, budget_message, over_budget, usage_of
from nnlib.jobs.worker import worker_main

log = logging.getLogger("nnlib.jobs.manager")


class WorkerPoolMixin:
    """Drain thread, housekeeping, watchdog and janitor of JobManager."""

    if TYPE_CHECKING:  # state owned by JobManager.__init__
        max_workers: int
        session_timeout: float
        idle_stop: float
        hidden_stop: float
        result_ttl: float
        job_budget: JobBudget
        _lock: threading.RLock
        _closed: threading.Event
        _jobs: dict[str, Job]
        _sessions: dict[str, Session]
        _workers: list[Worker]
        _startup_failures: int
        _respawn_after: float
        _next_watch: float
        _worker_args: tuple
        _ctx: Any
        _clock: Any
        _remote: Any
        news: JobNews

        def _dispatch_locked(self) -> list[Worker]: ...
        def _finish_locked(self, job: Job, status: str, result: Any = None, error: str | None = None) -> None: ...
        def _command_locked(self, job: Job, cmd: str) -> Worker | None: ...
        def _forget_locked(self, job: Job) -> Worker | None: ...
        def _get_locked(self, session_id: str, job_id: str) -> Job: ...
        def _send(self, workers: list[Worker]) -> None: ...

    def _spawn(self) -> Worker:
        if self._remote is not None:  # another backend (nnlib.jobs.backends): e.g. an actor on a Ray cluster
            process, conn = self._remote.spawn()
            return Worker(process=process, conn=conn)
        parent, child = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main, args=(child, *self._worker_args), name="nnlib-job-worker", daemon=True
        )
        start_without_main(process)
        child.close()
        return Worker(process=process, conn=parent)

    def _drain_loop(self) -> None:
        while not self._closed.is_set():
            try:
                self._drain_once()
                self._housekeep()
            except Exception:  # keep draining whatever happens: pages depend on this thread
                log.exception("job manager drain loop error")
                time.sleep(WAIT_S)

    def _drain_once(self) -> None:
        with self._lock:
            workers = list(self._workers)
        handles: dict[Any, Worker] = {}
        for w in workers:
            if w.conn_open:
                handles[w.conn] = w
            handles[w.process.sentinel] = w
        try:
            ready = wait(list(handles), timeout=WAIT_S)
        except (OSError, ValueError):
            return  # a handle was closed under us (shutdown)
        dead = []
        for handle in ready:
            w = handles[handle]
            if handle is w.conn:
                self._read(w)
            else:
                dead.append(w)
        for w in dead:
            self._bury(w)

    def _read(self, w: Worker) -> None:
        to_send: list[Worker] = []
        try:
            for _ in range(200):  # bounded so one chatty worker cannot starve the others
                if not w.conn.poll():
                    break
                msg = w.conn.recv()
                with self._lock:
                    to_send += self._on_message_locked(w, msg)
        except (EOFError, OSError):
            w.conn_open = False
        self._send(to_send)

    def _on_message_locked(self, w: Worker, msg: tuple) -> list[Worker]:
        kind = msg[0]
        if kind == "snap":
            job = self._jobs.get(msg[1])
            if job is not None and (w.job_id == msg[1] or msg[1] in w.grouped):
                job.snapshot = merge_tails(job.snapshot, msg[2])  # the worker sends the history's new rows only
                job.pictures = job.snapshot.pop(LIVE_PICTURES, None) if isinstance(job.snapshot, dict) else None
                job.snapshot_seq += 1
                self.news.note(job.job_id)
            return []
        if kind == "done":
            _, job_id, status, result, error = msg
            if job_id in w.grouped:
                del w.grouped[job_id]
            elif w.job_id == job_id:
                w.job_id, w.stop_deadline = None, None
            else:
                return []
            job = self._jobs.get(job_id)
            if job is not None and job.status in ACTIVE:
                self._finish_locked(job, status, result, error)
            usage = usage_of(w.process) if not w.grouped else None
            if usage and usage.rss_mb > self.job_budget.memory_mb / 2:  # memory the job left behind would count
                w.kill_reason = "recycle"  # against the next job: replace this worker (no new jobs meanwhile)
                w.outbox.append(("exit",))
                return [w, *self._dispatch_locked()]
            return self._dispatch_locked()
        if kind == "ready":
            w.ready = True
            w.engine_error = msg[2] if len(msg) > 2 else None
            self._startup_failures = 0
            return self._dispatch_locked()
        log.warning("job manager: unexpected worker message %r", kind)
        return []

    def _bury(self, w: Worker) -> None:
        """A worker process exited: fail (or mark stopped) its job; _housekeep starts a replacement."""
        if w.conn_open:
            self._read(w)  # it may have reported "done" just before exiting
        w.process.join(timeout=1.0)
        code = w.process.exitcode
        with self._lock:
            if w not in self._workers:
                return
            self._workers.remove(w)
            # its own job, or every job of its group; in a group killed for ignoring "stop", the stopped ones
            jobs = [(w.job_id, w.kill_reason == "stop")] if w.job_id else []
            jobs += [(j, w.kill_reason == "stop" and deadline is not None) for j, deadline in w.grouped.items()]
            for job_id, stopped in jobs:
                job = self._jobs.get(job_id)
                if job is None or job.status not in ACTIVE:
                    continue
                if stopped:
                    self._finish_locked(job, "stopped")
                elif w.kill_reason in ("cpu", "memory") and job.budget is not None:
                    self._finish_locked(job, "failed", error=budget_message(w.kill_reason, job.budget))
                else:
                    self._finish_locked(job, "failed", error=describe_exit(code))
            w.grouped.clear()
            if not w.ready and not self._closed.is_set():
                self._startup_failures += 1  # back off if workers cannot even start (broken environment)
                self._respawn_after = time.monotonic() + min(30.0, 0.25 * 2**self._startup_failures)
                log.error("job worker exited during startup (exit code %s)", code)
        w.conn.close()
        self.news.announce()

    def _housekeep(self) -> None:
        now = time.monotonic()
        with self._lock:
            for w in self._workers:
                deadlines = [d for d in (w.stop_deadline, *w.grouped.values()) if d is not None]
                if deadlines and now > min(deadlines) and not w.kill_reason:
                    w.kill_reason = "stop"  # the job ignored "stop" for stop_grace seconds
                    w.process.kill()
            if now >= self._next_watch:
                self._next_watch = now + 0.2
                self._watch_locked()
            missing = self.max_workers - len(self._workers)
            if self._closed.is_set() or missing <= 0 or now < self._respawn_after:
                return
        for _ in range(missing):
            worker = self._spawn()
            with self._lock:
                if self._closed.is_set():
                    worker.process.kill()
                    worker.conn.close()
                    return
                self._workers.append(worker)

    def _watch_locked(self) -> None:
        """Kill the worker of any job over its CPU-time or memory budget (_bury then fails it with the reason)."""
        for w in self._workers:
            if w.grouped and not w.kill_reason:
                self._watch_group_locked(w)
                continue
            job = self._jobs.get(w.job_id) if w.job_id else None
            if job is None or job.budget is None or w.kill_reason:
                continue
            usage = usage_of(w.process)
            verdict = over_budget(usage, w.cpu_at_start, job.budget) if usage else None
            if verdict:
                log.warning("job %s over its %s budget: killing its worker", job.job_id[:6], verdict)
                w.kill_reason = verdict
                w.process.kill()

    def _watch_group_locked(self, w: Worker) -> None:
        """A group's memory is one process's: over the smallest ceiling of its jobs, the worker goes (and every job
        in it fails with the memory reason). CPU budgets are per job, kept by the group host itself."""
        budgets = [j.budget for j in (self._jobs.get(i) for i in w.grouped) if j is not None and j.budget]
        usage = usage_of(w.process) if budgets else None
        if usage is not None and usage.rss_mb > min(b.memory_mb for b in budgets):
            log.warning("group worker over its memory ceiling (%.0f MB): killing it", usage.rss_mb)
            w.kill_reason = "memory"
            w.process.kill()

    def _janitor_loop(self) -> None:
        interval = min(max(min(self.session_timeout, self.idle_stop, self.result_ttl) / 4, 0.05), 5.0)
        while not self._closed.wait(interval):
            try:
                self.sweep()
            except Exception:
                log.exception("job manager janitor error")

    def stop_for(self, session_id: str, job_id: str, note: str) -> None:
        """Stop a job for someone other than its page (the class's teacher): `note` is the reason its student then
        reads, instead of the trainer's "stopped by the user" (which would say they stopped it themselves)."""
        with self._lock:
            job = self._get_locked(session_id, job_id)
            if job.status not in ACTIVE:
                return
            job.stop_note = job.stop_note or note
            worker = self._command_locked(job, "stop")
        self._send([worker] if worker else [])

    def sweep(self) -> None:
        """The janitor's pass (also callable by tests with an injected clock): stop the jobs of sessions that
        stopped polling, forget sessions silent for `session_timeout`, drop old finished jobs' weights."""
        now = self._clock()
        cutoff = now - self.session_timeout
        to_send: list[Worker] = []
        with self._lock:
            for session in self._sessions.values():
                if not session.silent_too_long(now, self.idle_stop, self.hidden_stop):
                    continue
                for job in (self._jobs[j] for j in session.jobs):
                    if job.status in ACTIVE and job.stop_note is None:
                        job.stop_note = session.gone_note(self.idle_stop, self.hidden_stop)
                        worker = self._command_locked(job, "stop")
                        if worker is not None:
                            to_send.append(worker)
            for job in self._jobs.values():
                if job.ended is not None and now - job.ended > self.result_ttl and job.result \
                        and "weights" in job.result:
                    job.result = {k: v for k, v in job.result.items() if k != "weights"}
            for session_id in [s for s, sess in self._sessions.items() if sess.last_seen < cutoff]:
                for job_id in list(self._sessions[session_id].jobs):
                    worker = self._forget_locked(self._jobs[job_id])
                    if worker is not None:
                        to_send.append(worker)
                del self._sessions[session_id]
        self._send(to_send)
