"""Lab 10.4's numbers: the three rates really are slow / good / divergent on the lab's problem, and every
schedule's planned curve is the rate the Trainer used, epoch by epoch."""

from __future__ import annotations

import math

import pytest

from nnlib.labs.lr_lab import (
    CHANCE_LOSS,
    lr_problem,
    outcome,
    planned_rates,
    rate_group,
    schedule_group,
    verdict,
    verdict_label,
)
from nnlib.train.trainer import Trainer
from ui.labs.train_plots import PATCHERS


def train_losses(cfg):
    t = Trainer(cfg)
    t.run()
    return t.history.columns


def test_too_small_is_slow_good_converges_too_large_diverges():
    configs, labels = rate_group(lr_problem(epochs=100), (0.001, 0.3, 10.0))
    assert labels == ["lr = 0.001", "lr = 0.3", "lr = 10"]
    assert [c.train.lr for c in configs] == [0.001, 0.3, 10.0]
    assert len({(c.train.seed, c.data.seed, c.model.hidden) for c in configs}) == 1
    losses = [train_losses(c)["train_loss"] for c in configs]
    assert [verdict(v) for v in losses] == ["slow", "converges", "diverges"]
    small, good, large = (v[-1] for v in losses)
    assert good < 0.05 < small and large > losses[2][0] > small  # the large rate ends above where it began


def test_the_legend_says_what_each_run_did_not_the_role_its_slider_had():
    """Three rates a student picked so that the largest converges too: the legend must not call 0.5 "too large"
    (it did, from a fixed list of roles); each entry gets the verdict of its own curve once the run has ended."""
    configs, labels = rate_group(lr_problem(epochs=30), (0.01, 0.1, 0.5))
    assert labels == ["lr = 0.01", "lr = 0.1", "lr = 0.5"]
    runs = [{"label": label, "status": "finished", "history": train_losses(c)} for c, label in zip(configs, labels)]
    names = [p["name"] for p in PATCHERS["lab_rates"]({"runs": runs}, {})["loss"].values()]
    assert names == ["lr = 0.01 · slow", "lr = 0.1 · converges", "lr = 0.5 · converges"]
    running = [{**r, "status": "running"} for r in runs]
    assert [p["name"] for p in PATCHERS["lab_rates"]({"runs": running}, {})["loss"].values()] == labels


def test_verdict_label_waits_for_the_end_except_for_a_blow_up():
    assert verdict_label("lr = 10", [0.7, 3.0], ended=False) == "lr = 10"
    assert verdict_label("lr = 10", [0.7, 3.0], ended=True) == "lr = 10 · diverges"
    assert verdict_label("lr = 10", [0.7, None], ended=False) == "lr = 10 · diverges"  # a NaN stops it at once
    assert verdict_label("lr = 1", [], ended=True) == "lr = 1"


def test_verdict_and_outcome_sentences():
    assert verdict([1.0, 0.8, 0.6]) == "slow"
    assert verdict([1.0, 0.4, 0.1]) == "converges"
    assert verdict([1.0, 2.0, 1.5]) == "diverges"
    assert verdict([1.0, None]) == "diverges"  # a NaN loss is stored as None
    assert verdict([1.0, math.inf]) == "diverges"
    assert verdict([]) == "no epoch yet"
    assert outcome("lr = 10", [0.87, 5.2]) == "**lr = 10**: diverges (training loss 0.87 → 5.2)."


@pytest.mark.parametrize(("schedule", "expected"), [
    ("constant", lambda e: 0.3),
    ("step", lambda e: 0.3 * 0.3 ** (e // 25)),
    ("exponential", lambda e: 0.3 * 0.01 ** (e / 100)),
    ("cosine", lambda e: 0.3 * (1 + math.cos(math.pi * e / 100)) / 2),
])
def test_planned_rates_follow_the_lecture_formulas(schedule, expected):
    [cfg], _ = schedule_group(lr_problem(epochs=100), [schedule], 0.3)
    plan = planned_rates(cfg)
    assert len(plan) == 100
    assert plan == pytest.approx([expected(e) for e in range(100)])


def test_the_trainer_uses_the_planned_rates_and_plateau_reacts_to_the_losses():
    configs, labels = schedule_group(lr_problem(epochs=40), ["step", "plateau"], 0.3)
    configs = [c.replace(train={"lr_step": 10, "lr_patience": 2}) for c in configs]
    assert labels == ["step", "plateau"]
    step_cols, plateau_cols = (train_losses(c) for c in configs)
    assert step_cols["lr"] == pytest.approx(planned_rates(configs[0]))
    assert planned_rates(configs[1]) == [0.3] * 40  # no validation loss seen: no plateau yet
    assert plateau_cols["lr"] == pytest.approx(planned_rates(configs[1], plateau_cols["val_loss"]))
    assert min(plateau_cols["lr"]) < 0.3  # the circle's validation loss stalls within 40 epochs


def test_rates_in_any_order_train_listed_from_the_smallest_up():
    """The lab refused rates out of order with 'Cannot compute this' (walkthrough); the order changes nothing."""
    from nnlib.labs.settings import lab_problems
    from nnlib.labs.train_settings import LearningRateLab

    configs, labels = rate_group(lr_problem(epochs=10), (1.0, 0.1, 10.0))
    assert labels == ["lr = 0.1", "lr = 1", "lr = 10"] and [c.train.lr for c in configs] == [0.1, 1.0, 10.0]
    assert lab_problems(LearningRateLab(small=1.0, good=0.1, large=10.0)) == []
    [same] = lab_problems(LearningRateLab(small=0.3, good=0.3, large=10.0))
    assert "both 0.3" in same and "move one of those sliders" in same
    [one] = lab_problems(LearningRateLab(experiment="schedules", schedules=("step",)))
    assert one.startswith("only one schedule is picked: pick at least two")


def test_a_flat_curve_is_stuck_not_diverging():
    # the walkthrough: the initialization lab's zeros and small-normal nets stay at ln 2 and the legend said
    # "diverges" (0.6932 ended a hair above 0.6931); a curve that did not move either way is "stuck"
    assert verdict([0.6931, 0.6932, 0.6932]) == "stuck"
    assert verdict([0.6931, 0.6925, 0.6920]) == "stuck"
    assert verdict_label("initializer = zeros", [0.6931, 0.6932], ended=True) == "initializer = zeros · stuck"
    assert verdict([0.69, 0.75]) == "diverges" and verdict([0.69, 0.6]) == "slow"


def test_a_run_that_blew_up_in_its_first_epoch_reads_diverges_not_slow():
    """lr = 10 stopped after 34 epochs (a walkthrough): training loss 4.12 -> 3.92 read "slow", the same word as
    lr = 0.001's crawl, because it was judged against its own first epoch, already far above chance (ln 2)."""
    blown = [4.12, 5.0, 3.7, 4.4, 3.92]
    assert verdict(blown, CHANCE_LOSS) == "diverges"
    assert verdict_label("lr = 10", blown, ended=True, chance=CHANCE_LOSS) == "lr = 10 · diverges"
    sentence = outcome("lr = 10", blown, CHANCE_LOSS, stopped=True)
    assert sentence == ("**lr = 10**: stopped after 5 epochs, so far diverges (training loss 4.12 → 3.92, worse "
                        "than guessing: 0.693).")
    crawl = [0.736, 0.73, 0.72, 0.71]  # lr = 0.001 after 40 epochs: above chance but falling, still "slow"
    assert verdict(crawl, CHANCE_LOSS) == verdict(crawl) == "slow"
    assert verdict([0.6931, 0.6932], CHANCE_LOSS) == "stuck"  # at chance, not blown up
    assert verdict([0.5, 0.2, 0.05], CHANCE_LOSS) == "converges"


def test_at_the_labs_defaults_every_schedule_settles_below_the_too_large_constant_rate():
    """The intro says schedules take large steps first, then settle. At the old defaults (lr_0 0.3, one gamma 0.5
    for all) the constant rate won (0.000336), plateau never dropped its rate and exponential was stuck "slow"
    (a walkthrough). At the defaults the constant rate must be too large to settle, every schedule must end far
    below it, and reduce-on-plateau must really reduce."""
    from nnlib.labs.train_settings import LearningRateLab

    lab = LearningRateLab()
    configs, labels = schedule_group(lr_problem(lab.epochs, lab.seed), lab.schedules, lab.schedule_lr)
    cols = dict(zip(labels, (train_losses(c) for c in configs), strict=True))
    constant = cols.pop("constant")["train_loss"]
    assert constant[-1] > 5 * min(constant)  # it got low once and bounced back up: too large to settle
    for label, c in cols.items():
        assert c["train_loss"][-1] < constant[-1] / 5, label
        assert verdict(c["train_loss"], CHANCE_LOSS) == "converges", label
    assert min(cols["plateau"]["lr"]) < lab.schedule_lr / 2  # its rate did drop
