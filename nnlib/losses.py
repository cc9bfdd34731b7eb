"""Loss functions, each tagged with the problems it fits so a mismatched choice is caught before training."""

from __future__ import annotations

from nnlib.lazy import torch_class
from nnlib.registry import Registry

LOSSES = Registry("loss")
_L = LOSSES.add
_L("mse", torch_class("nn.MSELoss"), "Mean squared error: punishes large errors quadratically.",
   "L = mean((y_hat - y)^2)", problems=("regression",))
_L("l1", torch_class("nn.L1Loss"), "Mean absolute error: robust to outliers, constant-size gradients.",
   "L = mean(|y_hat - y|)", problems=("regression",))
_L("huber", torch_class("nn.SmoothL1Loss"), "Huber / smooth L1: quadratic near 0, linear for large errors.",
   "L = 0.5 e^2 if |e| < 1 else |e| - 0.5", problems=("regression",))
_L("bce", torch_class("nn.BCEWithLogitsLoss"), "Binary cross-entropy on one sigmoid output (the logit z).",
   "L = -mean(y log s(z) + (1 - y) log(1 - s(z)))", problems=("binary",), label="binary cross-entropy")
_L("cross_entropy", torch_class("nn.CrossEntropyLoss"), "Cross-entropy of a softmax over one logit per class.",
   "L = -mean(log softmax(z)_y)", problems=("binary", "multiclass"), label="softmax cross-entropy")

DEFAULT_LOSS = {"regression": "mse", "binary": "bce", "multiclass": "cross_entropy"}


def resolve_loss(name: str, problem: str) -> str:
    """'auto' picks the loss the lecture pairs with the problem type."""
    return DEFAULT_LOSS[problem] if name == "auto" else name


def output_units(loss: str, problem: str, n_classes: int) -> int:
    """One output for regression and BCE, one logit per class for softmax cross-entropy."""
    return n_classes if loss == "cross_entropy" else 1
