"""The activations lab: every activation of the registry with its derivative (by autograd, so it is the slope
backprop really uses) and the ranges where it saturates, plus the count of dead ReLU units in a network."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from nnlib.activations import ACTIVATIONS, make_activation, widen_factor

SATURATION_FRACTION = 0.05
MAX_POINTS = 20_001
# Maxout has no fixed curve: it is the max of learned linear pieces. The lab draws it with these example pieces
# (slope, intercept), max(x, -0.5 x), a V shape a ReLU cannot make.
MAXOUT_EXAMPLE_PIECES = ((1.0, 0.0), (-0.5, 0.0))


@dataclass(frozen=True)
class ActivationCurve:
    """f and f' on a grid of x, the saturation intervals and what the registry says about the activation."""

    name: str
    label: str
    formula: str
    description: str
    x: np.ndarray
    value: np.ndarray
    derivative: np.ndarray
    saturated: list[tuple[float, float]]
    note: str


def _module(name: str) -> nn.Module:
    module = make_activation(name, 1)
    return module.double() if isinstance(module, nn.Module) else module


def _apply(name: str, x: torch.Tensor) -> torch.Tensor:
    """The activation on a 1D tensor of inputs; maxout gets every x turned into its example pieces."""
    k = widen_factor(name)
    if k == 1:
        return _module(name)(x[:, None])[:, 0]
    pieces = torch.stack([a * x + b for a, b in MAXOUT_EXAMPLE_PIECES[:k]], dim=1)
    return _module(name)(pieces)[:, 0]


def saturation_intervals(x: np.ndarray, derivative: np.ndarray, fraction: float = SATURATION_FRACTION
                         ) -> list[tuple[float, float]]:
    """Maximal runs of x where |f'(x)| < fraction * max |f'|, as (first x, last x) pairs; empty for an activation
    whose slope never drops that low (linear, leaky ReLU on a narrow range)."""
    slope = np.abs(derivative)
    low = slope < fraction * slope.max()
    edges = np.flatnonzero(np.diff(np.r_[0, low.astype(np.int8), 0]))
    # rounded: a grid point at 0 computed as -1.2e-16 read "x in [-6.00, -0.00]"
    return [(_tidy(x[a]), _tidy(x[b - 1])) for a, b in zip(edges[::2], edges[1::2])]


def _tidy(v: float) -> float:
    """A grid value without float dust: 12 significant decimals, and no negative zero."""
    return float(np.round(v, 12)) + 0.0


def activation_curve(name: str, lo: float = -6.0, hi: float = 6.0, points: int = 1201) -> ActivationCurve:
    """f(x) and f'(x) of registry activation `name` on `points` evenly spaced x in [lo, hi] (float64, autograd;
    PReLU at its initial slope 0.25, maxout with MAXOUT_EXAMPLE_PIECES)."""
    if not lo < hi or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"need lo < hi and between 2 and {MAX_POINTS} points")
    entry = ACTIVATIONS[name]
    x = torch.linspace(lo, hi, points, dtype=torch.float64, requires_grad=True)
    y = _apply(name, x)
    (derivative,) = torch.autograd.grad(y.sum(), x)
    xs, dy = x.detach().numpy(), derivative.numpy()
    note = ""
    if name == "maxout":
        note = "maxout drawn with example pieces max(x, -0.5x); in a network the pieces are learned."
    elif name == "prelu":
        note = "PReLU drawn at its initial slope a = 0.25; in a network a is learned."
    return ActivationCurve(name, entry.label, entry.formula, entry.description, xs, y.detach().numpy(), dy,
                           saturation_intervals(xs, dy), note)


def all_activation_curves(lo: float = -6.0, hi: float = 6.0, points: int = 1201) -> list[ActivationCurve]:
    """One curve per registry entry, in the registry's order."""
    return [activation_curve(name, lo, hi, points) for name in ACTIVATIONS]


def dead_relu_fraction(model: nn.Module, x: torch.Tensor,
                       kinds: Sequence[type[nn.Module]] = (nn.ReLU,)) -> dict[str, float]:
    """Fraction of hidden units, behind every module of `kinds`, whose output is <= 0 for EVERY example of x:
    for a ReLU such a unit is dead (zero output, zero gradient, it cannot recover). Passing nn.LeakyReLU counts
    the units that would be dead without the leak. A unit is one feature (one channel per position for convs).
    Keys: each module's name, and 'all' for the fraction over all of them together."""
    outputs: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda _m, _i, out, name=name: outputs.__setitem__(name, out.detach()))
             for name, m in model.named_modules() if isinstance(m, tuple(kinds))]
    if not hooks:
        raise ValueError(f"the model has no {', '.join(k.__name__ for k in kinds)} module")
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in hooks:
            h.remove()
    dead = {name: (out <= 0).all(dim=0) for name, out in outputs.items()}
    result = {name: float(d.float().mean()) for name, d in dead.items()}
    result["all"] = float(sum(int(d.sum()) for d in dead.values()) / sum(d.numel() for d in dead.values()))
    return result
