"""Learning-rate schedules: how the step size changes over the epochs, as pure functions of the epoch.

Like nanoGPT's `get_lr(it)`: `lr_at(epoch, train_cfg, val_losses)` is the rate of the epoch that follows `epoch`
finished epochs, the same number torch.optim.lr_scheduler would give after `epoch` calls to `step()`. The Trainer
asks it before every epoch and hands the answer to the torch optimizer or the fast kernel alike, so no optimizer
object has to carry the rate. Only "reduce on plateau" depends on more than the epoch: the validation losses so far,
folded through `PlateauState` (torch's ReduceLROnPlateau with its defaults).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from nnlib.registry import Registry

if TYPE_CHECKING:
    from nnlib.config import TrainConfig

SCHEDULES = Registry("schedule")

PLATEAU_THRESHOLD = 1e-4  # ReduceLROnPlateau defaults: mode "min", threshold_mode "rel", cooldown 0, min_lr 0
PLATEAU_EPS = 1e-8  # a reduction smaller than this is skipped, as in torch


@dataclass(frozen=True)
class PlateauState:
    """What ReduceLROnPlateau remembers between epochs: the current rate, the best loss, the epochs since it."""

    lr: float
    best: float = math.inf
    bad_epochs: int = 0

    def after(self, val_loss: float, gamma: float, patience: int) -> PlateauState:
        """The state once an epoch with this validation loss is done. A non-finite loss (no validation split, or
        a diverged run) is not a measurement and changes nothing."""
        if not math.isfinite(val_loss):
            return self
        if val_loss < self.best * (1.0 - PLATEAU_THRESHOLD):
            return replace(self, best=val_loss, bad_epochs=0)
        state = replace(self, bad_epochs=self.bad_epochs + 1)
        if state.bad_epochs > patience:
            new_lr = max(self.lr * gamma, 0.0)
            state = replace(state, lr=new_lr if self.lr - new_lr > PLATEAU_EPS else self.lr, bad_epochs=0)
        return state


def lr_at(epoch: int, t: TrainConfig, val_losses: Sequence[float] = ()) -> float:
    """Learning rate of the epoch after `epoch` finished ones (0: the first epoch's rate is t.lr).

    `val_losses[i]` is epoch i+1's validation loss; only the plateau schedule reads them (the first `epoch`).
    """
    if epoch < 0:
        raise ValueError(f"epoch must be >= 0, got {epoch}")
    return float(SCHEDULES[t.schedule].factory(epoch, t, val_losses))


def _plateau(epoch: int, t: TrainConfig, val_losses: Sequence[float]) -> float:
    state = PlateauState(t.lr)
    for loss in val_losses[:epoch]:
        state = state.after(loss, t.lr_gamma, t.lr_patience)
    return state.lr


_S = SCHEDULES.add
_S("constant", lambda e, t, v: t.lr, "The learning rate never changes.", "lr_t = lr")
_S("step", lambda e, t, v: t.lr * t.lr_gamma ** (e // t.lr_step), "Multiply the rate by gamma every `step size` "
   "epochs.", "lr_t = lr * gamma^floor(t / step)", uses=("lr_step", "lr_gamma"))
_S("exponential", lambda e, t, v: t.lr * t.lr_gamma ** e, "Multiply the rate by gamma after every epoch.",
   "lr_t = lr * gamma^t", uses=("lr_gamma",))
_S("cosine", lambda e, t, v: t.lr * (1.0 + math.cos(math.pi * e / max(1, t.epochs))) / 2.0,
   "Anneal the rate along a half cosine down to 0 at the last epoch.", "lr_t = lr * (1 + cos(pi t / T)) / 2")
_S("plateau", _plateau, "Multiply the rate by gamma when the validation loss has not improved (by more than 0.01% "
   "of the best) for more than `patience` epochs.", "if no improvement for p+1 epochs: lr *= gamma",
   uses=("lr_gamma", "lr_patience"), label="reduce on plateau")
