"""The dropout lab (#10.10): what one dropout layer does in training (a random mask, survivors scaled by 1/(1-p))
versus evaluation (nothing), why the scaling makes the average right, and Monte-Carlo dropout: keeping dropout on
at prediction time and reading the spread of N stochastic forward passes as the model's uncertainty."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

MAX_PASSES = 1000


def _check_p(p: float) -> None:
    if not 0.0 <= p < 1.0:
        raise ValueError("the dropout probability p must be in [0, 1)")


@dataclass(frozen=True)
class DropoutPass:
    """One training-mode pass of dropout over x, and the evaluation-mode pass for contrast."""

    p: float
    mask: np.ndarray  # 1 = kept, 0 = dropped
    scale: float  # 1 / (1 - p), applied to the kept values
    train_output: np.ndarray  # x * mask * scale
    eval_output: np.ndarray  # x, unchanged


def _mask(shape: tuple[int, ...], p: float, generator: torch.Generator) -> torch.Tensor:
    """One Bernoulli(1 - p) keep-mask, drawn exactly as nn.Dropout draws it on the CPU (float32 bernoulli_)."""
    return torch.empty(shape, dtype=torch.float32).bernoulli_(1.0 - p, generator=generator)


def dropout_pass(x: np.ndarray, p: float, seed: int = 0) -> DropoutPass:
    """Drop each value with probability p. The mask is drawn exactly as nn.Dropout draws it on the CPU after
    torch.manual_seed(seed) (a Bernoulli(1 - p) per value), without touching the global random state."""
    _check_p(p)
    xt = torch.as_tensor(np.asarray(x, dtype=np.float32))
    mask = _mask(tuple(xt.shape), p, torch.Generator().manual_seed(seed))
    scale = 1.0 / (1.0 - p)
    return DropoutPass(p, mask.numpy(), scale, (xt * (mask * scale)).numpy(), xt.numpy().copy())


def mean_of_dropout_passes(x: np.ndarray, p: float, n: int, seed: int = 0) -> np.ndarray:
    """Running mean over 1..n training-mode passes (shape n x x.shape): it tends to x itself, which is why the
    survivors are scaled by 1/(1-p) and evaluation can simply switch dropout off. Pass 1 uses the very mask
    dropout_pass(x, p, seed) draws (the page shows that pass above the average: a different first mask made
    "after 1 pass" contradict the "train" grid right above it); passes 2..n continue the same random stream."""
    _check_p(p)
    if not 1 <= n <= MAX_PASSES:
        raise ValueError(f"the number of passes must be 1..{MAX_PASSES}")
    x = np.asarray(x, dtype=np.float64)
    generator = torch.Generator().manual_seed(seed)
    masks = np.stack([_mask(x.shape, p, generator).numpy() for _ in range(n)]).astype(np.float64)
    outputs = masks * x / (1.0 - p)
    return np.cumsum(outputs, axis=0) / np.arange(1, n + 1).reshape(-1, *[1] * x.ndim)


@dataclass(frozen=True)
class MCPrediction:
    """N stochastic predictions of a model with its dropout layers on (and every other layer in eval mode)."""

    samples: np.ndarray  # n x batch x outputs
    mean: np.ndarray
    std: np.ndarray
    eval_output: np.ndarray  # the ordinary prediction, dropout off


def mc_dropout_predict(model: nn.Module, x: torch.Tensor, n: int = 100, seed: int = 0) -> MCPrediction:
    """Monte-Carlo dropout: n forward passes with only the Dropout layers in training mode (batch norm keeps its
    running statistics), seeded, leaving the model's modes and the global random state as they were."""
    if not 1 <= n <= MAX_PASSES:
        raise ValueError(f"the number of passes must be 1..{MAX_PASSES}")
    modes = {m: m.training for m in model.modules()}
    dropouts = [m for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    if not dropouts:
        raise ValueError("the model has no dropout layer: every pass would give the same prediction")
    try:
        model.eval()
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            eval_output = model(x).numpy()
            for m in dropouts:
                m.train()
            torch.manual_seed(seed)
            samples = np.stack([model(x).numpy() for _ in range(n)])
    finally:
        for m, training in modes.items():
            m.train(training)
    wide = samples.astype(np.float64)
    return MCPrediction(samples, wide.mean(axis=0), wide.std(axis=0), eval_output)
