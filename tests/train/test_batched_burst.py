"""Bursts (`nnlib.train.batched_burst`): a group worker's job trains many epochs of many nets in one call and then
replays each epoch's logs and callbacks. A run trained that way must end bitwise where it ends alone -- weights,
every history record but the wall time, status and stop reason -- whatever bursts it was cut into and whoever
shared them, including a run that diverges mid-burst, learning-rate schedules and Adam; and where a burst could not
be exact (early stopping, the plateau schedule) the epochs go one at a time."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.data.bundle import load_data
from nnlib.train import batched_burst
from nnlib.train.batched_kernel import await_simd
from nnlib.train.batched_mlp import EpochBatcher, train_together
from nnlib.train.fast_run import FastRun, torch_free_layers
from nnlib.train.live_snapshot import LiveSnapshot


@pytest.fixture(autouse=True, scope="module")
def bursts_compiled() -> None:
    await_simd()
    batched_burst.warmup(background=False)
    assert batched_burst.ready()


def config(seed: int, **train: Any) -> RunConfig:
    return RunConfig().replace(train={"until_paused": False, "speed": "fast", "epochs": 60, "seed": seed, **train})


def fast_run(cfg: RunConfig, offers: list | None = None) -> FastRun:
    data = load_data(cfg)
    layers = torch_free_layers(cfg, data)
    assert layers is not None
    callbacks = [LiveSnapshot(offers.append, lambda trainer, final: trainer.epoch)] if offers is not None else []
    return FastRun(cfg, data, layers, callbacks)


def outcome(run: FastRun) -> tuple:
    records = [{k: v for k, v in r.items() if k != "wall_time"} for r in run.history.records]
    columns = {k: v for k, v in run.history.columns.items() if k != "wall_time"}  # what snapshots send
    return (run.status, run.stop_reason, run.epoch, records, [a.copy() for a in run.model.state_dict().values()],
            columns)


def assert_same(a: tuple, b: tuple) -> None:
    assert a[:3] == b[:3]
    assert len(a[3]) == len(b[3])
    for ra, rb in zip(a[3], b[3]):
        assert ra.keys() == rb.keys()
        for k in ra:  # NaN-aware, exact
            np.testing.assert_array_equal(np.asarray(ra[k], dtype=np.float64), np.asarray(rb[k], dtype=np.float64),
                                          err_msg=k)
    for wa, wb in zip(a[4], b[4]):
        np.testing.assert_array_equal(wa, wb)
    assert a[5].keys() == b[5].keys()
    for k in a[5]:
        np.testing.assert_array_equal(np.asarray(a[5][k], dtype=np.float64), np.asarray(b[5][k], dtype=np.float64),
                                      err_msg=k)
        assert [v is None for v in a[5][k]] == [v is None for v in b[5][k]], k


def plans(sizes: list[int]) -> Callable[[], tuple[int, float, Any]]:
    """A burst plan that cycles through burst sizes (the batcher is told every epoch costs nothing)."""
    cycle: Iterator[int] = itertools.cycle(sizes)
    return lambda: (next(cycle), 1.0, None)


def trained_in_bursts(configs: list[RunConfig], sizes: list[list[int]]) -> tuple[list[tuple], EpochBatcher]:
    runs = [fast_run(cfg) for cfg in configs]
    alive = [len(runs)]  # the batch waits for every job still training, so nets of one kind meet in the SIMD pass
    lock = threading.Lock()  # (with expected=1 whether two ever met was up to thread timing: CI once saw none)
    batcher = EpochBatcher(expected=lambda: alive[0], gather_s=0.5)
    batcher.burst_net_epoch_s = 1e-9  # every burst as long as the plan allows

    def job(run: FastRun, plan: Callable) -> Callable[[], tuple]:
        def train() -> tuple:
            try:
                run.run(burst=plan)
                return outcome(run)
            finally:
                with lock:
                    alive[0] -= 1
        return train

    results = train_together([job(r, plans(s)) for r, s in zip(runs, sizes)], batcher)
    return results, batcher


def trained_alone(cfg: RunConfig) -> tuple:
    run = fast_run(cfg)
    run.run()
    return outcome(run)


CLASS = [config(1), config(2, lr=0.1), config(3, optimizer="adam", lr=0.01), config(4, schedule="step"),
         config(5, l2=0.001, batch_size=7), config(6, schedule="cosine", epochs=45),
         config(7, lr=0.05)]


def test_a_class_trained_in_bursts_ends_bitwise_where_each_run_ends_alone() -> None:
    sizes = [[7, 1, 30], [60], [2, 3, 5, 8], [13], [1, 1, 50], [9, 40], [25, 4]]
    results, batcher = trained_in_bursts(CLASS, sizes)
    assert batcher.bursts > 0 and batcher.simd_epochs > 0  # bursts ran, the class's nets in the SIMD pass
    for cfg, got in zip(CLASS, results):
        assert_same(got, trained_alone(cfg))


def test_other_model_kinds_train_in_bursts_exactly_as_alone() -> None:
    configs = [RunConfig().replace(model={"hidden": [6, 3], "activation": "sigmoid"},
                                   train={"until_paused": False, "speed": "fast", "epochs": 40, "seed": 11}),
               RunConfig().replace(data={"dataset": "spiral"}, model={"activation": "relu"},
                                   train={"until_paused": False, "speed": "fast", "epochs": 40, "seed": 12,
                                          "optimizer": "rmsprop", "lr": 0.01})]
    results, batcher = trained_in_bursts(configs, [[40], [11, 29]])
    assert batcher.bursts > 0
    for cfg, got in zip(configs, results):
        assert_same(got, trained_alone(cfg))


def test_a_run_that_diverges_mid_burst_stops_at_the_same_epoch_with_the_same_reason() -> None:
    diverging = RunConfig().replace(data={"dataset": "plane"}, model={"activation": "relu"},
                                    train={"until_paused": False, "speed": "fast", "epochs": 80, "seed": 8,
                                           "lr": 1.1})
    alone = trained_alone(diverging)
    assert alone[0] == "diverged" and 1 < alone[2] < 80  # the reference really diverges mid-run
    results, _ = trained_in_bursts([diverging, config(9)], [[80], [80]])
    assert_same(results[0], alone)
    assert_same(results[1], trained_alone(config(9)))


@pytest.mark.parametrize("train", [{"patience": 5}, {"schedule": "plateau"}])
def test_runs_a_burst_could_not_replay_exactly_train_one_epoch_at_a_time(train: dict) -> None:
    cfg = config(10, **train)
    results, batcher = trained_in_bursts([cfg], [[30]])
    assert batcher.bursts == 0 and batcher.epochs > 0  # routed epoch by epoch
    assert_same(results[0], trained_alone(cfg))


def test_a_set_abort_flag_ends_the_burst_before_its_next_epoch() -> None:
    run = fast_run(config(12))
    abort = np.ones(1, np.int64)
    asked: list[int] = []

    def gate() -> bool:  # what GroupControl.epoch_gate does: a message seen here clears the flag
        asked.append(run.epoch)
        if len(asked) == 2:
            abort[0] = 0
        return True

    batcher = EpochBatcher()
    batcher.burst_net_epoch_s = 1e-9
    train_together([lambda: run.run(gate=gate, burst=lambda: (50, 1.0, abort))], batcher)
    # the first burst trained nothing (its flag was set): the gate was asked again at epoch 0, then one burst
    assert asked[:3] == [0, 0, 50] and run.epoch == 60
    assert_same(outcome(run), trained_alone(config(12)))


def test_the_snapshot_offered_after_a_burst_is_its_last_epoch() -> None:
    offers: list = []
    run = fast_run(config(13), offers)
    batcher = EpochBatcher()
    batcher.burst_net_epoch_s = 1e-9
    train_together([lambda: run.run(burst=lambda: (25, 1.0, None))], batcher)
    # one offer per burst (25, 25, 10 epochs): only the newest offer is ever built, and built after, it is the end
    assert len(offers) == 3 and offers[-1]() == 60


def test_a_single_epoch_does_not_wait_behind_a_running_burst(monkeypatch: pytest.MonkeyPatch) -> None:
    """A paced job's epoch (or a paused job's step) in a group whose other jobs burst: its call has a leader of its
    own while a burst runs, so it is not slowed to one epoch per burst."""
    import threading

    from nnlib.train import batched_mlp

    in_burst, release = threading.Event(), threading.Event()
    real = batched_mlp.run_bursts

    def held_burst(rows: list) -> int:
        in_burst.set()
        assert release.wait(20)
        return real(rows)

    monkeypatch.setattr(batched_mlp, "run_bursts", held_burst)
    bursting, stepping = fast_run(config(14)), fast_run(config(15))
    batcher = EpochBatcher(expected=lambda: 2, gather_s=0.01)
    batcher.burst_net_epoch_s = 1e-9
    stepped: list[int] = []

    def step_while_the_burst_runs() -> None:
        assert in_burst.wait(60)
        stepping.run(epochs=3)  # no burst plan: one routed epoch at a time
        stepped.append(stepping.epoch)
        release.set()

    train_together([lambda: bursting.run(epochs=20, burst=lambda: (20, 1.0, None)), step_while_the_burst_runs],
                   batcher)
    assert stepped == [3] and bursting.epoch == 20  # the steps ran while the burst was held
    assert_same(outcome(stepping), outcome_after(config(15), 3))
    assert_same(outcome(bursting), outcome_after(config(14), 20))


def outcome_after(cfg: RunConfig, epochs: int) -> tuple:
    run = fast_run(cfg)
    run.run(epochs=epochs)
    return outcome(run)
