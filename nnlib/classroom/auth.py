"""The teacher's password gate: only a salted scrypt hash is kept in memory, an attempt is compared in constant
time, and failed attempts are limited per person/address so a student cannot guess it in a loop.

A browser that unlocked stays unlocked across reloads for UNLOCK_TTL_S (UnlockMemory). What it is remembered by is
the hash of the browser's own cookie token (nnlib.jobs.identity), which no link, address or screen shows: sharing
the Teacher page's URL shares nothing, another machine behind the same NAT is a different browser, and only the
server holds the list (in memory, so a restart -- or a new password -- forgets it).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections.abc import Callable

from nnlib.words import count

SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}  # ~50 ms per check: cheap for a teacher, slow for a loop


def hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)


class AttemptLimiter:
    """At most `max_failures` failed attempts per key within `window` seconds; then wait until the oldest ages."""

    def __init__(self, max_failures: int = 5, window: float = 300.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures, self.window, self._clock = max_failures, window, clock
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, key: str) -> float:
        """0 if `key` may try now, else how long until it may."""
        with self._lock:
            now = self._clock()
            recent = [t for t in self._failures.get(key, []) if now - t < self.window]
            self._failures[key] = recent
            if len(recent) < self.max_failures:
                return 0.0
            return self.window - (now - recent[0])

    def failed(self, key: str) -> None:
        with self._lock:
            self._failures.setdefault(key, []).append(self._clock())

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


UNLOCK_TTL_S = 4 * 3600.0  # a lesson and its preparation; then the password again
MAX_UNLOCKED = 100  # browsers remembered at once (the oldest unlock is forgotten first)


class UnlockMemory:
    """Browsers that unlocked the gate, each until `ttl` seconds after its unlock (not extended by use)."""

    def __init__(self, ttl: float = UNLOCK_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self._clock = ttl, clock
        self._until: dict[str, float] = {}  # browser key -> clock time the unlock ends (oldest unlock first)
        self._lock = threading.Lock()

    def remember(self, browser: str) -> None:
        with self._lock:
            self._until.pop(browser, None)
            self._until[browser] = self._clock() + self.ttl
            while len(self._until) > MAX_UNLOCKED:
                del self._until[next(iter(self._until))]

    def unlocked(self, browser: str) -> bool:
        with self._lock:
            until = self._until.get(browser)
            if until is not None and until <= self._clock():
                del self._until[browser]
                until = None
            return until is not None

    def forget(self, browser: str) -> None:
        with self._lock:
            self._until.pop(browser, None)


class TeacherGate:
    """Checks teacher passwords against one configured password (None: teacher features are off)."""

    def __init__(self, password: str | None, limiter: AttemptLimiter | None = None) -> None:
        self._salt = secrets.token_bytes(16)
        self._hash = hash_password(password, self._salt) if password else None
        self.limiter = limiter or AttemptLimiter()
        self.unlocks = UnlockMemory()

    @property
    def enabled(self) -> bool:
        return self._hash is not None

    def check(self, attempt: str, who: str) -> tuple[bool, str]:
        """(unlocked, a sentence for the page). `who` is the person/address the attempts are counted against."""
        if self._hash is None:
            return False, "Teacher features are off on this server (no teacher password is set)."
        wait = self.limiter.wait_seconds(who)
        if wait > 0:
            return False, f"Too many wrong passwords; try again in {count(math.ceil(wait), 'second')}."
        if hmac.compare_digest(hash_password(attempt or "", self._salt), self._hash):
            self.limiter.succeeded(who)
            return True, "Unlocked."
        self.limiter.failed(who)
        return False, "Wrong password."
