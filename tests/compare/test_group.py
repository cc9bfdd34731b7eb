"""The group run: lockstep variants give exactly the histories of training each alone with the same seed, and the
group obeys one control (pause/step/stop) and its cost bound."""

from __future__ import annotations

import threading

import pytest

from nnlib.compare import VariantError, variant_labels, variants
from nnlib.compare.group import group_payload, group_problems, run_group
from nnlib.config import CNNSpec, RunConfig
from nnlib.jobs.control import JobControl
from nnlib.train.trainer import Trainer

BASE = RunConfig().replace(model={"hidden": (8, 8)},
                           train={"epochs": 6, "until_paused": False, "speed": "fast", "batch_size": 25})


def _alone(cfg: RunConfig) -> dict:
    trainer = Trainer(cfg)
    trainer.run()
    return trainer.history.columns


def _group(configs: list[RunConfig], field: str) -> tuple[dict, JobControl]:
    ctl = JobControl(min_interval=0.0)
    result = run_group(group_payload(configs, variant_labels(field, configs)), ctl)
    assert ctl.latest["final"] and ctl.latest["kind"] == "group"
    assert result["statuses"] == ["finished"] * len(configs)
    return ctl.latest, ctl


@pytest.mark.parametrize("field,values", [("dropout", [0.0, 0.2, 0.5]),  # autograd path, dropout draws RNG
                                          ("optimizer", ["sgd", "adam"])])  # the numba fast path
def test_group_histories_equal_training_each_alone(field: str, values: list) -> None:
    configs = variants(BASE, field, values)
    snap, _ = _group(configs, field)
    assert [r["label"] for r in snap["runs"]] == variant_labels(field, configs)
    for cfg, run in zip(configs, snap["runs"], strict=True):
        alone = _alone(cfg)
        for key in ("train_loss", "val_loss", "val_accuracy", "test_loss"):
            assert run["history"][key] == alone[key], (field, cfg, key)
        assert run["status"] == "finished" and run["epoch"] == 6


def test_group_of_conv_nets_equals_each_alone() -> None:
    cnn = RunConfig().replace(data={"dataset": "digits", "n_samples": 300},
                              model={"cnn": CNNSpec(dense=(16,), dense_dropout=0.0)},
                              train={"epochs": 2, "batch_size": 64, "optimizer": "adam", "lr": 0.01})
    configs = variants(cnn, "dense_dropout", [0.0, 0.5])
    snap, _ = _group(configs, "dense_dropout")
    for cfg, run in zip(configs, snap["runs"], strict=True):
        assert run["history"]["val_loss"] == _alone(cfg)["val_loss"]


def test_stop_and_pause_apply_to_the_whole_group() -> None:
    configs = variants(BASE.replace(train={"epochs": 5000}), "lr", [0.01, 0.1])
    ctl = JobControl(min_interval=0.0, paused=True)
    done: dict = {}
    worker = threading.Thread(target=lambda: done.update(run_group(group_payload(configs, ["a", "b"]), ctl)))
    worker.start()
    while ctl.holds < 1:  # paused before the first epoch
        worker.join(0.01)
    assert [r["epoch"] for r in ctl.latest["runs"]] == [0, 0]
    ctl.apply("step")
    while ctl.holds < 2:
        worker.join(0.01)
    assert [r["epoch"] for r in ctl.latest["runs"]] == [1, 1]  # one step = one epoch of every variant
    ctl.apply("stop")
    worker.join(30)
    assert done["statuses"] == ["stopped", "stopped"]
    assert ctl.latest["final"] and ctl.latest["status"] == "stopped"
    assert [r["epoch"] for r in ctl.latest["runs"]] == [1, 1]


def test_group_is_bounded_and_costed_as_a_sum() -> None:
    assert "2 to 6 runs" in group_problems([BASE])[0]
    assert "2 to 6 runs" in group_problems([BASE] * 7)[0]
    alone_ok = RunConfig().replace(data={"n_samples": 20000}, model={"hidden": (64, 64), "dropout": 0.1},
                                   train={"epochs": 100, "batch_size": 1, "until_paused": False})
    assert alone_ok.validate() == []
    problems = group_problems([alone_ok] * 6)
    assert problems and "minutes of CPU time" in problems[0]
    with pytest.raises(VariantError, match="labels"):
        group_payload([BASE, BASE.replace(train={"lr": 0.1})], ["only one"])


def test_a_group_of_fixed_epochs_is_bounded_and_one_open_ended_run_makes_it_run_until_paused() -> None:
    """The group's status line reads "Epoch N / E" when every run has a fixed number of epochs (the Epochs knob
    too: E is the longest run's), and "runs until you pause or stop" only when one of them is open-ended."""
    from nnlib.validation import run_epochs

    snap, _ = _group(variants(BASE, "epochs", [2, 4]), "epochs")
    assert (snap["until_paused"], snap["epochs"]) == (False, 4)
    assert [(r["epochs"], r["epoch"], r["until_paused"]) for r in snap["runs"]] == [(2, 2, False), (4, 4, False)]

    open_base = BASE.replace(train={"until_paused": True})  # constant lr: until I pause; cosine: its 6 epochs
    configs = variants(open_base, "schedule", ["constant", "cosine"])
    assert [c.open_ended for c in configs] == [True, False]
    ctl = JobControl(min_interval=0.0, paused=True)
    worker = threading.Thread(target=run_group, args=(group_payload(configs, ["a", "b"]), ctl))
    worker.start()
    while ctl.holds < 1:
        worker.join(0.01)
    first = ctl.latest
    ctl.apply("stop")
    worker.join(30)
    assert first["until_paused"] is True and first["epochs"] == run_epochs(configs[0])  # the open run's limit
    assert [r["until_paused"] for r in first["runs"]] == [True, False]


def test_a_waiting_group_announces_its_epochs_and_what_it_prepares():
    """A lab's group sat at "Epoch 0 / 0 · 0 ms of training · running" for 10 s and more while its worker loaded
    PyTorch and the data: the group had no plan, so the status line knew neither the total nor the stage."""
    from ui.status_line import status_text

    configs = [BASE.replace(train={"epochs": 15}), BASE.replace(train={"epochs": 15, "lr": 0.1})]
    plan = group_payload(configs, ["a", "b"])["plan"]
    running = status_text(None, "running", None, plan)
    assert running["epochs"] == 15 and running["epoch"] == 0
    assert running["stage"].startswith("Preparing 2 runs: loading") and "circle" in running["stage"]
    queued = status_text(None, "queued", 3, plan)
    assert (queued["epochs"], queued["queue"], queued["status"]) == (15, 3, "queued")
