"""The callback that tells a job's control channel an epoch ended: it offers a way to build the snapshot, and the
channel (nnlib.jobs.control.JobControl) alone decides whether and when to build and send it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nnlib.train.callbacks import Callback, Logs

if TYPE_CHECKING:
    from nnlib.train.trainer import Trainer


class LiveSnapshot(Callback):
    """Offers the state after every epoch, as a builder: a state that is never sent is never built (a snapshot
    costs ~4 ms, an epoch of the default net ~0.3 ms). The final snapshot is the job's to send, once."""

    replayable = True  # offers a builder; only the newest offer is ever built, after the burst

    def __init__(self, offer: Callable[[Callable[[], Any]], None], build: Callable[[Trainer, bool], Any]) -> None:
        self.offer, self.build = offer, build

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        self.offer(lambda: self.build(trainer, False))

    def on_epochs_end(self, trainer: Trainer, first_epoch: int, logs_list: list[Logs]) -> None:
        if logs_list:  # only the newest offer is ever built: one offer for the burst's last epoch
            self.offer(lambda: self.build(trainer, False))
