"""Token buckets for the live route (ui.live): how often one job token, or one client address, may poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateLimiter:
    """Token buckets keyed by a string (a job token, a client address): `rate` requests/s on average, bursts up to
    `burst`. The clock is injectable so tests step time instead of sleeping; the number of keys is bounded (the
    fullest buckets, i.e. the idlest keys, are forgotten first)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        self.rate, self.burst, self.clock, self.max_keys = rate, burst, clock, max_keys
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens left, when last refilled)
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Spend one token of `key`'s bucket if it has one."""
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + max(0.0, now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > self.max_keys:
                self._forget_idle(now)
            return allowed

    def retry_after(self, key: str) -> float:
        """Seconds until `key` has a token again (what a 429 tells the client)."""
        with self._lock:
            tokens, _ = self._buckets.get(key, (self.burst, 0.0))
            return max(0.0, (1.0 - tokens) / self.rate)

    def _forget_idle(self, now: float) -> None:
        full = sorted(self._buckets, key=lambda k: -min(self.burst, self._buckets[k][0]
                                                        + (now - self._buckets[k][1]) * self.rate))
        for k in full[: len(self._buckets) - self.max_keys // 2]:
            del self._buckets[k]
