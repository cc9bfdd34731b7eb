"""Penalties on the weights: added to the data loss and logged as their own term, so plots can show the trade-off."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nnlib.registry import Registry

REGULARIZERS = Registry("regularizer")
REGULARIZERS.add("l1", lambda w: w.abs().sum(), "L1 (lasso): pushes many weights to exactly 0, a sparse net.",
                 "penalty = l1 * sum |w|")
REGULARIZERS.add("l2", lambda w: 0.5 * (w * w).sum(), "L2 (ridge, weight decay): shrinks all weights towards 0, "
                 "a smoother function.", "penalty = (l2 / 2) * sum w^2")
REGULARIZERS.add("dropout", lambda w: 0.0, "Dropout: during training each hidden unit is zeroed with "
                 "probability p (and the rest scaled by 1/(1-p)); off at evaluation.",
                 "h = mask * h / (1 - p), mask ~ Bernoulli(1-p)")
REGULARIZERS.add("early_stopping", lambda w: 0.0, "Early stopping: stop when the validation loss has not improved "
                 "for `patience` epochs and restore the best weights.", "stop if no new best val loss for p epochs")


def penalty(weights: Iterable[Any], l1: float, l2: float) -> Any:
    """The regularization term for a list of weight tensors (biases are not penalized)."""
    total: Any = 0.0
    for w in weights:
        if l1:
            total = total + l1 * REGULARIZERS["l1"].factory(w)
        if l2:
            total = total + l2 * REGULARIZERS["l2"].factory(w)
    return total
