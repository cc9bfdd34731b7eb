"""Optimizer trajectories on the 2D surfaces of nnlib.labs.surfaces, taken by the REAL torch.optim optimizers on a
2-parameter tensor, so the zig-zag a student watches is what that optimizer does inside a real training run."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch

from nnlib.config import TrainConfig
from nnlib.labs.surfaces import Surface

MakeOptimizer = Callable[[Iterable[torch.Tensor]], torch.optim.Optimizer]
PATH_OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam")
MAX_STEPS = 2000
# A path is declared diverged once it leaves the view by this many view-widths (or the loss is not finite).
DIVERGENCE_MARGIN = 10.0


def _train_defaults() -> dict[str, float]:
    return {f.name: f.default for f in fields(TrainConfig) if f.name in ("momentum", "beta1", "beta2")}


def default_optimizer(name: str, lr: float) -> MakeOptimizer:
    """A torch.optim factory for `name` with TrainConfig's default momentum and Adam betas (the coordinator may
    swap in the project's optimizer registry; any make_optimizer(params) works)."""
    d = _train_defaults()
    makers: dict[str, MakeOptimizer] = {
        "sgd": lambda p: torch.optim.SGD(p, lr=lr),
        "momentum": lambda p: torch.optim.SGD(p, lr=lr, momentum=d["momentum"]),
        "nesterov": lambda p: torch.optim.SGD(p, lr=lr, momentum=d["momentum"], nesterov=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=lr),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=lr),
        "adam": lambda p: torch.optim.Adam(p, lr=lr, betas=(d["beta1"], d["beta2"])),
    }
    if name not in makers:
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {', '.join(makers)}")
    return makers[name]


@dataclass(frozen=True)
class Path:
    """Positions after 0..len-1 steps (the start first) and the clean loss there. `diverged` is True when the
    optimizer flew off (non-finite or far outside the view); the path then ends at its last sane point."""

    label: str
    xs: np.ndarray
    ys: np.ndarray
    losses: np.ndarray
    diverged: bool
    message: str

    def steps_to_reach(self, point: tuple[float, float], tol: float) -> int | None:
        """First step at which the path is within `tol` of `point` and stays there (None if it never settles)."""
        far = np.hypot(self.xs - point[0], self.ys - point[1]) > tol
        if far[-1]:
            return None
        last_far = np.flatnonzero(far)
        return 0 if last_far.size == 0 else int(last_far[-1]) + 1


def run_path(surface: Surface, make_optimizer: MakeOptimizer, steps: int = 100,
             start: Sequence[float] | None = None, noise: float = 0.0, seed: int = 0, label: str = "") -> Path:
    """Take `steps` optimizer steps on surface.f from `start`. With noise > 0 every step sees the gradient plus
    N(0, noise^2) per coordinate (drawn from a generator seeded by `seed`), the way a mini-batch gradient
    scatters around the full one; the recorded loss is always the clean f."""
    if not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be between 1 and {MAX_STEPS}")
    if noise < 0:
        raise ValueError("the gradient noise must be >= 0")
    point = torch.tensor(list(start or surface.start), dtype=torch.float64, requires_grad=True)
    optimizer = make_optimizer([point])
    generator = torch.Generator().manual_seed(seed)
    width = max(surface.x_range[1] - surface.x_range[0], surface.y_range[1] - surface.y_range[0])
    bound = DIVERGENCE_MARGIN * width + max(map(abs, (*surface.x_range, *surface.y_range)))
    trace = [(*point.tolist(), float(surface.f(*point.detach())))]
    message = f"{steps} steps"
    for step in range(1, steps + 1):
        optimizer.zero_grad()
        loss = surface.f(point[0], point[1])
        if noise:
            loss = loss + (noise * torch.randn(2, generator=generator, dtype=torch.float64) * point).sum()
        loss.backward()
        optimizer.step()
        x, y = point.tolist()
        clean = float(surface.f(x, y)) if max(abs(x), abs(y)) < bound else math.inf
        if not math.isfinite(clean):
            message = (f"diverged at step {step}: the learning rate is too large for this surface "
                       f"(the point left the view by more than {DIVERGENCE_MARGIN:g} widths)")
            break
        trace.append((x, y, clean))
    xs, ys, losses = (np.array(c) for c in zip(*trace))
    return Path(label, xs, ys, losses, not math.isfinite(clean), message)


def race(surface: Surface, names: Sequence[str] = PATH_OPTIMIZERS, lrs: dict[str, float] | None = None,
         steps: int = 100, start: Sequence[float] | None = None, noise: float = 0.0, seed: int = 0,
         make: Callable[[str, float], MakeOptimizer] = default_optimizer, lr_scale: float = 1.0) -> list[Path]:
    """One path per optimizer from the same start, each at lr_scale x the surface's suggested learning rate
    unless `lrs` names one; the same seed gives every optimizer the same noise draws."""
    chosen = {**{n: lr_scale * lr for n, lr in surface.lr.items()}, **(lrs or {})}
    return [run_path(surface, make(n, chosen[n]), steps, start, noise, seed, label=n) for n in names]
