"""Lab 10.4, learning rate and schedules: the same problem trained at three rates (by default one slow, one that
converges and one that diverges; the legend says which each run did) as one group run, and each schedule's
planned rate (nnlib.schedules.lr_at) beside the loss it gives. Builds the group's configs and judges the curves;
training goes through the job pool (nnlib.compare.group)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nnlib.config import RunConfig
from nnlib.schedules import lr_at

FLAT = 0.02  # a loss that ends within 2% of where it began did not move: "stuck" (e.g. at ln 2), neither way
SLOW_DROP = 0.5  # a run whose loss has not even halved from its first epoch learns too slowly to wait for
# The lab's problem has two balanced classes: guessing 50/50 costs ln 2. A run that ends at half as much again
# (worse than guessing) has blown up, whatever its first epoch was: at lr = 10 the first epoch had already blown up
# (4.12) and a later 3.92 read "slow", lr = 0.001's word (a walkthrough, stopped after 34 epochs).
CHANCE_LOSS = math.log(2)
WORSE_THAN_CHANCE = 1.5


def lr_problem(epochs: int = 100, seed: int = 0) -> RunConfig:
    """The lab's one problem: TF Playground's circle, a 2-8-8-1 tanh net, plain SGD on mini-batches of 10, watched
    at the Playground's normal pace so the three curves visibly race."""
    return RunConfig().replace(
        data={"dataset": "circle", "n_samples": 500, "seed": seed},
        model={"hidden": (8, 8), "activation": "tanh", "initializer": "xavier_uniform"},
        train={"optimizer": "sgd", "batch_size": 10, "epochs": epochs, "until_paused": False, "speed": "normal",
               "seed": seed, "schedule": "constant"})


def rate_group(base: RunConfig, rates: Sequence[float]) -> tuple[list[RunConfig], list[str]]:
    """One config per learning rate (same seed, data, net): the group's configs and their legend labels.

    A label names the value only ("lr = 10"): what the rate does is read off its curve once it has run
    (`verdict_label`). A role given in advance ("too large") stayed on the legend even when a student's values made
    the "too large" run converge (a walkthrough saw it). The rates come in any order and the runs are listed from
    the smallest up: the lab refused rates out of order ("Cannot compute this"), while the order changes nothing."""
    ordered = sorted(float(r) for r in rates)
    configs = [base.replace(train={"lr": r}) for r in ordered]
    return configs, [f"lr = {r:g}" for r in ordered]


SCHEDULE_END = 0.01  # exponential decay reaches 1% of lr_0 at the last epoch


def schedule_settings(schedule: str, epochs: int) -> dict[str, float]:
    """Each schedule's own decay, scaled to the run's length so each really decays within it. With the TrainConfig
    defaults shared by all (gamma 0.5), exponential was down to 0.1% of its rate after ten epochs and stuck "slow",
    while the plateau's rate never dropped in 100 epochs: no schedule beat the constant rate (a walkthrough)."""
    return {"step": {"lr_step": max(1, epochs // 4), "lr_gamma": 0.3},
            "exponential": {"lr_gamma": SCHEDULE_END ** (1.0 / epochs)},
            "plateau": {"lr_patience": 10, "lr_gamma": 0.5}}.get(schedule, {})


def schedule_group(base: RunConfig, schedules: Sequence[str], lr: float) -> tuple[list[RunConfig], list[str]]:
    """One config per schedule, all starting at `lr`, each with its own decay (`schedule_settings`)."""
    configs = [base.replace(train={"lr": float(lr), "schedule": s, **schedule_settings(s, base.train.epochs)})
               for s in schedules]
    return configs, [s.replace("_", " ") for s in schedules]


def planned_rates(cfg: RunConfig, val_losses: Sequence[float] = ()) -> list[float]:
    """The rate of every epoch 1..epochs as the Trainer will set it (lr_at after 0, 1, ... finished epochs).

    Reduce-on-plateau depends on the validation losses: without them its plan is flat (no plateau seen yet)."""
    return [lr_at(e, cfg.train, val_losses) for e in range(cfg.train.epochs)]


def verdict(losses: Sequence[float | None], chance: float | None = None) -> str:
    """'diverges' (the loss ends clearly above where it began, or blows up), 'stuck' (it ends within FLAT of where it
    began: a flat curve, such as a zero-initialized net's at ln 2, must not read as a blow-up), 'slow' (it has not
    halved) or 'converges', all against the first epoch's loss. With `chance` (the loss of guessing, CHANCE_LOSS) a
    curve that ends above WORSE_THAN_CHANCE x chance diverged too: one epoch can already have blown up."""
    seen = [v for v in losses if v is not None]
    if not seen:
        return "no epoch yet"
    first, last = seen[0], seen[-1]
    if chance is not None and last > WORSE_THAN_CHANCE * chance:
        return "diverges"
    if any(not math.isfinite(v) for v in seen) or len(seen) < len(losses) or last > first * (1 + FLAT):
        return "diverges"
    if last >= first * (1 - FLAT):
        return "stuck"
    return "slow" if last > SLOW_DROP * first else "converges"


def verdict_label(label: str, losses: Sequence[float | None], ended: bool, chance: float | None = None) -> str:
    """A legend entry that says what the run did: 'lr = 10 · diverges' once it has ended (or blown up: a diverged
    run stops at once), the bare label while it trains (a curve that has not finished is no verdict yet)."""
    if any(v is None or not math.isfinite(v) for v in losses):
        return f"{label} · diverges"
    return f"{label} · {verdict(losses, chance)}" if ended and losses else label


def outcome(label: str, losses: Sequence[float | None], chance: float | None = None, stopped: bool = False) -> str:
    """One sentence per finished run: 'lr = 10: diverges (training loss 0.87 -> 5.2).' A stopped run says so and
    after how many epochs: its verdict is of the curve so far."""
    seen = [v for v in losses if v is not None]
    if not seen:
        return f"**{label}**: no finished epoch."
    worse = chance is not None and seen[-1] > WORSE_THAN_CHANCE * chance
    above = f", worse than guessing: {chance:.3g}" if worse else ""
    so_far = f"stopped after {len(seen)} epochs, so far " if stopped else ""
    return f"**{label}**: {so_far}{verdict(losses, chance)} (training loss {seen[0]:.3g} → {seen[-1]:.3g}{above})."
