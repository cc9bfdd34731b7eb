"""A burst's epochs handed to the callbacks at once (`Callback.on_epochs_end`, `FusedEpoch.burst_logs`,
`History.extend`) leave exactly the history that replaying them one epoch at a time leaves: every record (wall time
included), every column, the snapshot offered -- for classifiers (built column by column) and regression (built per
row)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.train import batched_burst
from nnlib.train.batched_kernel import await_simd
from nnlib.train.batched_mlp import EpochBatcher, train_together
from nnlib.train.callbacks import History
from nnlib.train.loop import EpochLoop
from tests.train.test_batched_burst import fast_run


@pytest.fixture(autouse=True, scope="module")
def bursts_compiled() -> None:
    await_simd()
    batched_burst.warmup(background=False)


def _history(cfg: RunConfig, at_once: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[History, list, int]:
    ticks = itertools.count()
    monkeypatch.setattr("nnlib.train.loop.time.perf_counter", lambda: 0.001 * next(ticks))  # same shares both ways
    if not at_once:
        monkeypatch.setattr(EpochLoop, "_replay_at_once", lambda self, record, limit: False)
    extends = [0]
    real_extend = History.extend

    def counted(self: History, logs_list: list) -> None:
        extends[0] += 1
        real_extend(self, logs_list)

    monkeypatch.setattr(History, "extend", counted)
    offers: list = []
    run = fast_run(cfg, offers)
    batcher = EpochBatcher()
    batcher.burst_net_epoch_s = 1e-9
    sizes = itertools.cycle([1, 17, 5, 40])
    train_together([lambda: run.run(burst=lambda: (next(sizes), 1.0, None))], batcher)
    monkeypatch.undo()
    return run.history, offers, extends[0]


def _same(a: Any, b: Any) -> None:
    np.testing.assert_array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


@pytest.mark.parametrize("change", [{}, {"data": {"dataset": "spiral_multi"}},
                                    {"data": {"dataset": "plane"}}, {"train": {"l1": 0.01}}],
                         ids=["binary", "three_classes", "regression", "l1"])
def test_a_burst_replayed_at_once_leaves_the_history_one_epoch_at_a_time_leaves(
        change: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = RunConfig().replace(train={"until_paused": False, "speed": "fast", "epochs": 90, "seed": 4,
                                     **change.get("train", {})},
                              **{k: v for k, v in change.items() if k != "train"})
    got, got_offers, extends = _history(cfg, True, monkeypatch)
    want, want_offers, _ = _history(cfg, False, monkeypatch)
    assert extends > 0  # the bursts really went through the bulk hooks
    assert len(got.records) == len(want.records) == 90
    for a, b in zip(got.records, want.records):
        assert list(a) == list(b)  # the same keys in the same order (history.json writes them so)
        for k in a:
            _same(a[k], b[k])
            assert type(a[k]) is type(b[k]), k
    assert list(got.columns) == list(want.columns)
    for k in got.columns:
        _same(got.columns[k], want.columns[k])
    assert got_offers[-1]() == want_offers[-1]() == 90  # the snapshot offered last is the last epoch
