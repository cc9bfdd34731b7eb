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
    assert {"train", "reset"} <= state.enabled


@pytest.mark.parametrize("status", ["finished", "stopped", "failed"])
def test_step_continues_a_run_so_an_ended_one_has_no_step(status):
    """Step after Stop threw the stopped net away and showed a new run's 'Epoch 1 ... paused' without a word
    (student walkthrough): Step means one more epoch of THIS run."""
    assert "step" not in run_state(view(status, 30)).enabled
    assert "step" in run_state(view("paused", 30)).enabled and "step" in run_state(view("running", 30)).enabled


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


def test_a_stopped_run_until_paused_shows_no_horizon_the_student_never_set():
    """'Epoch 612 / 20000 · stopped' named the server's cap as if it were the goal (found by a student walkthrough)."""
    v = view("stopped", 612, epochs=20_000, reason="stopped by the user")
    v.snapshot["until_paused"] = True
    state = run_state(v)
    assert "Epoch 612 ·" in state.text and "20000" not in state.text and "20,000" not in state.text
    assert state.progress == 1.0  # it ran as long as the student wanted


def test_the_final_line_says_the_numbers_a_run_is_judged_by():
    """An image run measures its test split once, at the end: the status line says it in words."""
    v = view("finished", 2, epochs=2)
    v.snapshot["history"] = {"val_accuracy": [0.8, 0.9], "test_accuracy": [None, 0.875], "test_loss": [None, 0.4]}
    assert "validation accuracy 90.0% · test accuracy 87.5%" in run_state(v).text
    v.snapshot["history"] = {"val_rmse": [0.5, 0.25]}
    assert "validation RMSE 0.25" in run_state(v).text


@pytest.mark.parametrize("url, link", [("http://127.0.0.1:8731", "http://127.0.0.1:8731/?train.lr=0.1"),
                                       ("http://h:8501/cnn", "http://h:8501/cnn?train.lr=0.1"),
                                       ("http://h:8501/?old=1", "http://h:8501/?train.lr=0.1")])
def test_share_links_keep_the_slash_after_the_host(monkeypatch, url, link):
    """'http://127.0.0.1:8731?data...' lacked its '/' (found by a student walkthrough)."""
    import streamlit as st

    from nnlib.config import RunConfig
    from ui.controls import share_link

    monkeypatch.setattr(type(st.context), "url", property(lambda self: url))
    assert share_link(RunConfig().replace(train={"lr": 0.1})) == link


def test_l1_runs_say_how_many_weights_are_exactly_zero():
    """The L1 registry entry promises exact zeros; the page counts them (live line and final line)."""
    from ui.status_line import status_text

    v = view("finished", 2, epochs=2)
    v.snapshot["history"] = {"zero_weights": [3.0, 94.0]}
    assert "94 weights at exactly 0 (L1)" in run_state(v).text
    assert status_text(v.snapshot, "running")["zero_weights"] == 94
    v.snapshot["history"] = {"zero_weights": [0.0, 0.0]}
    assert "exactly 0" not in run_state(v).text and status_text(v.snapshot, "running")["zero_weights"] == 0


def test_runs_with_dropout_get_the_train_above_validation_note() -> None:
    """A walkthrough student read dropout's train loss above its validation loss as a bug: runs that drop units
    while training say why, on the Playground and the Compare page."""
    from nnlib.config import RunConfig
    from ui.run_controls import has_dropout

    assert has_dropout(RunConfig().replace(model={"dropout": 0.2}).to_dict())
    assert not has_dropout(RunConfig().to_dict())
    cnn = RunConfig.from_dict({"data": {"dataset": "digits"}, "model": {"cnn": {"dense_dropout": 0.5}}})
    assert has_dropout(cnn.to_dict()) and not has_dropout({"model": {"cnn": "junk"}})


def test_a_few_epochs_of_a_small_net_say_their_milliseconds_not_zero_seconds():
    """22 epochs of a class's small preset take ~30 ms of computing: the status line said "0.0 s of training"."""
    v = JobView("j", "running", None, {"epoch": 22, "epochs": 100, "elapsed": 0.0334}, 1, None, None, 0.0, None, None)
    assert "33 ms of training" in run_state(v).text
    v.snapshot["elapsed"] = 12.34
    assert "12.3 s of training" in run_state(v).text


def test_a_queued_or_loading_run_shows_its_planned_epochs_before_its_first_snapshot():
    """Images & CNNs read "Epoch 0 / 0" for ~2 s while the worker loaded torch and the data: the job's plan (its
    payload's, nnlib.validation.run_plan) gives the epochs from the moment it is queued."""
    for status in ("queued", "running"):
        v = JobView("j", status, None, None, 0, None, None, 0.0, None, None, plan={"epochs": 40, "until_paused": False})
        assert run_state(v).text.startswith("Epoch 0 / 40 ·"), run_state(v).text


def test_a_running_run_until_paused_names_its_limit_as_a_limit_not_a_goal():
    """In a class, "Until I pause" (Epochs 60) ran as "Epoch 264 / 1000": the class's limit read as the goal."""
    v = view("running", 264, epochs=1000)
    v.plan = {"epochs": 1000, "until_paused": True, "limit": "class"}  # the snapshot of a class-bounded run
    assert run_state(v).text.startswith("Epoch 264 (until you pause; limit 1,000) ·"), run_state(v).text
    v = view("running", 264, epochs=20_000)
    v.snapshot["until_paused"] = True
    assert run_state(v).text.startswith("Epoch 264 (until you pause; limit 20,000) ·"), run_state(v).text


def test_a_run_says_what_it_prepares_until_its_first_epoch():
    """A fresh worker's first CNN run sat at "Epoch 0 / 8 · 0 ms of training" for ~9 s (PyTorch, the images, the
    network), then jumped: the line says what the worker does until the first epoch is trained."""
    from nnlib.config import RunConfig
    from nnlib.validation import run_plan

    cnn = RunConfig.from_dict({"data": {"dataset": "shapes"}, "train": {"epochs": 8}})
    plan = run_plan(cnn)
    assert plan["preparing"] == "Preparing: loading PyTorch and the shapes images…"
    assert run_plan(RunConfig())["preparing"] == "Preparing: loading the circle data…"  # the fast path needs no torch
    loading = run_state(JobView("j", "running", None, None, 0, None, None, 0.0, None, None, plan=plan)).text
    assert loading.startswith("Epoch 0 / 8 · Preparing: loading PyTorch and the shapes images…") and (
        "of training" not in loading)
    untrained = {"epoch": 0, "epochs": 8, "elapsed": 0.0, "history": {}}  # the worker's first snapshot
    first = run_state(JobView("j", "running", None, untrained, 1, None, None, 0.0, None, None, plan=plan)).text
    assert "Training epoch 1…" in first and "Preparing" not in first
    assert "Training epoch" not in run_state(JobView("j", "paused", None, untrained, 1, None, None, 0.0, None, None,
                                                     plan=plan)).text  # paused: it does nothing
    assert "1.2 s of training" in run_state(view("running", 1)).text  # from the first epoch on: the time again
