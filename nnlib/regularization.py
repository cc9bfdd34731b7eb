"""Penalties on the weights: added to the data loss and logged as their own term, so plots can show the trade-off.

L1 also clamps, as TF Playground does: plain subgradient steps hop across 0 and never land on it, so a weight whose
sign flips in an update is set to exactly 0 instead (`clamp_sign_flips`). The fast MLP kernel applies the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from nnlib.registry import Registry

if TYPE_CHECKING:
    import numpy as np
    import torch

REGULARIZERS = Registry("regularizer")
REGULARIZERS.add("l1", lambda w: w.abs().sum(), "L1 (lasso): adds l1 * sum|w| to the loss, and a weight whose sign "
                 "flips in an update is set to exactly 0 (as in TF Playground), so many weights end at exactly 0: "
                 "a sparse net.", "penalty = l1 * sum |w|; after each step, if sign(w_new) = -sign(w_old): w_new = 0")
REGULARIZERS.add("l2", lambda w: 0.5 * (w * w).sum(), "L2 (ridge, weight decay): shrinks all weights towards 0, "
                 "a smoother function.", "penalty = (l2 / 2) * sum w^2")
REGULARIZERS.add("dropout", lambda w: 0.0, "Dropout: during training each hidden unit is zeroed with "
                 "probability p (and the rest scaled by 1/(1-p)); off at evaluation.",
                 "h = mask * h / (1 - p), mask ~ Bernoulli(1-p)")
REGULARIZERS.add("early_stopping", lambda w: 0.0, "Early stopping: stop when the validation loss has not improved "
                 "for `patience` epochs and restore the best weights.", "stop if no new best val loss for p epochs")


def weight_tensors(model: torch.nn.Module) -> list[torch.Tensor]:
    """The weights L1/L2 and AdamW's decay apply to: Linear and Conv kernels, never biases or norm scales."""
    from torch import nn

    return [m.weight for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]


def penalty(weights: Iterable[Any], l1: float, l2: float) -> Any:
    """The regularization term for a list of weight tensors (biases are not penalized)."""
    total: Any = 0.0
    for w in weights:
        if l1:
            total = total + l1 * REGULARIZERS["l1"].factory(w)
        if l2:
            total = total + l2 * REGULARIZERS["l2"].factory(w)
    return total


def clamp_sign_flips(weights: Sequence[torch.Tensor], before: Sequence[torch.Tensor]) -> None:
    """L1's clamp: every weight whose sign is now opposite to its sign `before` the step becomes exactly 0.

    Compared through signs, not the product, so tiny weights whose product would underflow are still caught.
    """
    import torch

    with torch.no_grad():
        for w, old in zip(weights, before, strict=True):
            w.masked_fill_(torch.sign(w) * torch.sign(old) < 0, 0.0)


def count_zeros(weights: Iterable[torch.Tensor | np.ndarray]) -> int:
    """How many weights are exactly 0: the dead connections an L1 run produces. Counted by numpy where it can (the
    fast path passes its numpy views): torch ops on tiny tensors cost ~5-10 us each, per layer and epoch."""
    import numpy as np

    total = 0
    for w in weights:
        if isinstance(w, np.ndarray) or w.device.type == "cpu":
            a = w if isinstance(w, np.ndarray) else w.detach().numpy()
            total += a.size - int(np.count_nonzero(a))
        else:
            total += w.numel() - int(w.count_nonzero())
    return total
