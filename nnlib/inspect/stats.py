"""Per-layer activation and gradient statistics for one batch: where signals vanish, explode or die."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn


def _summary(t: torch.Tensor, bins: int) -> dict[str, Any]:
    v = t.detach().float().flatten().cpu()
    counts, edges = np.histogram(v.numpy(), bins=bins)
    return {"mean": float(v.mean()), "std": float(v.std()) if v.numel() > 1 else 0.0,
            "zero_frac": float((v == 0).float().mean()), "hist": counts.tolist(), "edges": edges.tolist()}


def _observed(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Points where a signal is worth watching: after each hidden layer / conv block (or each activation)."""
    named = [(n, m) for n, m in model.named_modules() if n and type(m).__name__ in ("HiddenLayer", "ConvBlockModule")]
    if named:
        return named
    return [(n, m) for n, m in model.named_modules()
            if n and isinstance(m, (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.ELU, nn.SiLU, nn.LeakyReLU))]


def layer_stats(trainer: Any, n: int = 256, bins: int = 30) -> list[dict[str, Any]]:
    """Forward + backward one batch of training data; mean/std/histogram of each layer's output and gradient."""
    x, y = trainer.splits["train"]
    x, y = x[:n], y[:n]
    model = trainer.model
    acts: dict[str, torch.Tensor] = {}
    grads: dict[str, torch.Tensor] = {}
    hooks = []
    for name, mod in _observed(model):
        def fwd(_m: nn.Module, _i: Any, out: torch.Tensor, name: str = name) -> None:
            acts[name] = out
            if out.requires_grad:
                out.register_hook(lambda g, name=name: grads.__setitem__(name, g))
        hooks.append(mod.register_forward_hook(fwd))
    was = model.training
    model.eval()
    try:
        model.zero_grad(set_to_none=True)
        loss = trainer.loss_fn(model(x), y)
        loss.backward()
    finally:
        for h in hooks:
            h.remove()
        model.train(was)
    weights = {n: p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1}
    rows = []
    for name, a in acts.items():
        row = {"layer": name, "activation": _summary(a, bins)}
        if name in grads:
            row["gradient"] = _summary(grads[name], bins)
        rows.append(row)
    for n, p in weights.items():
        rows.append({"layer": n, "weight": _summary(p, bins),
                     **({"weight_grad": _summary(p.grad, bins)} if p.grad is not None else {})})
    model.zero_grad(set_to_none=True)
    return rows
