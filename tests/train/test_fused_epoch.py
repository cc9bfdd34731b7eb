"""The fast path's epoch as one compiled call (nnlib.train.fast_epoch) gives bitwise what its separate calls give:
the same history (every value, every key in the same order), the same weights, epoch after epoch, for any config
the fast path accepts -- diverging runs and the plateau schedule (which reads each epoch's val_loss) included."""

from __future__ import annotations

import math
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
        if not fused:
            kernel = fast_mlp._epoch
            mp.setattr(fast_mlp, "_epoch", lambda *args: kernel(*args))
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
    for pa, pb in zip(a.model.parameters(), b.model.parameters(), strict=True):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())


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
                kernel = fast_mlp._epoch
                mp.setattr(fast_mlp, "_epoch", lambda *args: kernel(*args))
            mixed.run(epochs=1)
    assert_same_runs(mixed, trained(cfg, False, 6))


def test_a_diverging_run_skips_evaluation_as_before() -> None:
    cfg = RunConfig().replace(data={"dataset": "plane", "n_samples": 200}, model={"activation": "linear"},
                              train={"optimizer": "sgd", "lr": 10.0, "batch_size": 5, "epochs": 5})
    fused, separate = trained(cfg, True, 5), trained(cfg, False, 5)
    assert fused.status == "diverged"
    assert "val_loss" not in fused.history.records[-1]
    assert_same_runs(fused, separate)
