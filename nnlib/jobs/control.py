"""The job's side of the worker pipe: throttled snapshots out, pause/resume/step/stop commands in.

A job function only ever sees this object, so it can also be driven in-process (conn=None) in unit tests.
"""

from __future__ import annotations

import time
from multiprocessing.connection import Connection
from typing import Any

COMMANDS = ("pause", "resume", "step", "stop")
_POLL_S = 0.01  # how long a paused gate blocks between command checks


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
        self.min_interval = min_interval
        self._conn = conn
        self._paused = paused
        self._stop = False
        self._steps = 0
        self._pending: Any = None
        self._has_pending = False
        self._last_sent = float("-inf")
        self.sent = 0  # snapshots actually sent (lets tests check the throttle)
        self.latest: dict | None = None  # with conn=None: the last snapshot that would have been sent
        self.deferred: list[tuple] = []  # non-command messages that arrived mid-job; the worker handles them
        self.exit_requested = False  # the manager asked the worker to exit, or went away

    # -- what the job calls ------------------------------------------------------------------------------

    def publish(self, snapshot: dict, force: bool = False) -> None:
        """Offer the latest state: sent at most once per `min_interval` unless force; the newest wins."""
        self._pending = snapshot
        self._has_pending = True
        if force or time.monotonic() - self._last_sent >= self.min_interval:
            self.flush()

    def epoch_gate(self) -> bool:
        """Call before each epoch: False means stop; blocks while paused; a "step" lets one epoch through."""
        self._drain()
        while True:
            if self._stop:
                self.flush()
                return False
            if not self._paused:
                self._flush_if_due()
                return True
            if self._steps > 0:
                self._steps -= 1
                return True
            self.flush()  # a paused page should show exactly where the job stopped
            if self._conn is None:
                time.sleep(_POLL_S)
            else:
                self._drain(timeout=_POLL_S)

    def should_stop(self) -> bool:
        """Non-blocking check for use between batches (also sends a throttled snapshot that is due)."""
        self._drain()
        self._flush_if_due()
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
        """Send the pending snapshot now, if any."""
        if not self._has_pending:
            return
        snapshot, self._pending, self._has_pending = self._pending, None, False
        self._last_sent = time.monotonic()
        self.sent += 1
        if self._conn is None:
            self.latest = snapshot
            return
        try:
            self._conn.send(("snap", self.job_id, snapshot))
        except (BrokenPipeError, ConnectionError, EOFError):
            self._manager_gone()

    def _flush_if_due(self) -> None:
        if self._has_pending and time.monotonic() - self._last_sent >= self.min_interval:
            self.flush()

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
