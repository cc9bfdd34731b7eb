"""The job manager's records: what a page reads (JobView), its errors, and the per-job/worker/session state.

Kept apart from the manager so the manager module holds only behaviour.
"""

from __future__ import annotations

import signal
import sys
import threading
import types
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from nnlib.jobs.watchdog import JobBudget

ACTIVE = frozenset({"queued", "running", "paused"})
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
WAIT_S = 0.05  # drain-thread tick: bounds how late housekeeping (respawns, stop escalation) runs
MAIN_SWAP_LOCK = threading.Lock()
PAGE_STATES = ("visible", "hidden", "closed")  # what a page's live view says of itself (ui/live.js)
# a snapshot's key for its live view's ready JSON (ui.live_parts), built by the worker: the manager moves it out of
# the snapshot into the job's view (`pictures`), so no other reader of snapshots ever sees it
LIVE_PICTURES = "live_pictures"
CLOSED_STOP_S = 3.0  # a page that said it was closed gets this long to show it was not (a poll) before its jobs stop


@dataclass
class JobView:
    """What a page reads; plain data, cheap to produce (treat `snapshot` and `result` as read-only)."""

    job_id: str
    status: str  # "queued" | "running" | "paused" | "finished" | "stopped" | "failed"
    queue_position: int | None  # 1-based while queued
    snapshot: dict | None  # latest published snapshot
    snapshot_seq: int  # increments at each new snapshot
    result: dict | None
    error: str | None
    submitted_at: float
    started_at: float | None
    finished_at: float | None
    expected_wait_s: float | None = None  # while queued: about how long until a worker takes it (None: unknown)
    pictures: bytes | None = None  # the snapshot's live-view pictures, ready to serve (ui.live_parts); None: none
    plan: dict | None = None  # the payload's "plan" (nnlib.validation.run_plan): epochs before the first snapshot


class JobLimitError(Exception):
    """A per-session or server-wide limit refused a submission; the message is meant for the student."""


class JobNotFound(KeyError):
    """No such job for this session: raised identically for unknown ids and other sessions' jobs."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "no such job"


@dataclass(eq=False)
class Job:
    job_id: str
    session_id: str
    fn: str
    payload: dict | None
    submitted_at: float
    status: str = "queued"
    paused: bool = False  # start paused (a queued job that got "pause"/"step")
    snapshot: dict | None = None
    snapshot_seq: int = 0
    pictures: bytes | None = None  # what its latest snapshot carried under LIVE_PICTURES
    result: dict | None = None
    error: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    worker: Worker | None = None
    person: str = ""  # who submitted it (a browser cookie or client address; the session id if unknown)
    budget: JobBudget | None = None  # CPU-time and memory ceilings while it runs (None: not watched)
    ended: float | None = None  # manager-clock time it ended (its weights are dropped `result_ttl` later)
    plan: dict | None = None  # the payload's "plan", kept: the payload itself is let go once a worker has it
    stop_note: str | None = None  # why the server (not the student) stopped it, shown as its error
    address: str | None = None  # the client address it came from (the per-address ceiling counts it)
    expected_s: float | None = None  # estimated seconds it runs (for queued jobs' expected wait); None: unknown
    group: bool = False  # may share a worker with other small-MLP jobs (nnlib.jobs.batched.groupable)


@dataclass(eq=False)
class Worker:
    process: BaseProcess
    conn: Connection
    ready: bool = False
    engine_error: str | None = None  # why its warm-up could not load the training engine (None: it loaded)
    conn_open: bool = True
    job_id: str | None = None
    stop_deadline: float | None = None  # monotonic time after which a job that ignores "stop" is killed
    kill_reason: str | None = None  # "stop" (ignored stop) | "cpu" | "memory" (over its job's budget)
    cpu_at_start: float = 0.0  # the process's CPU-seconds when its current job started
    outbox: deque = field(default_factory=deque)  # appended under the manager lock, so sends keep their order
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    grouped: dict[str, float | None] = field(default_factory=dict)  # group jobs it hosts -> stop deadline


@dataclass(eq=False)
class Session:
    last_seen: float
    jobs: dict[str, None] = field(default_factory=dict)  # ordered set of job ids
    page: str = "visible"  # what its page last said of itself: "visible", "hidden" (background tab), "closed"

    def silent_too_long(self, now: float, idle_stop: float, hidden_stop: float) -> bool:
        """Whether its page is gone, so its jobs should stop. An open page polls several times a second, but a
        browser wakes a background tab's timers only about once a minute (Chrome's intensive throttling), so a
        page that said it is hidden gets `hidden_stop` (several such wakes); one that said it is closing (its
        `pagehide` beacon) only CLOSED_STOP_S; any other page `idle_stop`."""
        return now - self.last_seen > self._limit(idle_stop, hidden_stop)

    def gone_note(self, idle_stop: float, hidden_stop: float) -> str:
        """Why its jobs were stopped, as the student reads it."""
        if self.page == "closed":
            return "stopped because its page was closed"
        return (f"stopped because its page was closed or left (no contact for over "
                f"{self._limit(idle_stop, hidden_stop):g} s)")

    def _limit(self, idle_stop: float, hidden_stop: float) -> float:
        return {"hidden": hidden_stop, "closed": min(CLOSED_STOP_S, idle_stop)}.get(self.page, idle_stop)


def describe_exit(code: int | None) -> str:
    """Readable reason for a job whose worker process died under it."""
    if code is None:
        how = "exit code unknown"
    elif code < 0:
        try:
            how = f"exit code {code}, killed by {signal.Signals(-code).name}"
        except ValueError:
            how = f"exit code {code}"
    else:
        how = f"exit code {code}"
    return (
        f"the worker process died ({how}) while running this job, e.g. out of memory or a crash "
        "in native code; other jobs are unaffected"
    )


def start_without_main(process: BaseProcess) -> None:
    """Start a spawn process without making it re-run the parent's __main__.

    Streamlit installs the app script as sys.modules["__main__"] (where an `if __name__ == "__main__"` guard
    cannot work), so a plain spawn child would re-execute the whole page and die at startup. Workers only need
    job functions importable by name, so __main__ is hidden for the instant the preparation data is built.
    """
    placeholder = types.ModuleType("__main__")
    with MAIN_SWAP_LOCK:
        saved = sys.modules.get("__main__")
        sys.modules["__main__"] = placeholder
        try:
            process.start()
        finally:
            if sys.modules.get("__main__") is placeholder:  # unless a script run replaced it meanwhile
                if saved is None:
                    del sys.modules["__main__"]
                else:
                    sys.modules["__main__"] = saved

