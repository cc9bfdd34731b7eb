"""Optimizers: the update rules of the lecture, from plain SGD to AdamW.

Each entry's factory maps a TrainConfig to the keyword arguments of its torch.optim class (every one spelled out,
defaults included). That table is the only place an optimizer's hyper-parameters are written down:
`configure_optimizer` builds the torch optimizer from it, and the fast MLP kernel reads the same numbers.
This module imports no torch at import time, so the config and the UI skeleton stay fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from nnlib.registry import Registry

if TYPE_CHECKING:
    import torch

    from nnlib.config import TrainConfig

OPTIMIZERS = Registry("optimizer")
Hyper = dict[str, Any]


def optimizer_settings(t: TrainConfig) -> tuple[str, Hyper]:
    """(torch.optim class name, its keyword arguments) for this TrainConfig, learning rate included."""
    entry = OPTIMIZERS[t.optimizer]
    hyper: Callable[[TrainConfig], Hyper] = entry.factory
    return entry.params["torch_class"], {"lr": t.lr, **hyper(t)}


def configure_optimizer(model: torch.nn.Module, t: TrainConfig) -> torch.optim.Optimizer:
    """The torch optimizer of a run, like nanoGPT's configure_optimizers: weight decay (AdamW's) applies only to
    the weight matrices and conv kernels -- the tensors L1/L2 penalize -- never to biases or norm scales."""
    import torch

    from nnlib.regularization import weight_tensors

    cls, kw = optimizer_settings(t)
    params = [p for p in model.parameters() if p.requires_grad]
    if "weight_decay" not in kw:
        return getattr(torch.optim, cls)(params, **kw)
    decayed_ids = {id(w) for w in weight_tensors(model)}
    decayed = [p for p in params if id(p) in decayed_ids]
    others = [p for p in params if id(p) not in decayed_ids]
    groups = [{"params": decayed, "weight_decay": kw.pop("weight_decay")}, {"params": others, "weight_decay": 0.0}]
    return getattr(torch.optim, cls)([g for g in groups if g["params"]], **kw)


_O = OPTIMIZERS.add
_O("sgd", lambda t: {}, "Stochastic gradient descent: step against the mini-batch gradient.", "w -= lr * g",
   torch_class="SGD")
_O("momentum", lambda t: {"momentum": t.momentum}, "SGD with momentum: a velocity accumulates past gradients and "
   "damps zig-zags.", "v = m v + g; w -= lr * v", uses=("momentum",), torch_class="SGD")
# with m = 0 Nesterov's step is plain SGD's; torch refuses nesterov=True without momentum, so say False then
_O("nesterov", lambda t: {"momentum": t.momentum, "nesterov": t.momentum > 0}, "Nesterov momentum: looks ahead "
   "along the velocity before taking the gradient.", "v = m v + g; w -= lr * (g + m v)", uses=("momentum",),
   torch_class="SGD")
_O("adagrad", lambda t: {"eps": 1e-10}, "Adagrad: per-weight learning rates shrink with the sum of past squared "
   "gradients.", "s += g^2; w -= lr * g / (sqrt(s) + eps)", torch_class="Adagrad")
_O("rmsprop", lambda t: {"alpha": 0.99, "eps": 1e-8}, "RMSprop: like Adagrad but with a moving average, so steps "
   "do not die out.", "s = 0.99 s + 0.01 g^2; w -= lr * g / (sqrt(s) + eps)", torch_class="RMSprop")
_O("adam", lambda t: {"betas": (t.beta1, t.beta2), "eps": 1e-8}, "Adam: momentum plus RMSprop scaling, with bias "
   "correction.", "m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr * m_hat / (sqrt(v_hat) + eps)",
   uses=("beta1", "beta2"), torch_class="Adam")
_O("adamw", lambda t: {"betas": (t.beta1, t.beta2), "eps": 1e-8, "weight_decay": t.weight_decay},
   "AdamW: Adam with weight decay applied directly to the weights (decoupled; biases are not decayed).",
   "w -= lr * wd * w (weights only), then the Adam step", uses=("beta1", "beta2", "weight_decay"),
   torch_class="AdamW")
