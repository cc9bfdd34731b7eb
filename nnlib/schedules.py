"""Learning-rate schedules: how the step size changes over the epochs."""

from __future__ import annotations

from typing import Any

from nnlib.registry import Registry

SCHEDULES = Registry("schedule")


def _constant(opt: Any, epochs: int, step_size: int, gamma: float, patience: int) -> Any:
    return None


def _step(opt: Any, epochs: int, step_size: int, gamma: float, patience: int) -> Any:
    import torch

    return torch.optim.lr_scheduler.StepLR(opt, step_size=step_size, gamma=gamma)


def _exponential(opt: Any, epochs: int, step_size: int, gamma: float, patience: int) -> Any:
    import torch

    return torch.optim.lr_scheduler.ExponentialLR(opt, gamma=gamma)


def _cosine(opt: Any, epochs: int, step_size: int, gamma: float, patience: int) -> Any:
    import torch

    return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, epochs))


def _plateau(opt: Any, epochs: int, step_size: int, gamma: float, patience: int) -> Any:
    import torch

    return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=gamma, patience=patience)


_S = SCHEDULES.add
_S("constant", _constant, "The learning rate never changes.", "lr_t = lr")
_S("step", _step, "Multiply the rate by gamma every `step size` epochs.", "lr_t = lr * gamma^floor(t / step)",
   uses=("lr_step", "lr_gamma"))
_S("exponential", _exponential, "Multiply the rate by gamma after every epoch.", "lr_t = lr * gamma^t",
   uses=("lr_gamma",))
_S("cosine", _cosine, "Anneal the rate along a half cosine down to 0 at the last epoch.",
   "lr_t = lr * (1 + cos(pi t / T)) / 2")
_S("plateau", _plateau, "Multiply the rate by gamma when the validation loss stops improving for `patience` epochs.",
   "if no improvement for p epochs: lr *= gamma", uses=("lr_gamma", "lr_patience"), label="reduce on plateau")
