"""Counts in sentences a student reads take the noun's number: a finished one-epoch run said "all 1 epochs done"."""

from __future__ import annotations

from nnlib.config import RunConfig
from nnlib.words import all_done, count


def test_a_count_is_singular_only_for_one() -> None:
    assert [count(n, "epoch") for n in (0, 1, 2, 10_000)] == ["0 epochs", "1 epoch", "2 epochs", "10,000 epochs"]
    assert count(1.0, "weight") == "1 weight" and count(1, "class", "classes") == "1 class"
    assert all_done(1) == "the 1 epoch is done" and all_done(40) == "all 40 epochs done"


def test_a_finished_one_epoch_run_says_its_epoch_is_done() -> None:
    from nnlib.train.trainer import Trainer

    trainer = Trainer(RunConfig().replace(train={"epochs": 1, "until_paused": False}))
    trainer.run()
    assert (trainer.status, trainer.stop_reason) == ("finished", "the 1 epoch is done")


def test_one_patience_epoch_and_one_zero_weight_are_singular() -> None:
    """Early stopping with patience 1, and L1's count of weights at exactly 0 in the finished run's status line."""
    from nnlib.train.callbacks import EarlyStopping
    from ui.run_controls import final_metrics

    class Model:
        def state_dict(self) -> dict:
            return {}

    class Run:  # what EarlyStopping reads of a trainer
        model = Model()
        reason = ""

        def stop(self, reason: str, status: str) -> None:
            self.reason = reason

    run, stopping = Run(), EarlyStopping(1)
    for epoch, loss in enumerate([0.5, 0.6], start=1):
        stopping.on_epoch_end(run, epoch, {"val_loss": loss})  # type: ignore[arg-type]
    assert "no better val_loss for 1 epoch;" in run.reason
    assert final_metrics({"history": {"zero_weights": [3, 1]}}) == " · 1 weight at exactly 0 (L1)"
