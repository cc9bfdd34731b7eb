"""Job functions for the Ray backend tests (run inside Ray actors): where a job ran."""

from __future__ import annotations

import os
import time
from typing import Any


def where(payload: dict[str, Any], ctl: Any) -> dict[str, Any]:
    """The Ray node and process the job ran in; holds its worker for `hold` seconds so jobs overlap."""
    import ray

    ctl.publish({"pid": os.getpid()}, force=True)
    deadline = time.monotonic() + payload.get("hold", 1.0)
    while time.monotonic() < deadline and ctl.epoch_gate():
        time.sleep(0.02)
    return {"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid()}
