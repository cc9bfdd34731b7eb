"""The fast path's epoch as one compiled call (nnlib.train.fast_epoch) gives bitwise what its separate calls give:
the same history (every value, every key in the same order), the same weights, epoch after epoch, for any config
the fast path accepts -- diverging runs and the plateau schedule (which reads each epoch's val_loss) included."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnlib.config import RunConfig
from nnlib.train import fast_epoch, fast_mlp
from nnlib.train.trainer import Trainer
from tests.train.test_fast_vs_autograd_property import run_configs


def same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN, floats compared bit for bit (lists element-wise)."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or a.hex() == b.hex()
    return type(a) is type(b) and a == b


def trained(cfg: RunConfig, fused: bool, epochs: int) -> Trainer:
    """A Trainer run `epochs` epochs with the fused call, or with it off (the kernel seen as routed elsewhere,
    as in a group worker), which makes the Trainer take its separate calls."""
    trainer = Trainer(cfg, fast=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast_mlp, "_epoch", fast_epoch._epoch)  # the plain kernel, even if a test installed a router
        if not fused:
            mp.setattr(fast_mlp, "_epoch", lambda *args: fast_epoch._epoch(*args))
        assert fast_epoch.usable() is fused
        trainer.run(epochs=epochs)
    assert (trainer._fused is not None) is True  # built either way; `usable` decides per epoch
    return trainer


def assert_same_runs(a: Trainer, b: Trainer) -> None:
    assert (a.status, a.epoch, a.stop_reason) == (b.status, b.epoch, b.stop_reason)
    assert len(a.history.records) == len(b.history.records)
    for ra, rb in zip(a.history.records, b.history.records):
        ka, kb = [k for k in ra if k != "wall_time"], [k for k in rb if k != "wall_time"]
        assert ka == kb, "the logs' keys (and their order) differ"
        for key in ka:
            assert same(ra[key], rb[key]), f"epoch {ra['epoch']} {key}: fused {ra[key]} vs separate {rb[key]}"
    sa, sb = a.model.state_dict(), b.model.state_dict()  # torch tensors, or numpy arrays (fast_run.ArrayMLP)
    assert list(sa) == list(sb)
    for key in sa:
        np.testing.assert_array_equal(np.asarray(sa[key]), np.asarray(sb[key]), err_msg=key)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=run_configs(), epochs=st.integers(1, 5), lr_scale=st.sampled_from([1.0, 1.0, 1e4]))
def test_fused_epoch_equals_separate_calls(cfg: RunConfig, epochs: int, lr_scale: float) -> None:
    cfg = cfg.replace(train={"epochs": epochs, "lr": cfg.train.lr * lr_scale})  # x1e4: runs that diverge
    assume(cfg.validate() == [])
    fused, separate = trained(cfg, True, epochs), trained(cfg, False, epochs)
    assert fused.fast is not None
    assert_same_runs(fused, separate)


def test_fused_and_separate_epochs_share_one_batch_order_stream() -> None:
    """Switching between the fused call and the separate calls mid-run (a group worker routing the kernel to its
    batcher) continues the same run: the twister's state and the optimizer's are the same arrays."""
    cfg = RunConfig().replace(data={"dataset": "xor", "n_samples": 200},
                              train={"optimizer": "adam", "lr": 0.01, "batch_size": 7, "epochs": 6})
    mixed = Trainer(cfg, fast=True)
    for fused in (True, False, True, False, True, True):
        with pytest.MonkeyPatch.context() as mp:
            if not fused:
                mp.setattr(fast_mlp, "_epoch", lambda *args: fast_epoch._epoch(*args))
            mixed.run(epochs=1)
    assert_same_runs(mixed, trained(cfg, False, 6))


def test_a_diverging_run_skips_evaluation_as_before() -> None:
    cfg = RunConfig().replace(data={"dataset": "plane", "n_samples": 200}, model={"activation": "linear"},
                              train={"optimizer": "sgd", "lr": 10.0, "batch_size": 5, "epochs": 5})
    fused, separate = trained(cfg, True, 5), trained(cfg, False, 5)
    assert fused.status == "diverged"
    assert "val_loss" not in fused.history.records[-1]
    assert_same_runs(fused, separate)


def test_only_a_thread_routed_to_a_batcher_leaves_the_fused_call() -> None:
    """In a group worker the router stands in for the kernel process-wide; a job thread bound to a batcher must
    send its epochs there (separate calls), any other thread may still use the fused call."""
    from nnlib.train.batched_mlp import EpochBatcher, install_router, routed_to

    install_router()
    assert fast_epoch.usable()  # this thread is not bound
    seen: list[bool] = []

    def job() -> None:
        with routed_to(EpochBatcher()):
            seen.append(fast_epoch.usable())

    thread = threading.Thread(target=job)
    thread.start()
    thread.join()
    assert seen == [False]


def test_a_fresh_process_loads_the_fused_kernel_from_numbas_cache() -> None:
    """No compile at a worker's or the CLI's start once the cache is warm: the cache key of `_fused` must be the
    same in every process (a closure holding compiled functions pickles differently each time, so it missed)."""
    code = ("from nnlib.train import fast_epoch, fast_mlp\n"
            "from nnlib.train.trainer import Trainer\n"
            "from nnlib.config import RunConfig\n"
            "Trainer(RunConfig().replace(train={'epochs': 1})).run()\n"
            "stats = fast_epoch._fused.stats\n"
            "print(sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))")
    root = Path(__file__).resolve().parents[2]
    runs = [subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONPATH": str(root)}) for _ in range(2)]
    hits, misses = map(int, runs[1].stdout.split()[-2:])
    assert (hits, misses) == (1, 0), runs[1].stdout


def test_the_cache_key_covers_the_callees_sources() -> None:
    """numba checks only fast_epoch.py's timestamp; the digest of the kernels' files in the closure makes an edit
    of fast_kernel.py, fast_eval.py or batch_order.py a new cache key."""
    cells = [c.cell_contents for c in fast_epoch._fused.py_func.__closure__]
    assert cells == [fast_epoch._sources_digest()]
