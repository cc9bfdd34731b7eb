"""asyncio.run in a thread of its own, for tests that call a route's coroutine directly: a session-scoped browser
fixture (playwright's sync API) may keep an event loop running in the main thread for the rest of the suite, where
asyncio.run refuses to start ("cannot be called from a running event loop")."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
