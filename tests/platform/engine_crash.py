"""An engine whose warm-up kills its worker process (a native crash while loading), before it can say "ready"."""

from __future__ import annotations

import os


def warmup() -> None:
    os._exit(7)
