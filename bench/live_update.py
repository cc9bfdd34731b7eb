"""The cost of one live update of the Playground, without a server: in the worker (build + pickle the snapshot)
and in the route (patches + JSON for one poll). bench/live.py prints it before its server-based measurements; it
is apart so each file stays readable.
"""

from __future__ import annotations

import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def update_cost(histories: tuple[int, ...] = (100, 1000, 10_000), repeats: int = 200) -> list[dict]:
    """CPU ms of one live update of the default net, without a server: in the worker (build the snapshot the page
    draws and pickle it for the pipe) and in the route (a browser's poll: the patcher with `have` at the previous
    update, the encoding and the JSON body, as `ui.live._answer` makes it), at a few history lengths."""
    import pickle

    import torch

    from nnlib.config import RunConfig
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.trainer import Trainer
    from ui.live import _answer

    torch.set_num_threads(1)
    rows = []
    for epochs in histories:
        trainer = Trainer(RunConfig().replace(train={"epochs": epochs}))
        trainer.run()
        for _ in range(3):  # warm-up
            pickle.dumps(playground_snapshot(trainer, False))
        t0 = time.process_time()
        for _ in range(repeats):
            snap_bytes = pickle.dumps(playground_snapshot(trainer, False))
        worker_ms = 1e3 * (time.process_time() - t0) / repeats
        snap = playground_snapshot(trainer, False)  # what the manager holds after unpickling it
        view = type("View", (), {"snapshot": snap, "snapshot_seq": 1, "status": "running", "queue_position": None,
                                 "error": ""})()
        have = str(max(0, epochs - 5))  # a browser at 10 Hz is a few epochs behind (normal pace: ~50 epochs/s)
        t0 = time.process_time()
        for _ in range(repeats):
            body = _answer(view, "playground", {"have": have})
        route_ms = 1e3 * (time.process_time() - t0) / repeats
        rows.append({"epochs": epochs, "worker ms": worker_ms, "route ms": route_ms,
                     "pickle KB": len(snap_bytes) / 1024, "body KB": len(body) / 1024})
    return rows
