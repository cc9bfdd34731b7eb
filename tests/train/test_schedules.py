"""Schedules are pure functions of the epoch (and, for plateau, of the validation losses), equal to the rates
torch.optim.lr_scheduler gives for the same settings: torch is the oracle."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.config import RunConfig, TrainConfig
from nnlib.schedules import SCHEDULES, lr_at
from nnlib.train.trainer import Trainer


def torch_rates(t: TrainConfig, val_losses: list[float]) -> list[float]:
    """The rate torch uses in each epoch: a one-parameter SGD stepped by the matching torch scheduler."""
    if t.schedule == "plateau" and t.lr_gamma >= 1.0:  # torch refuses factor 1.0; a factor of 1 changes nothing
        return [t.lr] * len(val_losses)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=t.lr)
    sched = torch.optim.lr_scheduler
    scheduler = {"constant": lambda: None,
                 "step": lambda: sched.StepLR(opt, step_size=t.lr_step, gamma=t.lr_gamma),
                 "exponential": lambda: sched.ExponentialLR(opt, gamma=t.lr_gamma),
                 "cosine": lambda: sched.CosineAnnealingLR(opt, T_max=t.epochs),
                 "plateau": lambda: sched.ReduceLROnPlateau(opt, factor=t.lr_gamma, patience=t.lr_patience)}[
        t.schedule]()
    rates = []
    for loss in val_losses:
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        if isinstance(scheduler, sched.ReduceLROnPlateau):
            scheduler.step(loss)
        elif scheduler is not None:
            scheduler.step()
    return rates


# losses that improve, stall, tie within torch's 1e-4 relative threshold and jump: what a plateau schedule meets
val_loss_steps = st.lists(st.sampled_from([-0.2, -0.01, -0.00005, 0.0, 0.00005, 0.01, 0.3]), min_size=1,
                          max_size=300)


@settings(max_examples=150, deadline=None)
@given(schedule=st.sampled_from(SCHEDULES.names()), lr=st.floats(1e-5, 10.0), gamma=st.floats(0.01, 1.0),
       step=st.integers(1, 40), patience=st.integers(1, 12), steps=val_loss_steps)
def test_lr_at_equals_torch_schedulers(schedule: str, lr: float, gamma: float, step: int, patience: int,
                                       steps: list[float]) -> None:
    losses, loss = [], 1.0
    for delta in steps:
        loss = max(1e-3, loss * (1.0 + delta))
        losses.append(loss)
    t = TrainConfig(schedule=schedule, lr=lr, lr_gamma=gamma, lr_step=step, lr_patience=patience,
                    epochs=len(losses))
    expected = torch_rates(t, losses)
    ours = [lr_at(e, t, losses) for e in range(len(losses))]
    for e, (a, b) in enumerate(zip(ours, expected, strict=True)):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12 * lr), (e, a, b)


def test_plateau_with_gamma_1_keeps_the_rate_and_trains() -> None:
    """lr_gamma may be 1.0 (its upper bound); torch's ReduceLROnPlateau refuses that factor, which failed such runs."""
    from nnlib.train.trainer import Trainer

    t = TrainConfig(schedule="plateau", lr=0.1, lr_gamma=1.0, lr_patience=1)
    assert lr_at(6, t, [1.0] * 6) == 0.1
    cfg = RunConfig().replace(train={"schedule": "plateau", "lr_gamma": 1.0, "lr_patience": 1, "epochs": 4})
    for fast in (True, False):
        trainer = Trainer(cfg, fast=fast)
        trainer.run()
        assert trainer.status == "finished"
        assert trainer.history.column("lr") == pytest.approx([cfg.train.lr] * 4)


def test_plateau_ignores_epochs_without_a_validation_loss() -> None:
    t = TrainConfig(schedule="plateau", lr=0.1, lr_gamma=0.5, lr_patience=1)
    assert lr_at(5, t, [math.nan] * 5) == 0.1
    assert lr_at(4, t, [1.0, 1.0, 1.0, 1.0]) == 0.05  # the third epoch without improvement halves it


def test_lr_at_reads_only_the_finished_epochs() -> None:
    t = TrainConfig(schedule="plateau", lr=0.1, lr_gamma=0.5, lr_patience=1)
    assert lr_at(2, t, [1.0, 1.0, 1.0, 1.0]) == 0.1
    with pytest.raises(ValueError):
        lr_at(-1, t)


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("schedule", ["step", "cosine", "plateau"])
def test_trainer_uses_lr_at_every_epoch(schedule: str, fast: bool) -> None:
    cfg = RunConfig().replace(train={"schedule": schedule, "epochs": 15, "lr": 0.2, "lr_step": 4, "lr_gamma": 0.5,
                                     "lr_patience": 1})
    trainer = Trainer(cfg, fast=fast)
    trainer.run()
    val_losses = trainer.history.column("val_loss")
    assert trainer.history.column("lr") == [lr_at(e, cfg.train, val_losses) for e in range(15)]
