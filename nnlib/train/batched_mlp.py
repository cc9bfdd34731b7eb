"""Many FastMLP nets, each trained by its own thread and its own Trainer, whose epochs run as one batched call.

A group worker hosts a class's small jobs as threads of one process. Every job still builds its own Trainer and
FastMLP and calls `FastMLP.train_epoch` as it would alone (same input checks, same schedule, same callbacks); the
only difference is where that epoch's compiled call goes: `KernelRouter` hands it to the thread's `EpochBatcher`,
which collects the calls of every job that is ready and runs them in one `batched_kernel.run_epochs` call. Each
net's arrays are its own, so a net's result does not depend on which others shared its batch, or on a job joining
or leaving mid-run: it is bitwise the same as training alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnlib.train import fast_mlp
from nnlib.train.batched_burst import LRS, run_bursts
from nnlib.train.batched_kernel import CallRows, run_epochs

__all__ = ["EpochBatcher", "KernelRouter", "install_router", "routed_to"]


@dataclass(eq=False)
class _Call:
    """One job's pending epoch: the kernel's arguments, and whether (and how) it has run."""

    args: tuple[np.ndarray, ...] | None  # an epoch's `_epoch` arguments, or None for a burst
    burst: list[int] | None = None  # a burst's table row (`batched_burst.describe_burst`)
    examples: int = 0  # a burst's examples at most (its share of the call's CPU time)
    owner: int = field(default_factory=threading.get_ident)
    done: bool = False
    error: BaseException | None = None


class EpochBatcher:
    """Leader/follower batching: the first waiting thread runs every pending call in one kernel call, the others
    wait for it; a call that arrives meanwhile rides in the next batch. Grouping only changes speed, never results.

    `expected()` (optional) says how many calls to wait for before running a batch (up to `gather_s` seconds):
    tests use it to make batches deterministic; the group worker counts its jobs that are training (not paused,
    not waiting out their pace), so each of them gets one epoch per batch -- without it, the threads that win the
    GIL race after a batch would train more epochs than the others.

    Single epochs and bursts (`submit_burst`, ~a snapshot gap each) go in two lanes, each with its own leader: a
    paced job's epoch or a paused job's step does not wait behind the others' bursts (the nets are distinct, the
    calls GIL-free), and a lane gathers only for the jobs that are not busy in the other one.
    """

    def __init__(self, expected: Callable[[], int] | None = None, gather_s: float = 1.0,
                 burst_gather_s: float = 0.0) -> None:
        self._cond = threading.Condition()
        self._pending: dict[bool, list[_Call]] = {False: [], True: []}  # by lane: bursts or not
        self._running = {False: False, True: False}
        self._in_flight = {False: 0, True: 0}  # calls submitted and not yet done, by lane
        self._expected = expected
        self._gather_s = gather_s
        # bursts wait longer for the jobs still replaying their last one: a burst that leaves without them makes two
        # cohorts, and a job's pace would then depend on the size of the cohort it fell into
        self._burst_gather_s = max(gather_s, burst_gather_s)
        self.batches = 0  # kernel calls made
        self.epochs = 0  # job epochs they ran
        self.simd_epochs = 0  # of which in the net-minor SIMD pass (nets of one kind batched together)
        self.largest = 0  # most epochs in one call
        self.kernel_seconds = 0.0
        self._rows = CallRows()
        self.users: set[int] = set()  # threads that have sent an epoch here (jobs on the fast path)
        # per thread: CPU seconds to add to its own thread time so each job is charged its share of the kernel
        # calls (the leading thread ran the others' epochs too); read by the group worker's CPU budget
        self.ledger: dict[int, float] = {}
        # bursts run (`batched_burst`), and the CPU seconds one net's epoch took in them, lately: CPU, not wall time,
        # so that on a loaded box (the process gets a fraction of a core) bursts do not shrink to a few epochs, each
        # paying the hand-offs and snapshots again
        self.bursts = 0
        self.burst_net_epoch_s: float | None = None

    def submit(self, args: tuple[np.ndarray, ...]) -> None:
        """Run `_epoch(*args)` in some batch; returns once it has run (its results are in its arrays)."""
        self._submit(_Call(args))

    def submit_burst(self, row: list[int], examples: int) -> None:
        """Run the burst `row` describes (`batched_burst.describe_burst`) in some batch; returns once it has run.
        The caller keeps the row's arrays alive until then."""
        self._submit(_Call(None, row, max(1, examples)))

    def burst_epochs(self, most: int, seconds: float) -> int:
        """How many epochs a burst should run to take `seconds` of CPU (at most `most`), from what the recent
        bursts' epochs took and how many jobs train beside this one; a few while nothing is measured yet."""
        per_net = self.burst_net_epoch_s
        if per_net is None:
            return min(most, 4)
        nets = max(1, self._expected()) if self._expected is not None else 1
        return max(1, min(most, int(seconds / max(per_net * nets, 1e-7))))

    def _submit(self, call: _Call) -> None:
        lane = call.burst is not None
        with self._cond:
            self.users.add(call.owner)
            self._pending[lane].append(call)
            self._in_flight[lane] += 1
            self._cond.notify_all()
            while not call.done:
                if self._running[lane]:
                    self._cond.wait()
                    continue
                self._lead(lane)
        if call.error is not None:
            raise call.error

    def _lead(self, lane: bool) -> None:
        """Under the lock: gather, then run the lane's pending calls with the lock released (the kernel is
        GIL-free). Marked running from the start, so a call arriving while the leader gathers waits instead of
        leading too."""
        self._running[lane] = True
        if self._expected is not None:
            deadline = time.monotonic() + (self._burst_gather_s if lane else self._gather_s)
            while (len(self._pending[lane]) < self._expected() - self._in_flight[not lane]
                   and time.monotonic() < deadline):
                self._cond.wait(timeout=max(0.0, deadline - time.monotonic()))
        batch, self._pending[lane] = self._pending[lane], []
        self._cond.release()
        error: BaseException | None = None
        started, cpu_started = time.perf_counter(), time.thread_time()
        simd = 0
        bursts = [c.burst for c in batch if c.burst is not None]
        try:
            simd = run_epochs([c.args for c in batch if c.args is not None], self._rows)
            if bursts:
                burst_started = time.thread_time()
                simd += run_bursts(bursts)
                self._note_burst(time.thread_time() - burst_started, sum(r[LRS + 1] for r in bursts))
        except BaseException as e:  # noqa: BLE001 - handed to every job of the batch, which then fails
            error = e
        finally:
            elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu_started
            self._cond.acquire()
        self.kernel_seconds += elapsed
        self.batches += 1
        self.epochs += len(batch)
        self.simd_epochs += simd
        self.largest = max(self.largest, len(batch))
        leader = threading.get_ident()
        self.ledger[leader] = self.ledger.get(leader, 0.0) - cpu
        # `order`: the examples an epoch trains on; a burst's, at most
        examples = [max(1, c.args[7].shape[0]) if c.args is not None else c.examples for c in batch]
        total = sum(examples)
        for c, n in zip(batch, examples):
            self.ledger[c.owner] = self.ledger.get(c.owner, 0.0) + cpu * n / total
        for c in batch:
            c.done, c.error = True, error
        self._in_flight[lane] -= len(batch)
        self._running[lane] = False
        self._cond.notify_all()

    def _note_burst(self, seconds: float, net_epochs: int) -> None:
        """Keep a running estimate of the CPU seconds a net's epoch takes in a burst (`net_epochs`: the epochs the
        call's bursts asked for; an aborted one ran fewer, which only shortens the estimate a little)."""
        self.bursts += 1
        if net_epochs > 0:
            now = seconds / net_epochs
            old = self.burst_net_epoch_s
            self.burst_net_epoch_s = now if old is None else 0.7 * old + 0.3 * now


class KernelRouter:
    """Stands in for `fast_mlp._epoch`: a thread bound to a batcher (`routed_to`) sends its epochs there, any other
    thread calls the kernel directly, exactly as before the router was installed."""

    def __init__(self, direct: Callable[..., Any]) -> None:
        self.direct = direct
        self._local = threading.local()

    def __call__(self, *args: np.ndarray) -> None:
        batcher: EpochBatcher | None = getattr(self._local, "batcher", None)
        if batcher is None:
            self.direct(*args)
        else:
            batcher.submit(args)

    def bound(self) -> EpochBatcher | None:
        """The batcher this thread's epochs go to (None: straight to the kernel)."""
        return getattr(self._local, "batcher", None)

    def routes_this_thread(self) -> bool:
        """Whether this thread's epochs go to a batcher (else they call the kernel directly)."""
        return getattr(self._local, "batcher", None) is not None

    def bind(self, batcher: EpochBatcher | None) -> EpochBatcher | None:
        """Route this thread's epochs to `batcher` (None: straight to the kernel); returns the previous binding."""
        previous = getattr(self._local, "batcher", None)
        self._local.batcher = batcher
        return previous


_install_lock = threading.Lock()


def install_router() -> KernelRouter:
    """Put a KernelRouter in front of the kernel FastMLP calls (idempotent; unbound threads are unaffected).

    FastMLP looks its kernel up as the module attribute `fast_mlp._epoch` at each epoch, so this is the one seam
    where a job's Trainer, unchanged, can be batched with others.
    """
    with _install_lock:
        current = getattr(fast_mlp, "_epoch", None)
        if isinstance(current, KernelRouter):
            return current
        if current is None:
            raise RuntimeError("the fast path's kernel is unavailable (numba is not installed)")
        router = KernelRouter(current)
        fast_mlp._epoch = router  # type: ignore[attr-defined]
        return router


@contextmanager
def routed_to(batcher: EpochBatcher) -> Iterator[KernelRouter]:
    """Within this block, the calling thread's FastMLP epochs run in `batcher`'s batched calls."""
    router = install_router()
    previous = router.bind(batcher)
    try:
        yield router
    finally:
        router.bind(previous)


def train_together(jobs: Sequence[Callable[[], Any]], batcher: EpochBatcher) -> list[Any]:
    """Run each callable in its own thread routed to `batcher`; returns their results in order (re-raising the
    first error). What tests and the benchmark use to train several FastMLP nets as one batched program."""
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            with routed_to(batcher):
                results[i] = jobs[i]()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results
