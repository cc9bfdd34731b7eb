"""Which queued job goes to which worker: people in turn (the fair queue), a job that needs a worker of its own
to an idle one, and small Playground runs (nnlib.jobs.batched) into a worker hosting a group with room, spread
over the cores. Kept apart from JobManager's bookkeeping so the placement rule reads in one place."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from nnlib.jobs.fairness import FairQueue
from nnlib.jobs.news import JobNews
from nnlib.jobs.records import Job, Worker
from nnlib.jobs.watchdog import usage_of


class DispatchMixin:
    """The dispatch half of JobManager (state owned by JobManager.__init__)."""

    if TYPE_CHECKING:
        group_size: int
        _lock: threading.RLock
        _closed: threading.Event
        _jobs: dict[str, Job]
        _workers: list[Worker]
        _queue: FairQueue
        news: JobNews

    def _dispatch_locked(self) -> list[Worker]:
        """Hand queued jobs (people in turn) to idle ready workers, or group jobs to the least busy worker that
        hosts a group with room; returns the workers that now have mail. A job that must run alone and finds no
        idle worker keeps the idle workers that free up for itself: group jobs behind it only join groups."""
        if self._closed.is_set():
            return []
        if not any(w.ready and w.conn_open and not w.job_id and not w.kill_reason for w in self._workers):
            return []  # every worker busy with a job of its own (or starting): nothing can move
        busy: list[Worker] = []
        reserve_idle = False
        for job_id in self._queue.order():
            job = self._jobs.get(job_id)
            worker = None if job is None or job.status != "queued" else self._worker_for_locked(job, reserve_idle)
            if job is not None and job.status == "queued" and worker is None:
                reserve_idle = reserve_idle or not job.group
                continue
            if self._queue.order()[:1] == [job_id]:
                self._queue.pop()  # the head: its person's turn passes to the next person, as always
            else:
                self._queue.remove(job_id)  # a group job overtaking one that waits for a worker of its own
            if job is not None and worker is not None:
                self._start_locked(job, worker)
            busy.append(worker)
        if busy:  # every queued job's position changed (each started one is noted by _start_locked)
            self.news.note_all(self._queue.order())
        return busy

    def _worker_for_locked(self, job: Job, reserve_idle: bool) -> Worker | None:
        usable = [w for w in self._workers if w.ready and w.conn_open and not w.job_id and not w.kill_reason]
        idle = [w for w in usable if not w.grouped]
        if not job.group:
            return None if reserve_idle or not idle else idle[0]
        hosts = [w for w in usable if 0 < len(w.grouped) < self.group_size]
        candidates = hosts if reserve_idle else hosts + idle
        return min(candidates, key=lambda w: len(w.grouped)) if candidates else None  # spread over the cores

    def _start_locked(self, job: Job, worker: Worker) -> None:
        job.worker = worker
        job.status = "paused" if job.paused else "running"
        job.started_at = time.time()
        self.news.note(job.job_id)
        if job.group:
            worker.grouped[job.job_id] = None
            budget = job.budget
            worker.outbox.append(("gjob", job.job_id, job.fn, job.payload, job.paused,
                                  budget.cpu_seconds if budget else None, budget.memory_mb if budget else None))
        else:
            worker.job_id, worker.stop_deadline = job.job_id, None
            usage = usage_of(worker.process)
            worker.cpu_at_start = usage.cpu_seconds if usage else 0.0
            worker.outbox.append(("job", job.job_id, job.fn, job.payload, job.paused))
        job.payload = None
