"""Which jobs changed, told to whoever waits on them: the live route's held polls wake when their job has news
instead of looking every few milliseconds.

A held poll used to re-read its job every 20 ms until a newer snapshot came: with a class of 40 watching, that was
2000 look-ups a second on the server's one event loop, most of them finding nothing. Instead the job manager notes
each job whose view changed (a snapshot arrived, its status or queue position changed) while it holds its lock, and
announces the batch once the lock is released; a listener (ui.live_news) then wakes the polls held on those jobs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)
Listener = Callable[[frozenset[str]], None]


class JobNews:
    """Job ids noted as changed since the last announcement, and the listeners told of them.

    `note` may be called under the manager's lock (it only adds to a set); `announce` must not be (listeners run
    in the announcing thread and may take their own locks)."""

    def __init__(self) -> None:
        self._changed: set[str] = set()
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def listen(self, listener: Listener) -> None:
        """Call `listener(job_ids)` with every batch of changed jobs from now on (from the manager's threads)."""
        with self._lock:
            if listener not in self._listeners:
                self._listeners.append(listener)

    def note(self, job_id: str) -> None:
        with self._lock:
            self._changed.add(job_id)

    def note_all(self, job_ids: Iterable[str]) -> None:
        with self._lock:
            self._changed.update(job_ids)

    def announce(self) -> None:
        """Tell the listeners which jobs changed since the last announcement (nothing if none did)."""
        with self._lock:
            if not self._changed or not self._listeners:
                self._changed.clear()
                return
            changed, self._changed = frozenset(self._changed), set()
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(changed)
            except Exception:  # a listener's bug must not stop the drain thread that announces
                log.exception("job news listener failed")
