"""A net trained inside a batch must end bitwise where it ends trained alone, whatever else shares its batches.

Property test over every field that reaches the kernel (layer sizes, per-layer activations, loss, optimizer and its
hyper-parameters, L1/L2, learning-rate schedule, batch size, data, seed), with jobs joining the batch late and
leaving early, so the batches change composition from one step to the next; and the same for classes of nets of
one kind, which train together in the net-minor SIMD pass (`batched_simd`), next to odd nets that do not.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlib.config import TrainConfig
from nnlib.optimizers import optimizer_settings
from nnlib.train import batched_kernel
from nnlib.train.batched_kernel import MIN_GROUP, await_simd, describe_call, prepared_call, run_epochs
from nnlib.train.batched_mlp import EpochBatcher, KernelRouter, install_router, routed_to, train_together
from nnlib.train.fast_mlp import ACTIVATIONS, LOSSES, OPTIMIZERS, FastMLP


@pytest.fixture(autouse=True, scope="module")
def simd_pass_compiled() -> None:
    """A worker's warm-up (if one ran in this process) compiles the SIMD pass in the background; wait for it."""
    await_simd()


@st.composite
def job_specs(draw: st.DrawFn) -> dict:
    loss = draw(st.sampled_from(LOSSES))
    n_in = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.integers(1, 5), max_size=2))
    n_out = draw(st.integers(2, 3)) if loss == "cross_entropy" else 1
    epochs = draw(st.integers(1, 4))
    return {
        "sizes": [n_in, *hidden, n_out],
        "acts": [draw(st.sampled_from(ACTIVATIONS)) for _ in hidden],
        "loss": loss,
        "optimizer": draw(st.sampled_from(OPTIMIZERS)),
        "l1": draw(st.sampled_from([0.0, 0.001, 0.03])),
        "l2": draw(st.sampled_from([0.0, 0.001, 0.03])),
        "batch_size": draw(st.integers(1, 12)),
        "n": draw(st.integers(1, 30)),
        "seed": draw(st.integers(0, 2**16)),
        "lrs": [draw(st.sampled_from([0.003, 0.01, 0.03, 0.1])) for _ in range(epochs)],
        "start": draw(st.integers(0, 3)),  # the step at which this job joins the batch
    }


class Job:
    """One net with its own data, orders and schedule, trainable one epoch at a time."""

    def __init__(self, spec: dict) -> None:
        self.spec = spec
        rng = np.random.default_rng(spec["seed"])
        sizes = spec["sizes"]
        self.weights = [rng.normal(0, 0.7, (b, a)).astype(np.float32) for a, b in zip(sizes[:-1], sizes[1:])]
        self.biases = [rng.normal(0, 0.1, b).astype(np.float32) for b in sizes[1:]]
        self.x = rng.normal(size=(spec["n"], sizes[0])).astype(np.float32)
        if spec["loss"] == "cross_entropy":
            self.y = rng.integers(0, sizes[-1], spec["n"]).astype(np.int64)
        elif spec["loss"] == "bce":
            self.y = (rng.random((spec["n"], 1)) > 0.5).astype(np.float32)
        else:
            self.y = rng.normal(size=(spec["n"], 1)).astype(np.float32)
        self.orders = [rng.permutation(spec["n"]).astype(np.int64) for _ in spec["lrs"]]
        hyper = optimizer_settings(TrainConfig(optimizer=spec["optimizer"], lr=spec["lrs"][0]))[1]
        self.fast = FastMLP(self.weights, self.biases, spec["acts"], spec["loss"], spec["optimizer"], hyper,
                            spec["l1"], spec["l2"])
        self.losses: list[tuple[float, float]] = []

    def epoch(self, e: int) -> None:
        self.fast.set_lr(self.spec["lrs"][e])
        self.losses.append(self.fast.train_epoch(self.x, self.y, self.orders[e], self.spec["batch_size"]))

    def outcome(self) -> list[np.ndarray]:
        return [*self.weights, *self.biases, self.fast._state, np.array(self.losses, np.float64).reshape(-1)]

    def kind(self) -> tuple:
        """What nets must share to train in one SIMD pass (batched_kernel groups by it)."""
        s = self.spec
        return (tuple(s["sizes"]), tuple(s["acts"]), s["loss"], s["optimizer"], min(s["batch_size"], s["n"]),
                s["n"], s["l1"] != 0.0, s["l2"] != 0.0)


def assert_bitwise_equal(a: np.ndarray, b: np.ndarray) -> None:
    """Same bits, signed zeros included (assert_array_equal takes -0.0 == 0.0); NaNs only need the same places."""
    assert a.dtype == b.dtype and a.shape == b.shape
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    np.testing.assert_array_equal(nan_a, nan_b)
    bits = np.uint32 if a.dtype == np.float32 else np.uint64
    np.testing.assert_array_equal(a[~nan_a].view(bits), b[~nan_b].view(bits))


def simd_epochs_expected(jobs: list[Job]) -> int:
    """Epochs that run in the SIMD pass: at each step, those of active jobs whose kind has MIN_GROUP or more
    active."""
    total = 0
    for step in range(max(j.spec["start"] + len(j.spec["lrs"]) for j in jobs)):
        kinds: dict[tuple, int] = {}
        for j in jobs:
            if 0 <= step - j.spec["start"] < len(j.spec["lrs"]):
                kinds[j.kind()] = kinds.get(j.kind(), 0) + 1
        total += sum(c for c in kinds.values() if c >= MIN_GROUP)
    return total


def train_in_batches(jobs: list[Job]) -> EpochBatcher:
    """Step s runs epoch s - start of every job active at s, all in one batched call (the batcher waits for them
    all), one thread per job as in a group worker."""
    active_now = [0]
    batcher = EpochBatcher(expected=lambda: active_now[0], gather_s=30.0)
    last = max(j.spec["start"] + len(j.spec["lrs"]) for j in jobs)
    for step in range(last):
        active = [(j, step - j.spec["start"]) for j in jobs if 0 <= step - j.spec["start"] < len(j.spec["lrs"])]
        active_now[0] = len(active)
        train_together([lambda j=j, e=e: j.epoch(e) for j, e in active], batcher)
    return batcher


def trained_alone(specs: list[dict]) -> list[Job]:
    """Each spec's net trained by itself, every epoch: what a batch must reproduce bit for bit."""
    alone = [Job(s) for s in specs]
    for job in alone:
        for e in range(len(job.spec["lrs"])):
            job.epoch(e)
    return alone


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(job_specs(), min_size=1, max_size=5))
def test_each_net_in_a_changing_batch_ends_exactly_where_it_ends_alone(specs: list[dict]) -> None:
    alone = trained_alone(specs)
    together = [Job(s) for s in specs]
    batcher = train_in_batches(together)
    most_at_once = max(sum(1 for s in specs if s["start"] <= step < s["start"] + len(s["lrs"]))
                       for step in range(8))
    assert batcher.largest == most_at_once  # the nets really did share kernel calls
    assert batcher.epochs == sum(len(s["lrs"]) for s in specs)
    for a, b in zip(alone, together):
        assert a.fast.steps == b.fast.steps
        for x, y in zip(a.outcome(), b.outcome()):
            np.testing.assert_array_equal(x, y)  # bitwise (NaN == NaN for a diverged net)


def test_a_job_that_leaves_the_group_keeps_training_alone_from_the_same_state() -> None:
    spec = {"sizes": [2, 4, 2, 1], "acts": ["tanh", "tanh"], "loss": "mse", "optimizer": "adam", "l1": 0.0,
            "l2": 0.001, "batch_size": 10, "n": 25, "seed": 3, "lrs": [0.03] * 4, "start": 0}
    alone, moved = Job(spec), Job(spec)
    for e in range(4):
        alone.epoch(e)
    batcher = EpochBatcher()
    train_together([lambda: [moved.epoch(e) for e in range(2)]], batcher)  # two epochs in the group...
    moved.epoch(2)  # ...then two on this thread, which is not routed
    moved.epoch(3)
    assert batcher.epochs == 2
    for x, y in zip(alone.outcome(), moved.outcome()):
        np.testing.assert_array_equal(x, y)


def test_unrouted_threads_still_call_the_kernel_directly() -> None:
    router = install_router()
    assert isinstance(router, KernelRouter) and install_router() is router
    spec = {"sizes": [2, 3, 1], "acts": ["relu"], "loss": "bce", "optimizer": "sgd", "l1": 0.0, "l2": 0.0,
            "batch_size": 4, "n": 9, "seed": 1, "lrs": [0.1], "start": 0}
    batcher = EpochBatcher()
    job = Job(spec)
    other = threading.Thread(target=lambda: job.epoch(0))
    with routed_to(batcher):  # this thread is routed; the other one is not
        other.start()
        other.join()
    assert batcher.epochs == 0 and job.fast.steps == 3


def test_a_bad_row_is_refused_before_the_compiled_loop_reads_it() -> None:
    job = Job({"sizes": [2, 1], "acts": [], "loss": "mse", "optimizer": "sgd", "l1": 0.0, "l2": 0.0,
               "batch_size": 2, "n": 4, "seed": 0, "lrs": [0.1], "start": 0})
    f = job.fast
    za, dd = f._buffers(2)
    good = (f._addrs, f._dims, f._acts, f._poff, job.x, job.y, f._no_int, job.orders[0], f._hp, f._ctl,
            f._state, za, dd, f._wt)
    assert len(describe_call(good)) > 0
    with pytest.raises(ValueError, match="argument 4"):
        run_epochs([(*good[:4], job.x.astype(np.float64), *good[5:])])
    with pytest.raises(ValueError, match="argument 7"):
        run_epochs([(*good[:7], job.orders[0][::2], *good[8:])])


def test_cached_rows_follow_every_array_that_changed() -> None:
    from nnlib.train.batched_kernel import CallRows

    job = Job({"sizes": [2, 3, 1], "acts": ["tanh"], "loss": "mse", "optimizer": "adam", "l1": 0.0, "l2": 0.0,
               "batch_size": 2, "n": 6, "seed": 0, "lrs": [0.1, 0.1], "start": 0})
    f, rows = job.fast, CallRows()
    za, dd = f._buffers(2)
    call = [f._addrs, f._dims, f._acts, f._poff, job.x, job.y, f._no_int, job.orders[0], f._hp, f._ctl, f._state,
            za, dd, f._wt]
    assert rows.row(call) == describe_call(call)
    call[7] = job.orders[1][:4].copy()  # a new order (and length): the usual change between epochs
    assert rows.row(call) == describe_call(call)
    call[11], call[12] = f._buffers(3)  # a new batch size: new scratch buffers
    call[4] = job.x.copy()
    assert rows.row(call) == describe_call(call)
    with pytest.raises(ValueError, match="argument 7"):
        rows.row([*call[:7], job.orders[0][::2], *call[8:]])


@st.composite
def class_specs(draw: st.DrawFn) -> list[dict]:
    """A class: 2-8 nets of one kind (own data, seed, rates, L1/L2 strengths, epochs, joining step), plus up to 2
    nets of other kinds."""
    kind = draw(job_specs())
    members = []
    for _ in range(draw(st.integers(2, 8))):
        member = dict(kind)
        member["seed"] = draw(st.integers(0, 2**16))
        member["lrs"] = [draw(st.sampled_from([0.003, 0.01, 0.03, 0.1, 0.3])) for _ in range(draw(st.integers(1, 4)))]
        member["start"] = draw(st.integers(0, 3))
        member["l1"] = draw(st.sampled_from([0.001, 0.03])) if kind["l1"] else 0.0
        member["l2"] = draw(st.sampled_from([0.001, 0.03])) if kind["l2"] else 0.0
        members.append(member)
    return members + draw(st.lists(job_specs(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(class_specs())
def test_a_class_of_one_kind_trains_in_the_simd_pass_bitwise_as_each_net_alone(specs: list[dict]) -> None:
    alone = trained_alone(specs)
    together = [Job(s) for s in specs]
    batcher = train_in_batches(together)
    assert batcher.simd_epochs == simd_epochs_expected(together)  # the grouping really happened
    for a, b in zip(alone, together):
        assert a.fast.steps == b.fast.steps
        for x, y in zip(a.outcome(), b.outcome()):
            assert_bitwise_equal(x, y)


def default_spec(seed: int, lrs: list[float], start: int, optimizer: str = "sgd") -> dict:
    """A Playground default net (2-4-2-1 tanh, BCE, batch 10) on its own 250 points."""
    return {"sizes": [2, 4, 2, 1], "acts": ["tanh", "tanh"], "loss": "bce", "optimizer": optimizer, "l1": 0.0,
            "l2": 0.0, "batch_size": 10, "n": 250, "seed": seed, "lrs": lrs, "start": start}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_a_class_of_default_nets_with_one_leaving_and_one_joining_mid_run(optimizer: str) -> None:
    specs = [default_spec(i, [0.03 * (1 + i % 3)] * 6, 0, optimizer) for i in range(20)]
    specs[3]["lrs"] = [0.03] * 2  # leaves after 2 epochs
    specs.append(default_spec(99, [0.1] * 4, 2, optimizer))  # joins at the third (adam: its own bias correction)
    alone = trained_alone(specs)
    together = [Job(s) for s in specs]
    batcher = train_in_batches(together)
    assert batcher.simd_epochs == batcher.epochs == sum(len(s["lrs"]) for s in specs)
    for a, b in zip(alone, together):
        for x, y in zip(a.outcome(), b.outcome()):
            assert_bitwise_equal(x, y)


def test_one_net_named_twice_in_a_call_trains_two_epochs_in_order() -> None:
    spec = default_spec(5, [0.03, 0.03], 0)
    alone, twice, other = Job(spec), Job(spec), Job(default_spec(6, [0.03], 0))
    for _ in range(2):
        alone.fast.train_epoch(alone.x, alone.y, alone.orders[0], 10)
    calls = [prepared_call(j.fast, j.x, j.y, j.orders[0], 10) for j in (twice, other, twice)]
    run_epochs(calls)
    assert twice.fast.steps == alone.fast.steps
    for x, y in zip(alone.weights + alone.biases, twice.weights + twice.biases):
        assert_bitwise_equal(x, y)


def test_a_net_with_a_bad_order_fails_alone_while_its_kind_trains() -> None:
    jobs = [Job(default_spec(i, [0.03], 0)) for i in range(4)]
    alone = [Job(default_spec(i, [0.03], 0)) for i in range(4)]
    for job in alone:
        job.epoch(0)
    bad = jobs[1].orders[0].copy()
    bad[7] = 250  # outside x: `_epoch` refuses the epoch (n_batches -1) and changes nothing
    before = [w.copy() for w in jobs[1].weights]
    orders = [j.orders[0] if i != 1 else bad for i, j in enumerate(jobs)]
    assert run_epochs([prepared_call(j.fast, j.x, j.y, o, 10) for j, o in zip(jobs, orders)]) == 3
    assert jobs[1].fast._ctl[4] == -1 and jobs[1].fast.steps == 0
    for w, w0 in zip(jobs[1].weights, before):
        assert_bitwise_equal(w, w0)
    for i in (0, 2, 3):
        for x, y in zip(alone[i].weights + alone[i].biases, jobs[i].weights + jobs[i].biases):
            assert_bitwise_equal(x, y)


def test_while_the_simd_pass_compiles_batches_run_one_net_at_a_time_with_the_same_result(
        monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    compiling = threading.Thread(target=release.wait, daemon=True)  # stands in for the warm-up's compile
    compiling.start()
    monkeypatch.setattr(batched_kernel, "_simd_compiling", compiling)
    try:
        slow, fast, alone = ([Job(default_spec(i, [0.03], 0)) for i in range(4)] for _ in range(3))
        assert run_epochs([prepared_call(j.fast, j.x, j.y, j.orders[0], 10) for j in slow]) == 0
        release.set()
        compiling.join()
        assert run_epochs([prepared_call(j.fast, j.x, j.y, j.orders[0], 10) for j in fast]) == 4
    finally:
        release.set()
    for job in alone:
        job.epoch(0)
    for a, b, c in zip(alone, slow, fast):
        for x, y, z in zip(a.outcome()[:-1], b.outcome()[:-1], c.outcome()[:-1]):
            assert_bitwise_equal(x, y)
            assert_bitwise_equal(x, z)
