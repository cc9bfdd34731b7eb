"""A worker process hosting a group of small-MLP jobs at once, their epochs trained as one batched kernel call.

With one job per worker a class of 40 pressing Train gets 2 running jobs and 38 queued, although a Playground net
needs a tiny fraction of a core. A group worker runs up to K compatible jobs (fast-path plain MLPs) as threads of
one process: each job is the ordinary job function with its own JobControl (pause/step/stop/pace), snapshots and
result, so the manager and the page see exactly what a job alone would show; only its FastMLP epochs are routed
into one shared, GIL-free `batched_kernel` call (`nnlib.train.batched_mlp`). A job over its CPU budget is stopped
and failed alone; a crash of the process fails every job of the group with its reason (the manager replaces it).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from nnlib.jobs.control import BUILD_BUDGET, JobControl
from nnlib.jobs.watchdog import JobBudget, budget_message

log = logging.getLogger(__name__)

GROUP_SIZE_ENV = "NNLIB_GROUP_SIZE"
DEFAULT_GROUP_SIZE = 20  # x 2 workers (the default on 2 cores): a class of 40 trains at once
TRAINING_FN = "nnlib.train.job:run_training"
_BUDGET_CHECK_S = 0.2
GROUP_SNAPSHOT_SHARE = 0.4  # most of a core a group's snapshot building may take
# most live updates/s a group's jobs send together: every snapshot is unpickled and merged by the server and answered
# to its page (~1-3 ms of server CPU, whose one GIL serves the whole class). A full group's jobs each send every
# 1/12 s at most -- every 3rd epoch at speed normal, 10/s per student, 400/s for a class of 40 instead of ~600;
# a group of 12 or fewer is not slowed (each job's own interval rules)
GROUP_UPDATES_PER_S = 240.0
GATHER_S = 0.02  # longest a batch waits for a training job that is still evaluating or building its snapshot
BURST_GATHER_S = 0.1  # longest a burst waits for the jobs still replaying their last one (a burst is ~30+ ms)
MAX_BURST_EPOCHS = 1000  # most epochs a group job trains in one burst (`nnlib.train.batched_burst`)
BURST_GAP_SHARE = 0.25  # a burst's CPU time, as a share of the job's snapshot gap (see GroupControl.burst_plan)


def group_size_from_env(default: int = DEFAULT_GROUP_SIZE) -> int:
    """K, the most jobs one worker hosts at once (NNLIB_GROUP_SIZE; 1 turns grouping off)."""
    try:
        return max(1, int(os.environ.get(GROUP_SIZE_ENV, default)))
    except ValueError:
        return default


def groupable(fn: str, payload: dict) -> bool:
    """Whether this job may share a worker: a Playground training run the fast path trains (a plain MLP on the CPU,
    no dropout or normalization, an activation/optimizer/loss the kernel reproduces). Anything else -- CNNs, image
    runs, autograd-only features, other job functions -- keeps a worker to itself. Torch-free and cheap."""
    if fn != TRAINING_FN or not isinstance(payload, dict):
        return False
    try:
        from nnlib.config import RunConfig, mlp_layer_sizes
        from nnlib.train import fast_mlp

        cfg = RunConfig.from_dict(payload.get("config"))
        m, t = cfg.model, cfg.train
        if cfg.is_image or m.cnn is not None or m.dropout or m.norm != "none" or t.device == "cuda":
            return False
        n_hidden = len(m.hidden)
        # as nnlib.models.build.layer_activations picks them (that module imports torch; this runs in the server)
        acts = [m.layer_activations[i] if i < len(m.layer_activations) and m.layer_activations[i] else m.activation
                for i in range(n_hidden)]
        return (fast_mlp.supports(acts, t.optimizer, cfg.loss)
                and fast_mlp.worthwhile(mlp_layer_sizes(cfg), t.batch_size))
    except Exception:  # noqa: BLE001 - a config the server cannot read runs alone (and fails there, with a reason)
        return False


def thread_cpu_seconds(native_id: int) -> float:
    """CPU seconds of one thread of this process, from /proc/self/task/<tid>/stat (0 once it has gone).

    Not pthread_getcpuclockid: it dereferences the thread's handle, which a thread ending meanwhile frees (that
    crashed whole groups); and not /proc/<tid>/stat, which reports the whole process."""
    try:
        with open(f"/proc/self/task/{native_id}/stat", "rb") as f:
            stat = f.read().decode("ascii", "replace")
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime
    except (OSError, ValueError, IndexError):
        return 0.0


_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


class JobPipe:
    """One job's end of the shared pipe: commands routed to it by the host, anything it sends goes out under the
    host's send lock. Has the Connection methods JobControl and the worker's `_run_one` use. `abort` is set when a
    message arrives: a burst of the job's epochs ends at the next epoch boundary, so the command is handled there,
    as between single epochs."""

    def __init__(self, send: Any) -> None:
        import numpy as np  # here, not at the top: the server imports this module, and only workers make pipes

        self._items: deque[tuple] = deque()
        self._cond = threading.Condition()
        self._send = send
        self.abort = np.zeros(1, np.int64)

    def put(self, msg: tuple) -> None:
        with self._cond:
            self._items.append(msg)
            self.abort[0] = 1
            self._cond.notify_all()

    def poll(self, timeout: float = 0.0) -> bool:
        with self._cond:
            if not self._items and timeout and timeout > 0:
                self._cond.wait(timeout)
            return bool(self._items)

    def recv(self) -> tuple:
        with self._cond:
            return self._items.popleft()

    def send(self, msg: tuple) -> None:
        self._send(msg)


class GroupControl(JobControl):
    """A JobControl that tells its host when the job is waiting (paused, or waiting out its pace): a batch does
    not wait for the epoch of a job that is not about to train. And one that shares the snapshot budget: alone, a
    job may spend 1/BUILD_BUDGET of its time building snapshots; the jobs of a group share one core, so each
    spaces its snapshots by the number of jobs training beside it, and the group's snapshots take at most
    GROUP_SNAPSHOT_SHARE of the core (unpaced, they took 2.5x the CPU of the training itself) and number at most
    GROUP_UPDATES_PER_S (what the server then unpickles and answers)."""

    def __init__(self, conn: Any, job_id: str, waiting: set[int], peers: Callable[[], int],
                 **kwargs: Any) -> None:
        super().__init__(conn, job_id, **kwargs)
        self._waiting = waiting
        self._peers = peers

    def _gap(self) -> float:
        peers = max(1, self._peers())
        return max(self.min_interval, peers / GROUP_UPDATES_PER_S,
                   BUILD_BUDGET * self._build_s * peers / (GROUP_SNAPSHOT_SHARE * BUILD_BUDGET))

    def _flush_if_due(self) -> None:
        if self._pending is not None and time.monotonic() - self._last_sent >= self._gap():
            self.flush()

    def epoch_gate(self) -> bool:
        """JobControl's gate; a message that arrives from here on ends the job's next burst at once."""
        pipe = self._conn
        if isinstance(pipe, JobPipe):
            pipe.abort[0] = 0
        return super().epoch_gate()

    def burst_plan(self) -> tuple[int, float, Any]:
        """Asked right after the gate let an epoch through (`EpochLoop.run`): how many epochs may train before the
        gate must be asked again, within how many seconds, and the flag that ends the burst early (set when a
        command arrives). A burst takes about a quarter of this job's snapshot gap in CPU time: long enough that the
        hand-offs cost little, short enough that a snapshot due goes out about on time and the group's jobs, whose
        gaps are alike, run bursts of about the same length in the same calls (their live progress stays even).
        One epoch while paused (a step), stopping, or paced: the gate then acts between every two epochs, as
        alone."""
        pipe = self._conn
        if self._paused or self._stop or self.epoch_seconds > 0 or not isinstance(pipe, JobPipe):
            return 1, 0.0, None
        return MAX_BURST_EPOCHS, BURST_GAP_SHARE * self._gap(), pipe.abort

    def _wait(self, seconds: float) -> None:
        me = threading.get_ident()
        self._waiting.add(me)
        try:
            super()._wait(seconds)
        finally:
            self._waiting.discard(me)


@dataclass(eq=False)
class _Slot:
    job_id: str
    budget: JobBudget | None
    pipe: JobPipe
    thread: threading.Thread | None = None
    failure: str | None = None  # set when the host ended it (over budget): its "done" then says failed, why
    stop_sent_at: float | None = None
    started: float = field(default_factory=time.monotonic)


class GroupHost:
    """Runs the group inside a worker process until its last job ends; see the module docstring."""

    def __init__(self, conn: Connection, torch_threads: int, min_interval: float, stop_grace: float = 10.0) -> None:
        from nnlib.train.batched_mlp import EpochBatcher

        self.conn = conn
        self.torch_threads = torch_threads
        self.min_interval = min_interval
        self.stop_grace = stop_grace
        self.waiting: set[int] = set()  # job threads inside their control's wait
        self.batcher = EpochBatcher(expected=self._training_jobs, gather_s=GATHER_S, burst_gather_s=BURST_GATHER_S)
        self.slots: dict[str, _Slot] = {}
        self.leftover: deque[tuple] = deque()  # messages for the plain worker loop once the group is empty
        self.exit_requested = False
        self.manager_gone = False
        self._send_lock = threading.Lock()
        self._next_budget_check = 0.0

    # -- messages ----------------------------------------------------------------------------------------

    def send(self, msg: tuple) -> None:
        with self._send_lock:
            self.conn.send(msg)

    def serve(self, first: tuple) -> bool:
        """Host `first` and every group job sent meanwhile; returns False when the worker should exit."""
        self._start(first)
        while self.slots:
            self._reap()
            if not self.slots:
                break
            try:
                if self.conn.poll(0.05):
                    self._route(self.conn.recv())
            except (EOFError, OSError):
                self.manager_gone = self.exit_requested = True
                self._broadcast(("exit",))
            self._check_budgets()
        return not self.exit_requested

    def _route(self, msg: tuple) -> None:
        kind = msg[0]
        if kind == "gjob":
            self._start(msg)
        elif kind == "cmd":
            slot = self.slots.get(msg[1])
            if slot is not None:  # else a command for a job that already ended
                slot.pipe.put(msg)
        elif kind == "exit":
            self.exit_requested = True
            self._broadcast(msg)
        else:
            self.leftover.append(msg)

    def _broadcast(self, msg: tuple) -> None:
        for slot in self.slots.values():
            slot.pipe.put(msg)

    # -- jobs --------------------------------------------------------------------------------------------

    def _start(self, msg: tuple) -> None:
        _, job_id, fn_path, payload, paused, cpu_seconds, memory_mb = msg
        budget = JobBudget(cpu_seconds, memory_mb) if cpu_seconds is not None else None
        slot = _Slot(job_id, budget, JobPipe(lambda m: self._send_from(job_id, m)))
        ctl = GroupControl(slot.pipe, job_id, self.waiting, self.snapshot_peers, paused=paused,
                           min_interval=self.min_interval)
        slot.thread = threading.Thread(target=self._run, args=(slot, ctl, fn_path, payload),
                                       name=f"nnlib-group-job-{job_id[:6]}", daemon=True)
        self.slots[job_id] = slot
        slot.thread.start()

    def snapshot_peers(self) -> int:
        """How many jobs share the group's snapshot budgets: every live one. Not `_training_jobs`: at a paced speed
        a job spends most of its time waiting out its pace, so at any instant few count as training -- the budgets
        were divided by ~1-3 instead of 20 and hardly spaced anything."""
        return sum(1 for s in list(self.slots.values()) if s.thread is not None and s.thread.is_alive())

    def _training_jobs(self) -> int:
        """How many jobs should have an epoch in the next batch: alive, on the fast path, not waiting."""
        users = self.batcher.users
        return sum(1 for s in list(self.slots.values()) if s.thread is not None and s.thread.is_alive()
                   and s.thread.ident in users and s.thread.ident not in self.waiting)

    def _run(self, slot: _Slot, ctl: JobControl, fn_path: str, payload: dict) -> None:
        from nnlib.jobs.worker import _run_one
        from nnlib.train.batched_mlp import routed_to

        with routed_to(self.batcher):
            _run_one(slot.pipe, ctl, fn_path, payload, self.torch_threads)  # type: ignore[arg-type]

    def _send_from(self, job_id: str, msg: tuple) -> None:
        slot = self.slots.get(job_id)
        if msg[0] == "done" and slot is not None and slot.failure is not None:
            msg = ("done", job_id, "failed", None, slot.failure)
        try:
            self.send(msg)
        except (EOFError, OSError):
            self.manager_gone = True
            raise

    def _reap(self) -> None:
        for job_id in [j for j, s in self.slots.items() if s.thread is not None and not s.thread.is_alive()]:
            del self.slots[job_id]

    def cpu_seconds(self, slot: _Slot) -> float:
        """CPU time this job used: its thread's own, minus kernel calls it ran for others, plus its share of the
        calls others ran for it (by examples)."""
        thread = slot.thread
        if thread is None or thread.native_id is None or not thread.is_alive():
            return 0.0
        return thread_cpu_seconds(thread.native_id) + self.batcher.ledger.get(thread.ident or 0, 0.0)

    def _check_budgets(self) -> None:
        now = time.monotonic()
        if now < self._next_budget_check:
            return
        self._next_budget_check = now + _BUDGET_CHECK_S
        for slot in self.slots.values():
            if slot.budget is None:
                continue
            if slot.failure is None and self.cpu_seconds(slot) > slot.budget.cpu_seconds:
                log.warning("group job %s over its CPU budget: stopping it", slot.job_id[:6])
                slot.failure = budget_message("cpu", slot.budget)
                slot.stop_sent_at = now
                slot.pipe.put(("cmd", slot.job_id, "stop"))
            elif slot.stop_sent_at is not None and now - slot.stop_sent_at > self.stop_grace:
                # a thread cannot be killed: a job that ignores stop takes the process (and its group) down
                log.error("group job %s ignored stop for %.0f s: ending its worker", slot.job_id[:6], self.stop_grace)
                os._exit(70)
