"""The losses lab: why the choice of loss matters. A line fitted by MSE, L1 and Huber to data with outliers (MSE is
pulled, L1 and Huber are not), why cross-entropy beats MSE on a sigmoid output at confident wrong answers (its
gradient does not vanish), and what a softmax temperature does to probabilities and their entropy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

LINE_LOSSES = {
    "mse": ("mean (y - y_hat)^2", lambda: torch.nn.MSELoss()),
    "l1": ("mean |y - y_hat|", lambda: torch.nn.L1Loss()),
    "huber": ("mean of r^2/2 if |r| <= delta else delta (|r| - delta/2)", None),
}
FIT_STEPS = 1000


@dataclass(frozen=True)
class LineData:
    """Points y = slope x + intercept + noise, some of them replaced by outliers (flagged)."""

    x: np.ndarray
    y: np.ndarray
    outlier: np.ndarray  # bool per point


def line_with_outliers(n: int = 40, slope: float = 1.5, intercept: float = 0.5, noise: float = 0.3,
                       n_outliers: int = 5, outlier_shift: float = 8.0, seed: int = 0) -> LineData:
    """x uniform in [0, 4]; the outliers are the points of largest x pushed down by `outlier_shift`, the placement
    that tilts a least-squares line the most (a sensor that fails at the high end of its range)."""
    if not 0 <= n_outliers < n:
        raise ValueError("the number of outliers must be between 0 and the number of points - 1")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.0, 4.0, n))
    y = slope * x + intercept + rng.normal(0.0, noise, n)
    outlier = np.zeros(n, dtype=bool)
    outlier[n - n_outliers:] = True
    y[outlier] -= outlier_shift
    return LineData(x, y, outlier)


def fit_line(x: np.ndarray, y: np.ndarray, loss: str, delta: float = 1.0, steps: int = FIT_STEPS
             ) -> tuple[float, float]:
    """(slope, intercept) minimizing `loss` (mse, l1 or huber) by full-batch Adam on the real torch loss, with a
    learning rate decaying to 0 so the non-smooth L1 settles instead of rattling around its kink."""
    if loss not in LINE_LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of: {', '.join(LINE_LOSSES)}")
    make = LINE_LOSSES[loss][1]
    criterion = make() if make else torch.nn.HuberLoss(delta=delta)
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([w], lr=0.1)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: (1 - k / steps) ** 2)
    for _ in range(steps):
        optimizer.zero_grad()
        criterion(w[0] * xt + w[1], yt).backward()
        optimizer.step()
        schedule.step()
    slope, intercept = w.tolist()
    return slope, intercept


ROBUST = ("l1", "huber")
HOLD_TOL = 0.5  # a robust fit "holds the line" while its slope is within 50% of the true slope


def broken_fits(fitted: dict[str, tuple[float, float]], slope: float) -> list[str]:
    """The robust losses (L1, Huber) whose fitted slope is off the true one by more than HOLD_TOL of it: past their
    breakdown point the outliers are no longer "a few far points" but the majority where they sit, and the fit
    follows them too. With all 40 points' outliers at the high-x end (leverage points) that happens at about a
    quarter of the points, well before half (a walkthrough at 20 of 40 saw all three lines slope downward while
    the page said L1 and Huber "hold the line")."""
    return [name for name in ROBUST if name in fitted and abs(fitted[name][0] - slope) > HOLD_TOL * abs(slope)]


def sigmoid_logit_gradients(z: np.ndarray, target: float = 1.0) -> dict[str, np.ndarray]:
    """dLoss/dz for a sigmoid output p = s(z) against a 0/1 target, by formula:
    cross-entropy -[y log p + (1-y) log(1-p)] -> p - y;  squared error (p - y)^2 -> 2 (p - y) p (1 - p).
    At a confident wrong answer (z = -10, y = 1) cross-entropy still pushes with about -1, MSE with about -1e-4."""
    z = np.asarray(z, dtype=np.float64)
    p = 1.0 / (1.0 + np.exp(-z))
    return {"p": p, "cross_entropy": p - target, "mse": 2.0 * (p - target) * p * (1.0 - p)}


def softmax_temperature(logits: np.ndarray, temperature: float) -> dict[str, np.ndarray | float]:
    """softmax(z / T) and its entropy in nats: T -> 0 gives the one-hot argmax (entropy 0), T -> infinity the
    uniform distribution (entropy ln K). The largest logit is subtracted first, so tiny T does not overflow."""
    if temperature <= 0:
        raise ValueError("the temperature must be > 0")
    z = np.asarray(logits, dtype=np.float64) / temperature
    e = np.exp(z - z.max())
    p = e / e.sum()
    nonzero = p[p > 0]
    return {"probabilities": p, "entropy": float(-(nonzero * np.log(nonzero)).sum()),
            "max_entropy": float(np.log(len(p)))}
