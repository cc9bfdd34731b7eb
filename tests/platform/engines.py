"""Job modules standing in for the training engine in the platform tests: one whose warm-up loads (torch-free, so
fast), one whose import fails like torch without its native libraries, one whose worker dies while warming up."""

from __future__ import annotations

import os
from typing import Any

WARMED = {"done": False}


def warmup() -> None:
    """What nnlib.train.job.warmup does, minus torch: the worker calls it before announcing itself."""
    WARMED["done"] = True


def run(payload: dict[str, Any], ctl: Any) -> dict[str, Any]:
    """A job that proves it ran after a successful warm-up."""
    return {"warmed": WARMED["done"], "pid": os.getpid()}
