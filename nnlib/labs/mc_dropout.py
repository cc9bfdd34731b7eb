"""Lab 10.10, Monte-Carlo dropout on a trained net: a small MLP with dropout trains on a 2D classification set
beside the same net without dropout (one group job), then -- still in the job, so no weights leave the worker --
each net predicts a grid of points T times with dropout on. The mean of those passes and its spread (+-2 std) are
the prediction and its uncertainty; the eval-mode net (dropout off, nothing rescaled) is the ordinary prediction.
"Dropout as an ensemble": the average of T masked sub-networks approaches the eval-mode net as T grows -- exactly
for the output of the last dropout layer's linear map, approximately after a sigmoid -- shown as error vs T."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from nnlib.config import RunConfig
from nnlib.labs.dropout_lab import MAX_PASSES, MCPrediction, mc_dropout_predict

GRID = 41  # points per side of the prediction grid (41 x 41 inputs, T passes each)
REACH = 10.0  # the grid spans [-REACH, REACH]^2: the data lie in [-6, 6]^2, so the edges show what lies beyond
MC_DATASETS = ("moons", "circle", "xor", "gauss")


def mc_group(p: float, dataset: str = "moons", epochs: int = 100, passes: int = 200, hidden: int = 32,
             seed: int = 0) -> tuple[list[RunConfig], list[str], dict[str, Any]]:
    """Two layers of `hidden` ReLU units, with dropout p after each and without; Adam; the same data and seed.
    Returns the configs, labels and the group's lab options (the number of passes T)."""
    base = RunConfig().replace(
        data={"dataset": dataset, "n_samples": 300, "noise": 0.0, "seed": seed, "features": ("x1", "x2")},
        model={"hidden": (hidden, hidden), "activation": "relu", "initializer": "he_normal", "norm": "none",
               "dropout": 0.0},
        train={"optimizer": "adam", "lr": 0.01, "batch_size": 16, "epochs": epochs, "until_paused": False,
               "speed": "fast", "seed": seed, "loss": "auto", "l1": 0.0, "l2": 0.0, "patience": 0})
    configs = [base.replace(model={"dropout": float(p)}), base]
    return configs, [f"dropout p {p:g}", "no dropout"], {"passes": int(passes)}


def grid_points(n: int = GRID, reach: float = REACH) -> tuple[np.ndarray, np.ndarray]:
    """The axis values and the n*n points (x1 varies fastest, as a heatmap's rows read)."""
    axis = np.linspace(-reach, reach, n, dtype=np.float32)
    gx, gy = np.meshgrid(axis, axis)
    return axis, np.stack([gx.ravel(), gy.ravel()], axis=1)


def pass_counts(passes: int) -> list[int]:
    """T = 1, 2, 5, 10, 20, 50, ... up to `passes`: where the ensemble's error is read."""
    out = [t for t in (m * 10**e for e in range(4) for m in (1, 2, 5)) if t < passes]
    return out + [passes]


def predict_passes(model: torch.nn.Module, x: torch.Tensor, passes: int, seed: int = 0) -> MCPrediction:
    """T stochastic predictions; a net without dropout gives T equal ones (std 0) instead of an error."""
    try:
        return mc_dropout_predict(model, x, passes, seed)
    except ValueError:
        if not 1 <= passes <= MAX_PASSES:
            raise
        was = model.training
        model.eval()
        with torch.no_grad():
            out = model(x).numpy()
        model.train(was)
        samples = np.repeat(out[None], passes, axis=0)
        return MCPrediction(samples, out.astype(np.float64), np.zeros(out.shape), out)


def ensemble_errors(samples: np.ndarray, eval_output: np.ndarray, counts: Sequence[int],
                    squash: bool = False) -> list[float]:
    """Mean |average of the first T passes - eval-mode output| over the points, for each T in counts; with
    `squash` both sides go through the sigmoid first (probabilities instead of logits)."""
    s = samples.astype(np.float64)
    e = eval_output.astype(np.float64)
    if squash:
        s, e = _sigmoid(s), _sigmoid(e)
    running = np.cumsum(s, axis=0)
    return [float(np.abs(running[t - 1] / t - e).mean()) for t in counts]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function without exp overflow for large |z| (far from the data the logits are huge)."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(z, dtype=np.float64)))


def member_predictions(trainer: Any, passes: int, seed: int = 0) -> dict[str, Any]:
    """One trained net's maps over the grid: eval-mode P(class 1), the MC mean and std of P(class 1), the
    ensemble errors vs T on the training examples (where the net was fitted; far out the logits grow without
    bound), and the training points to draw on top (plain lists: they go in the snapshot)."""
    axis, points = grid_points()
    data = trainer.data
    from nnlib.data.features import featurize

    x = data.standardizer.transform(featurize(points, tuple(trainer.cfg.data.features)))
    mc = predict_passes(trainer.model, torch.as_tensor(np.asarray(x, dtype=np.float32)), passes, seed)
    probs = _sigmoid(mc.samples[..., 0].astype(np.float64))
    counts = pass_counts(passes)
    on_data = predict_passes(trainer.model, torch.as_tensor(np.asarray(data.x_train, dtype=np.float32)), passes,
                             seed + 1)
    shape = (GRID, GRID)
    rounded = lambda a: np.round(np.asarray(a, dtype=np.float64).reshape(shape), 4).tolist()  # noqa: E731
    pts = data.points_train if data.points_train is not None else np.zeros((0, 2))
    return {"axis": axis.tolist(), "eval": rounded(_sigmoid(mc.eval_output[:, 0])), "mean": rounded(probs.mean(0)),
            "std": rounded(probs.std(0)), "counts": counts,
            "err_logit": ensemble_errors(on_data.samples, on_data.eval_output, counts),
            "err_prob": ensemble_errors(on_data.samples, on_data.eval_output, counts, squash=True),
            "points": np.round(pts, 3).tolist(), "labels": np.asarray(data.y_train).ravel().astype(int).tolist()}


# ---------------------------------------------------------------- the group's hooks (nnlib.compare.group.LAB_HOOKS)

def prepare(members: Sequence[Any], options: dict[str, Any]) -> None:
    """Nothing to prepare: the nets train as they are."""


def finish(members: Sequence[Any], options: dict[str, Any]) -> dict[str, Any]:
    """Every net's Monte-Carlo predictions over the grid, computed here in the worker."""
    passes = int(options.get("passes", 200))
    return {"mc": [{"label": m.label, **member_predictions(m.trainer, passes, m.cfg.train.seed)} for m in members]}
