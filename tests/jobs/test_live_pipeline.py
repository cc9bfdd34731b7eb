"""The live pipeline of a real training job in-process: what a paused page shows, how often and how many times a
snapshot is built and sent, and how epochs are paced -- through the very JobControl the worker uses."""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from typing import Any

import pytest

from nnlib.config import MAX_LIVE_EPOCHS, SPEEDS, RunConfig, mlp_param_count
from nnlib.jobs.control import JobControl
from nnlib.train.job import run_training
from nnlib.validation import run_epochs


def _payload(interval: float = 0.1, **train: Any) -> dict[str, Any]:
    cfg = RunConfig().replace(train={"epochs": 10_000, "until_paused": False, "speed": "fast", **train})
    return {"config": cfg.to_dict(), "interval": interval}


def _start(payload: dict, ctl: JobControl) -> tuple[threading.Thread, dict]:
    out: dict = {}
    t = threading.Thread(target=lambda: out.update(run_training(payload, ctl)), daemon=True)
    t.start()
    return t, out


def _wait_for(condition: Any) -> None:
    """Liveness only (no timing is asserted): the job thread reaches the state the test needs."""
    deadline = time.monotonic() + 60
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert condition()


@pytest.mark.parametrize("interval", [0.1, 1e9])  # 1e9: nothing is due while running, so only a pause sends
def test_pause_shows_the_exact_epoch_and_step_adds_one(interval: float) -> None:
    ctl = JobControl()
    thread, result = _start(_payload(interval=interval), ctl)
    _wait_for(lambda: ctl.latest is not None)  # the untrained view: training has started
    time.sleep(0.5)  # let some epochs pass unseen (not asserted on)
    ctl.apply("pause")
    _wait_for(lambda: ctl.holds == 1)
    paused_view = ctl.latest["epoch"]
    ctl.apply("step")
    _wait_for(lambda: ctl.holds == 2)
    stepped_view = ctl.latest["epoch"]
    ctl.apply("step")
    _wait_for(lambda: ctl.holds == 3)
    second_step = ctl.latest["epoch"]
    ctl.apply("stop")
    thread.join(30)
    assert not thread.is_alive()
    # the model's epoch is what the final snapshot and the result report; the paused views must match it exactly
    assert (paused_view + 1, paused_view + 2) == (stepped_view, second_step)
    assert result["epochs"] == ctl.latest["epoch"] == second_step


def _drain_pipe(parent: Any, sink: list, done: threading.Event) -> None:
    while not done.is_set() or parent.poll():
        if parent.poll(0.05):
            sink.append(parent.recv())


def test_final_snapshot_is_built_and_sent_once_and_nothing_is_built_unsent() -> None:
    parent, child = mp.Pipe()
    ctl = JobControl(child, "job", min_interval=0.05)
    msgs: list = []
    done = threading.Event()
    reader = threading.Thread(target=_drain_pipe, args=(parent, msgs, done), daemon=True)
    reader.start()
    result = run_training(_payload(epochs=500), ctl)
    done.set()
    reader.join(10)
    snaps = [m[2] for m in msgs if m[0] == "snap"]
    finals = [s for s in snaps if s["final"]]
    assert len(finals) == 1 and finals[0] is snaps[-1]
    assert finals[0]["epoch"] == result["epochs"] == 500
    assert ctl.built == ctl.sent == len(snaps)  # a state offered at an epoch end is built only when it is sent


def test_the_interval_alone_decides_while_running() -> None:
    """With a long interval a whole run sends just the untrained view and the final state, nothing in between."""
    ctl = JobControl()
    run_training(_payload(interval=1e9, epochs=300), ctl)
    assert ctl.sent == ctl.built == 2 and ctl.latest["final"] and ctl.latest["epoch"] == 300


class _FakeConn:
    """A pipe end that records how long the gate blocks on it: a paced gate must block, never spin."""

    def __init__(self) -> None:
        self.timeouts: list[float] = []
        self.inbox: list[tuple] = []

    def poll(self, timeout: float = 0.0) -> bool:
        self.timeouts.append(timeout)
        if self.inbox:
            return True
        time.sleep(timeout)
        return False

    def recv(self) -> tuple:
        return self.inbox.pop(0)

    def send(self, msg: tuple) -> None:
        pass


def test_pacing_blocks_on_the_pipe_and_obeys_stop() -> None:
    conn = _FakeConn()
    ctl = JobControl(conn, "job")  # type: ignore[arg-type]
    ctl.configure(interval=0.05, epochs_per_second=2.0)
    assert ctl.epoch_gate()  # the first epoch starts at once
    conn.timeouts.clear()
    assert ctl.epoch_gate()  # the second waits for its slot, blocked in poll (no busy loop)
    waits = [t for t in conn.timeouts if t > 0]
    assert waits and max(waits) > 0.3 and len(conn.timeouts) < 10
    ctl.configure(epochs_per_second=0.01)  # a 100 s slot: a stop must still end it at once
    conn.inbox.append(("cmd", "job", "stop"))
    assert not ctl.epoch_gate()


def test_open_ended_runs_are_capped_and_paced_by_speed() -> None:
    cfg = RunConfig()
    assert cfg.train.until_paused and cfg.open_ended and run_epochs(cfg) > cfg.train.epochs
    assert cfg.epochs_per_second == SPEEDS["normal"]
    assert run_epochs(cfg.replace(train={"schedule": "cosine"})) == cfg.train.epochs  # cosine needs its horizon
    assert run_epochs(cfg.replace(train={"until_paused": False})) == cfg.train.epochs
    wide = cfg.replace(model={"hidden": (256,) * 10}, data={"n_samples": 100_000})
    assert wide.validate() == [] and run_epochs(wide) < MAX_LIVE_EPOCHS  # the MAX_WORK budget binds first
    assert 3 * mlp_param_count(wide) * 50_000 * run_epochs(wide) <= 2e13
    back = RunConfig.from_query(cfg.replace(train={"until_paused": False, "speed": "slow"}).to_query())
    assert (back.train.until_paused, back.train.speed) == (False, "slow")


def test_a_slow_snapshot_spaces_the_next_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    """A long run's snapshots grow with its history: the interval stretches to BUILD_BUDGET build CPU-times."""
    from nnlib.jobs import control

    clock, cpu = [100.0], [5.0]
    monkeypatch.setattr(control.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(control.time, "thread_time", lambda: cpu[0])
    ctl = JobControl(min_interval=0.05)

    def slow_build() -> dict:
        clock[0] += 0.2  # this snapshot takes 0.2 s of CPU to build
        cpu[0] += 0.2
        return {"big": True}

    ctl.offer(slow_build)
    ctl.flush()
    sent = ctl.sent
    for _ in range(100):  # epochs of 0.01 s: 1 s passes, less than 10 x 0.2 s
        clock[0] += 0.01
        ctl.offer(slow_build)
        assert ctl.epoch_gate()
    assert ctl.sent == sent
    clock[0] += 1.0  # now 2 s since the last one
    assert ctl.epoch_gate() and ctl.sent == sent + 1
