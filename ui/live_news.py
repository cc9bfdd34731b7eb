"""Held live polls wake when their job has news (nnlib.jobs.news), not by looking every few milliseconds.

A held poll registers a future under its job token on the event loop, then checks the job once; the job manager's
drain thread, having stored a snapshot, tells `_on_news` which jobs changed, and that hands the wake-up to each
waiting poll's event loop (one call per loop and batch). Registering before checking means no news can fall
between the check and the wait. A manager that announces nothing (a test's fake) or a token that is not one job
(the Compare page's composite of pinned runs) still gets looked at every `fallback_s` the caller passes.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from typing import Any

_WAITERS: dict[str, set[asyncio.Future]] = {}  # job token -> futures of polls held on it (changed on the loop only)
_LISTENING: weakref.WeakSet = weakref.WeakSet()  # managers whose news we receive


def listen_to(manager: Any) -> bool:
    """Receive `manager`'s job news (once per manager); False if it announces none (no `news`)."""
    news = getattr(manager, "news", None)
    if news is None or not hasattr(news, "listen"):
        return False
    try:
        if manager in _LISTENING:
            return True
        _LISTENING.add(manager)
    except TypeError:  # not weak-referenceable: listen anyway (JobNews.listen ignores a repeat)
        pass
    news.listen(_on_news)
    return True


def _on_news(job_ids: Iterable[str]) -> None:
    """From the manager's thread: wake the polls held on these jobs, on their own event loops."""
    by_loop: dict[asyncio.AbstractEventLoop, list[asyncio.Future]] = {}
    for job_id in job_ids:
        for fut in tuple(_WAITERS.get(job_id, ())):  # a copy made under the GIL: the loop may change the set
            by_loop.setdefault(fut.get_loop(), []).append(fut)
    for loop, futures in by_loop.items():
        try:
            loop.call_soon_threadsafe(_wake, futures)
        except RuntimeError:  # that loop has closed: its polls are gone
            pass


def _wake(futures: list[asyncio.Future]) -> None:
    for fut in futures:
        if not fut.done():
            fut.set_result(None)


class NewsWait:
    """One held poll's wait: created (registered) before the poll checks its job, then `wait`ed on, then closed."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.future: asyncio.Future = asyncio.get_running_loop().create_future()
        _WAITERS.setdefault(job_id, set()).add(self.future)

    async def wait(self, seconds: float) -> None:
        """Until the job has news or `seconds` passed, whichever is first."""
        if seconds <= 0 or self.future.done():
            return
        timer = self.future.get_loop().call_later(seconds, _wake, [self.future])
        try:
            await self.future
        finally:
            timer.cancel()

    def close(self) -> None:
        waiters = _WAITERS.get(self.job_id)
        if waiters is not None:
            waiters.discard(self.future)
            if not waiters:
                del _WAITERS[self.job_id]
        if not self.future.done():
            self.future.cancel()

    def __enter__(self) -> NewsWait:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
