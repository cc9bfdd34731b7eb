"""The job's side of the worker pipe: snapshots out, pause/resume/step/stop commands in, epochs paced.

This is the one place that decides when a snapshot is sent: the job only *offers* its state (a builder, so an
unsent state costs nothing), and JobControl builds and sends it when `interval` has passed, when the job pauses
(the exact paused epoch), when it stops, and once at the end. A job function only ever sees this object, so it
can also be driven in-process (conn=None) in unit tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from nnlib.jobs.history_tail import TailEncoder, merge_tails

COMMANDS = ("pause", "resume", "step", "stop")
_POLL_S = 0.01  # how long a paused or pacing gate blocks between command checks when there is no pipe
BUILD_BUDGET = 10.0  # a running job's snapshots are at least this many build-times apart: building (and the
# server's unpickling, which grows with it) takes at most ~1/10 of the time even when a long run's history is big
Builder = Callable[[], Any]


class JobControl:
    """Handed to the job function inside the worker: the only channel between the running job and manager."""

    def __init__(
        self,
        conn: Connection | None = None,
        job_id: str = "local",
        *,
        paused: bool = False,
        min_interval: float = 0.05,
    ) -> None:
        self.job_id = job_id
        self.min_interval = min_interval  # least seconds between two snapshots of a running job
        self.epoch_seconds = 0.0  # pacing: least seconds from one epoch's start to the next (0 = unpaced)
        self._conn = conn
        self._paused = paused
        self._stop = False
        self._steps = 0
        self._pending: Builder | None = None
        self._last_sent = float("-inf")
        # CPU seconds (this thread's) the last snapshot took to build: the spacing rules below bound the share of a
        # core snapshots take, and wall time would count the time other threads held the GIL or the core meanwhile
        # (20 jobs of a group worker on a loaded box: 10-50x the CPU, snapshots ~1 s apart instead of 0.05 s)
        self._build_s = 0.0
        self._next_epoch_at = 0.0
        self.sent = 0  # snapshots actually sent (lets tests check the throttle)
        self.holds = 0  # times the gate settled into a pause (after sending that state): tests wait on it
        self.built = 0  # snapshots built (a state offered but never sent is never built)
        self.latest: Any = None  # with conn=None: the last snapshot that would have been sent
        self._tails = TailEncoder()  # snapshots carry only the history appended since the last one sent
        self.deferred: list[tuple] = []  # non-command messages that arrived mid-job; the worker handles them
        self.exit_requested = False  # the manager asked the worker to exit, or went away

    # -- what the job calls ------------------------------------------------------------------------------

    def configure(self, interval: float | None = None, epochs_per_second: float = 0.0) -> None:
        """The run's own pace: snapshot interval (as the page asked) and epochs per second (0 = as fast as possible)."""
        if interval is not None:
            self.min_interval = max(0.0, float(interval))
        self.epoch_seconds = 1.0 / epochs_per_second if epochs_per_second > 0 else 0.0

    def offer(self, build: Builder) -> None:
        """The job's state changed; `build()` makes its snapshot. Built only if and when it is sent; newest wins."""
        self._pending = build

    def publish(self, snapshot: Any, force: bool = False) -> None:
        """Offer an already-built snapshot; `force` sends it now (the untrained view, the final state)."""
        self.offer(lambda: snapshot)
        if force:
            self.flush()

    def epoch_gate(self) -> bool:
        """Call between epochs: False means stop. Sends a due snapshot, waits out the pace, blocks while paused
        (after sending the exact paused state), and lets one epoch through per "step"."""
        self._drain()
        if not self._paused and not self._stop:
            self._flush_if_due()
        held = False
        while True:
            if self._stop:
                return False
            if not self._paused:
                wait = self._next_epoch_at - time.monotonic()
                if wait > 0:
                    self._wait(wait)
                    continue
                self._next_epoch_at = time.monotonic() + self.epoch_seconds
                return True
            if self._steps > 0:
                self._steps -= 1
                return True
            if self._pending is not None or not held:
                self.flush()  # a paused page shows exactly the epoch the model is at
                self.holds, held = self.holds + 1, True
            self._wait(_POLL_S if self._conn is None else 0.25)

    def should_stop(self) -> bool:
        """Non-blocking check for use between batches (no snapshot: mid-epoch state is not a consistent view)."""
        self._drain()
        return self._stop

    @property
    def paused(self) -> bool:
        self._drain()
        return self._paused

    @property
    def stop_requested(self) -> bool:
        """Whether a stop arrived (without reading the pipe): the worker uses it to report "stopped"."""
        return self._stop

    # -- plumbing ----------------------------------------------------------------------------------------

    def apply(self, cmd: str) -> None:
        """Apply one command; "step" while running simply pauses at the next gate."""
        if cmd == "pause":
            self._paused, self._steps = True, 0
        elif cmd == "resume":
            self._paused, self._steps = False, 0
        elif cmd == "step":
            if self._paused:
                self._steps += 1
            else:
                self._paused = True
        elif cmd == "stop":
            self._stop = True
        else:
            raise ValueError(f"unknown job command {cmd!r}; expected one of {COMMANDS}")

    def flush(self) -> None:
        """Build and send the pending state now, if any."""
        if self._pending is None:
            return
        build, self._pending = self._pending, None
        cpu_started = time.thread_time()
        snapshot = build()
        self.built += 1
        self._last_sent = time.monotonic()
        self._build_s = time.thread_time() - cpu_started
        self.sent += 1
        encoded, lengths = self._tails.encode(snapshot)
        if self._conn is None:  # in-process: the same round trip a manager makes (merging into the previous one)
            self.latest = merge_tails(self.latest, encoded)
            self._tails.commit(lengths)
            return
        try:
            self._conn.send(("snap", self.job_id, encoded))
        except (BrokenPipeError, ConnectionError, EOFError):
            self._manager_gone()
            return
        self._tails.commit(lengths)

    def _flush_if_due(self) -> None:
        """The running job's rule: every `min_interval`, or every BUILD_BUDGET build CPU-times if that is longer."""
        gap = max(self.min_interval, BUILD_BUDGET * self._build_s)
        if self._pending is not None and time.monotonic() - self._last_sent >= gap:
            self.flush()

    def _wait(self, seconds: float) -> None:
        """Sleep without burning CPU, waking at once for a command when there is a pipe."""
        if self._conn is None:
            time.sleep(min(seconds, _POLL_S))
            self._drain()
        else:
            self._drain(timeout=seconds)

    def _drain(self, timeout: float = 0.0) -> None:
        if self._conn is None:
            return
        try:
            while self._conn.poll(timeout):
                timeout = 0.0
                self._handle(self._conn.recv())
        except (EOFError, OSError):
            self._manager_gone()

    def _handle(self, msg: tuple) -> None:
        if msg[0] == "cmd":
            if msg[1] == self.job_id:  # commands aimed at an earlier job on this worker are stale
                self.apply(msg[2])
        elif msg[0] == "exit":
            self._stop = self.exit_requested = True
        else:
            self.deferred.append(msg)

    def _manager_gone(self) -> None:
        self._stop = self.exit_requested = True
