"""Optimizers: the update rules of the lecture, from plain SGD to AdamW."""

from __future__ import annotations

from typing import Any

from nnlib.registry import Registry

OPTIMIZERS = Registry("optimizer")


def _make(cls: str, **fixed: Any) -> Any:
    def factory(params: Any, lr: float, momentum: float = 0.9, beta1: float = 0.9, beta2: float = 0.999,
                weight_decay: float = 0.01) -> Any:
        import torch

        kw: dict[str, Any] = {"lr": lr, **fixed}
        if cls == "SGD" and fixed.get("momentum") is not None:
            kw["momentum"] = momentum
        if cls in ("Adam", "AdamW"):
            kw["betas"] = (beta1, beta2)
        if cls == "AdamW":
            kw["weight_decay"] = weight_decay
        return getattr(torch.optim, cls)(params, **kw)

    return factory


_O = OPTIMIZERS.add
_O("sgd", _make("SGD"), "Stochastic gradient descent: step against the mini-batch gradient.", "w -= lr * g")
_O("momentum", _make("SGD", momentum=0.9), "SGD with momentum: a velocity accumulates past gradients and damps "
   "zig-zags.", "v = m v + g; w -= lr * v", uses=("momentum",))
_O("nesterov", _make("SGD", momentum=0.9, nesterov=True), "Nesterov momentum: looks ahead along the velocity "
   "before taking the gradient.", "v = m v + g; w -= lr * (g + m v)", uses=("momentum",))
_O("adagrad", _make("Adagrad"), "Adagrad: per-weight learning rates shrink with the sum of past squared gradients.",
   "s += g^2; w -= lr * g / (sqrt(s) + eps)")
_O("rmsprop", _make("RMSprop"), "RMSprop: like Adagrad but with a moving average, so steps do not die out.",
   "s = 0.99 s + 0.01 g^2; w -= lr * g / (sqrt(s) + eps)")
_O("adam", _make("Adam"), "Adam: momentum plus RMSprop scaling, with bias correction.",
   "m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2; w -= lr * m_hat / (sqrt(v_hat) + eps)", uses=("beta1", "beta2"))
_O("adamw", _make("AdamW"), "AdamW: Adam with weight decay applied directly to the weights (decoupled).",
   "Adam step, then w -= lr * wd * w", uses=("beta1", "beta2", "weight_decay"))
