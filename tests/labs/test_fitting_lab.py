"""Lab 10.5's numbers on its own setup: the validation loss is U-shaped in the width while the training loss falls,
more data closes the gap, and every remedy ends with a lower validation loss than the overfitting baseline."""

from __future__ import annotations

import pytest

from nnlib.compare.variants import config_diff
from nnlib.labs.fitting_lab import (
    REMEDIES,
    best_index,
    capacity_group,
    data_group,
    final_losses,
    overfit_problem,
    remedy_config,
    remedy_group,
    remedy_verdict,
    sweep_points,
)
from nnlib.labs.train_settings import FittingLab
from nnlib.train.trainer import Trainer

DEFAULTS = FittingLab()  # the strengths the page starts with
STRENGTH = {"l2": DEFAULTS.l2, "l1": DEFAULTS.l1, "dropout": DEFAULTS.dropout, "early_stopping": DEFAULTS.patience,
            "more_data": DEFAULTS.more_data}


def ends(configs):
    """Each config trained alone: its (train, validation) loss at the last epoch, as a group snapshot holds them."""
    runs = []
    for c in configs:
        t = Trainer(c)
        t.run()
        runs.append({"history": t.history.columns})
    return sweep_points(runs)


def test_capacity_sweep_gives_the_u_shaped_validation_curve():
    configs, labels = capacity_group(overfit_problem(), [1, 4, 16, 128])
    assert labels == [f"Width (every hidden layer) = {w}" for w in (1, 4, 16, 128)]
    assert [c.model.hidden for c in configs] == [(1, 1), (4, 4), (16, 16), (128, 128)]
    train, val = ends(configs)
    assert train == sorted(train, reverse=True)  # more capacity, better fit of the training set
    bottom = best_index(val)
    assert bottom not in (0, len(val) - 1)  # underfit on the left, overfit on the right
    assert val[-1] > 2 * val[bottom] and train[-1] < 0.01  # the widest memorizes: training ~0, validation up


def test_more_data_closes_the_gap():
    configs, labels = data_group(overfit_problem(), [50, 800])
    assert labels == ["examples = 50", "examples = 800"]  # the page says "examples" (walkthrough)
    (train_few, train_many), (val_few, val_many) = ends(configs)
    assert val_few - train_few > 1.0 and val_many - train_many < 0.3
    assert train_many > train_few  # harder to memorize, ...
    assert val_many < val_few / 2  # ... better on unseen points


def test_each_remedy_changes_one_thing_and_beats_the_baseline():
    """At the lab's default strengths (the page's): dropout 0.3 ended ABOVE the baseline (1.49 vs 1.30), so the
    remedies chart contradicted its own sentence; at 0.6 it ends at 0.91."""
    base = overfit_problem()
    configs, labels = remedy_group(base, REMEDIES, STRENGTH)
    assert labels == ["baseline", "L2 0.01", "L1 0.001", "dropout 0.6", "early stopping 20 epochs", "more data x8"]
    expected = ["train.l2", "train.l1", "model.dropout", "train.patience", "data.n_samples"]
    assert [config_diff([base, c]) for c in configs[1:]] == [[e] for e in expected]
    assert configs[-1].data.n_samples == 800
    _, val = ends(configs)
    assert all(v < val[0] for v in val[1:]), val


def test_unknown_remedy_and_reading_runs():
    with pytest.raises(ValueError, match="unknown remedy"):
        remedy_config(overfit_problem(), "magic", {"magic": 1.0})
    runs = [{"history": {"train_loss": [0.9, 0.5], "val_loss": [0.8, None]}}, {"history": {}}]
    assert final_losses(runs[0]) == (0.5, 0.8)  # a None (NaN) epoch is skipped
    assert sweep_points(runs) == ([0.5, None], [0.8, None])
    assert best_index([None, 0.7, 0.3, 0.9]) == 2 and best_index([None]) is None


def _run(label: str, val: list[float | None], **extra: object) -> dict:
    return {"label": label, "history": {"val_loss": val}, **extra}


def test_a_remedy_verdict_says_where_its_validation_curve_was_above_the_baselines():
    """Dropout's curve sits above the baseline's in the first epochs and below later: the sentence says so,
    never 'below at every epoch' (the fixed text claimed that for every remedy)."""
    base = _run("baseline", [0.5, 0.45, 0.5, 0.7, 0.9, 1.2])
    dropout = _run("dropout 0.6", [0.6, 0.5, 0.45, 0.5, 0.6, 0.7])
    text = remedy_verdict(base, dropout)
    assert text.startswith("**dropout 0.6**:") and "at or above the baseline's for the first 2 epochs" in text
    assert "below it at every epoch from epoch 3 on" in text and "0.7 against the baseline's 1.2" in text
    flicker = _run("dropout 0.5", [0.6, 0.4, 0.55, 0.5, 0.6, 0.7])
    assert "at 2 of the first 3 epochs" in remedy_verdict(base, flicker)
    l2 = _run("L2 0.01", [0.4, 0.4, 0.4, 0.4, 0.4, 0.4])
    assert "stays below the baseline's at every epoch" in remedy_verdict(base, l2)
    weak = _run("dropout 0.1", [0.4, 0.5, 0.6, 0.8, 1.0, 1.3])
    text = remedy_verdict(base, weak)
    assert "ends at or above the baseline's" in text and "below at 1 of 6 epochs" in text
    assert "does not help" in text


def test_an_early_stopped_remedy_is_judged_by_the_weights_it_kept():
    base = _run("baseline", [0.5, 0.45, 0.5, 0.7, 0.9, 1.2])
    early = _run("early stopping 2 epochs", [0.5, 0.42, 0.5, 0.6], status="early_stopped", best_epoch=2)
    text = remedy_verdict(base, early)
    assert "stopped at epoch 4 and kept the weights of epoch 2" in text and "0.42: lower than" in text
    assert "1.2 at its last epoch (6)" in text
    assert "no validation loss" in remedy_verdict(base, _run("L1", [None]))
