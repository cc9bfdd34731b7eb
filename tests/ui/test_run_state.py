"""The run bar's one mapping from a job's view to {status text, progress, enabled buttons}."""

from __future__ import annotations

import pytest

from nnlib.jobs.manager import JobView
from ui.run_controls import run_state


def view(status: str, epoch: int, epochs: int = 100, reason: str = "", queue: int | None = None) -> JobView:
    snap = {"epoch": epoch, "epochs": epochs, "elapsed": 1.25, "reason": reason, "history": {}}
    return JobView("j", status, queue, snap, 3, None, None, 0.0, None, None)


def test_a_finished_run_has_a_full_bar_and_no_stop_even_when_early_stopping_ended_it():
    state = run_state(view("finished", 60, reason="early stopping: best epoch 50"))
    assert state.progress == 1.0
    assert "finished: early stopping" in state.text and "Epoch 60 / 100" in state.text
    assert "stop" not in state.enabled and "pause" not in state.enabled
    assert {"train", "step", "reset"} <= state.enabled


@pytest.mark.parametrize("status", ["stopped", "failed"])
def test_an_ended_run_shows_how_far_it_got(status):
    state = run_state(view(status, 30))
    assert state.progress == pytest.approx(0.3)
    assert "stop" not in state.enabled


def test_active_runs_can_be_paused_or_resumed_and_stopped():
    assert {"pause", "stop"} <= run_state(view("running", 10)).enabled
    paused = run_state(view("paused", 10))
    assert {"resume", "stop"} <= paused.enabled and "pause" not in paused.enabled
    queued = run_state(view("queued", 0, queue=2))
    assert "position 2 in the queue" in queued.text and queued.progress == 0.0


def test_no_run_yet():
    state = run_state(None)
    assert state.progress == 0.0 and state.enabled == frozenset({"train", "step", "reset"})
