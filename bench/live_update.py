"""The cost of one live update of the Playground, without a server: in the worker (build + pickle the snapshot)
and in the route (patches + JSON for one poll). bench/live.py prints it before its server-based measurements; it
is apart so each file stays readable.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from collections.abc import Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def update_cost(histories: tuple[int, ...] = (100, 1000, 10_000), repeats: int = 200, behind: int = 5) -> list[dict]:
    """CPU ms of one live update of the default net, without a server, at a few history lengths:

    - in the worker, as the job's control sends it: the snapshot built with the trainer's own history lists and
      only the rows appended since the previous snapshot (`behind` epochs ago) encoded and pickled; and, in the
      same run, the baseline that sent the whole history (a copied history, all of it pickled);
    - in the manager: unpickling it and merging the new rows into the job's previous snapshot (baseline:
      unpickling the whole snapshot);
    - in the route (a browser's poll: the patcher with `have` at the previous update, the encoding and the JSON
      body, as `ui.live._answer` makes it): with the pictures the worker built (the page asks for them,
      ui.live_parts) and, as before, all built from the snapshot.
    """
    import torch

    torch.set_num_threads(1)
    return [_one_history(epochs, repeats, behind) for epochs in histories]


def _cpu_ms(fn: Callable[[], object], repeats: int) -> float:
    for _ in range(3):  # warm-up
        fn()
    t0 = time.process_time()
    for _ in range(repeats):
        fn()
    return 1e3 * (time.process_time() - t0) / repeats


def _one_history(epochs: int, repeats: int, behind: int) -> dict:
    import pickle

    from nnlib.config import RunConfig
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.jobs.history_tail import TailEncoder, merge_tails
    from nnlib.jobs.records import JobView
    from nnlib.train.trainer import Trainer
    from ui.live import _answer
    from ui.live_parts import picture_fragment

    trainer = Trainer(RunConfig().replace(train={"epochs": epochs}))
    trainer.run()
    encoder = TailEncoder()
    _, lengths = encoder.encode(playground_snapshot(trainer, False, share_history=True))
    received = {where: {k: max(0, n - behind) for k, n in cols.items()} for where, cols in lengths.items()}

    def send_tails() -> bytes:
        encoder.commit(received)  # the manager has the history up to `behind` epochs ago
        snap = playground_snapshot(trainer, False, share_history=True)
        encoded, _ = encoder.encode({**snap, "live_pictures": picture_fragment(snap)})  # as nnlib.train.job does
        return pickle.dumps(("snap", "job", encoded))

    def send_whole() -> bytes:
        return pickle.dumps(("snap", "job", playground_snapshot(trainer, False)))

    def receive(data: bytes, previous: dict | None) -> dict:
        return merge_tails(previous, pickle.loads(data)[2])  # noqa: S301 - bytes this bench just pickled

    full = playground_snapshot(trainer, False)  # what the manager holds (the baseline's and the merge's result)
    previous = {**full, "history": {k: v[:max(0, len(v) - behind)] for k, v in full["history"].items()}}
    tail_bytes, whole_bytes = send_tails(), send_whole()
    assert receive(tail_bytes, previous)["history"] == full["history"], "the merged history differs from the whole"
    # the manager's own JobView (not a stand-in, which fell behind when the view grew a field)
    view = JobView(job_id="bench", status="running", queue_position=None, snapshot=full, snapshot_seq=1,
                   result=None, error=None, submitted_at=0.0, started_at=0.0, finished_at=None,
                   pictures=picture_fragment(full))
    built_here = dataclasses.replace(view, pictures=None)
    have = str(max(0, epochs - behind))  # a browser at 10 Hz is a few epochs behind (normal pace: ~50 epochs/s)
    return {"epochs": epochs, "worker ms": _cpu_ms(send_tails, repeats),
            "worker ms, whole history": _cpu_ms(send_whole, repeats),
            "pickle KB": len(tail_bytes) / 1024, "pickle KB, whole history": len(whole_bytes) / 1024,
            "manager ms": _cpu_ms(lambda: receive(tail_bytes, previous), repeats),
            "manager ms, whole history": _cpu_ms(lambda: receive(whole_bytes, None), repeats),
            "route ms": _cpu_ms(lambda: _answer(view, "playground", {"have": have}), repeats),
            "route ms, built here": _cpu_ms(lambda: _answer(built_here, "playground", {"have": have}), repeats),
            "body KB": len(_answer(view, "playground", {"have": have})) / 1024}
