"""Two-parameter loss surfaces for the optimizer lab: each one shows a failure mode of plain gradient descent
(zig-zag in a ravine, stalling on a saddle, settling in a local minimum). Every f is a polynomial written with
arithmetic only, so the same function evaluates a numpy grid for the contour plot and a torch tensor for autograd."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Surface:
    """A loss f(x, y) with the view a page draws it in, a start that shows its lesson and per-optimizer learning
    rates that show its lesson (momentum's velocity adds up ~1/(1 - beta) gradients, so on the valley it takes a
    smaller rate than SGD; the adaptive methods take steps of about lr)."""

    name: str
    label: str
    formula: str
    lesson: str
    f: Callable[[Any, Any], Any]
    minima: tuple[tuple[float, float], ...]  # global minimum first
    start: tuple[float, float]
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    lr: dict[str, float] = field(default_factory=dict)


def _valley(x: Any, y: Any) -> Any:
    return 0.05 * x ** 2 + 5.0 * y ** 2


def _saddle(x: Any, y: Any) -> Any:
    return x ** 2 + 0.25 * y ** 4 - 0.5 * y ** 2


def _two_minima(x: Any, y: Any) -> Any:
    return (x ** 2 - 1) ** 2 + 0.3 * x + 0.5 * y ** 2


def _two_minima_xs() -> tuple[float, float]:
    """The two minima of (x^2 - 1)^2 + 0.3 x along y = 0: real roots of 4x^3 - 4x + 0.3 with f'' > 0."""
    roots = np.roots([4.0, 0.0, -4.0, 0.3]).real
    minima = sorted((float(r) for r in roots if 12 * r ** 2 - 4 > 0), key=lambda r: _two_minima(r, 0.0))
    return minima[0], minima[1]


_GLOBAL_X, _LOCAL_X = _two_minima_xs()
_ADAPTIVE = {"adagrad": 0.5, "rmsprop": 0.05, "adam": 0.1}

SURFACES: dict[str, Surface] = {s.name: s for s in (
    Surface("valley", "ill-conditioned valley", "f(x, y) = 0.05 x^2 + 5 y^2",
            "The curvature across the valley (10) is 100 times the curvature along it (0.1). SGD's rate 0.195 sits "
            "just under the steep direction's limit 2/10: every step overshoots across y (a zig-zag that flips at "
            "each step) and moves only 2% of the way along x, so in the default 100 steps it crawls to x = -1.3. "
            "Momentum (beta 0.9, rate 0.035) adds up the gradients that agree along the floor, while the ones that "
            "flip across it cancel in its velocity: a few slow, shrinking swings instead of a zig-zag, and it reaches "
            "the minimum long before SGD. Nesterov's look-ahead damps even those swings. Above a learning-rate scale "
            "of 1.03 SGD's zig-zag grows instead of shrinking; at SGD's rate momentum would overshoot far.",
            _valley, ((0.0, 0.0),), (-9.0, 1.0), (-10.0, 10.0), (-2.0, 2.0),
            {"sgd": 0.195, "momentum": 0.035, "nesterov": 0.09, **_ADAPTIVE, "adagrad": 1.0}),
    Surface("saddle", "saddle point", "f(x, y) = x^2 + y^4/4 - y^2/2",
            "(0, 0) is flat but not a minimum: the loss goes down along y towards the minima at y = +-1. Started "
            "a hair off the ridge (y = 0.001) SGD lingers near the saddle while the adaptive methods rescale the "
            "tiny gradient and leave; started exactly on y = 0 the gradient has no y part and plain gradient "
            "descent stops on the saddle for good, unless gradient noise (mini-batches) pushes it off.",
            _saddle, ((0.0, 1.0), (0.0, -1.0)), (-1.5, 0.001), (-2.0, 2.0), (-2.0, 2.0),
            {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05, **_ADAPTIVE}),
    Surface("two_minima", "local and global minimum", "f(x, y) = (x^2 - 1)^2 + 0.3 x + y^2/2",
            "Two valleys: the left one is deeper. Gradient descent settles in whichever valley it starts above; "
            "momentum can carry it over the hump into the deeper one.",
            _two_minima, ((_GLOBAL_X, 0.0), (_LOCAL_X, 0.0)), (1.8, 1.0), (-2.0, 2.0), (-1.5, 1.5),
            {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, **_ADAPTIVE}),
)}


def surface_grid(surface: Surface, n: int = 101) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(xs, ys, Z) for a contour plot: Z[i, j] = f(xs[j], ys[i]) on an n x n grid over the surface's view."""
    if not 2 <= n <= 1000:
        raise ValueError("the grid needs between 2 and 1000 points per axis")
    xs = np.linspace(*surface.x_range, n)
    ys = np.linspace(*surface.y_range, n)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, surface.f(gx, gy)
