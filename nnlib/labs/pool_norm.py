"""Pooling and normalization on small tensors for the pooling/normalization lab: which input values each pooled
output summarizes, and which values of an N x C x H x W tensor share one mean and variance under batch, layer,
instance and group normalization (as integer group ids a page can colour)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nnlib.labs.conv import window_at, window_positions

POOLS: dict[str, Callable[[np.ndarray], float]] = {
    "max": lambda w: float(w.max()), "min": lambda w: float(w.min()),
    "average": lambda w: float(w.mean()), "sum": lambda w: float(w.sum())}
POOL_FORMULAS = {"max": "y = max over the window", "min": "y = min over the window",
                 "average": "y = (1 / F^2) * sum over the window", "sum": "y = sum over the window"}


@dataclass(frozen=True)
class PoolStep:
    """One output of a pooling layer and the window of input values it summarizes."""

    out_row: int
    out_col: int
    top: int
    left: int
    window: np.ndarray
    value: float


def pool_walk(x: np.ndarray, size: int, stride: int | None = None, kind: str = "max"
              ) -> tuple[list[PoolStep], np.ndarray]:
    """Slide a size x size window (stride defaults to size, torch's default) over a matrix and reduce each window
    with `kind` (max, min, average, sum). Returns the steps in reading order and the output matrix."""
    if kind not in POOLS:
        raise ValueError(f"unknown pooling {kind!r}; choose one of: {', '.join(POOLS)}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError("pooling here works on one matrix (H x W)")
    stride = stride or size
    reduce = POOLS[kind]
    steps = [PoolStep(i, j, top, left, window, reduce(window))
             for i, j, top, left in window_positions(*x.shape, size, stride, 0)
             for window in [window_at(x, top, left, size)]]
    out = np.array([s.value for s in steps]).reshape(steps[-1].out_row + 1, steps[-1].out_col + 1)
    return steps, out


NORMS = ("batch", "layer", "instance", "group")
NORM_FORMULAS = {
    "batch": "one mean and variance per channel c, over the batch and all positions (N, H, W)",
    "layer": "one mean and variance per example n, over all its channels and positions (C, H, W)",
    "instance": "one mean and variance per example and channel (n, c), over its positions (H, W)",
    "group": "one mean and variance per example and group of C/G channels, over those channels' positions",
}


def norm_group_ids(kind: str, shape: tuple[int, int, int, int], groups: int = 2) -> np.ndarray:
    """An integer tensor of `shape` (N, C, H, W): elements with the same id share one mean and variance."""
    n, c, h, w = shape
    nn_, cc = np.meshgrid(np.arange(n), np.arange(c), indexing="ij")
    if kind == "batch":
        ids = cc
    elif kind == "layer":
        ids = nn_
    elif kind == "instance":
        ids = nn_ * c + cc
    elif kind == "group":
        if groups < 1 or c % groups:
            raise ValueError(f"{groups} groups must divide the {c} channels")
        ids = nn_ * groups + cc // (c // groups)
    else:
        raise ValueError(f"unknown normalization {kind!r}; choose one of: {', '.join(NORMS)}")
    return np.broadcast_to(ids[:, :, None, None], shape).copy()


def _span(noun: str, members: list[int], total: int) -> str:
    """'example 2', 'channels 1-2', 'all 4 channels' (1-based, as the figure labels its rows and columns)."""
    if len(members) == total and total > 1:
        return f"all {total} {noun}s"
    if len(members) == 1:
        return f"{noun} {members[0] + 1}"
    return f"{noun}s {members[0] + 1}-{members[-1] + 1}"


def group_members(ids: np.ndarray) -> list[str]:
    """For each group id of an N x C x H x W id tensor (norm_group_ids), which examples and channels share its
    statistics, in the figure's own words ("example 1, channels 1-2"): the table counted "group 0-3" while the
    cells were labelled "example 1-2" and "channel 1-4", so a student could not match a row to its cells."""
    n, c = ids.shape[:2]
    per_cell = ids[:, :, 0, 0]
    rows = []
    for g in range(int(ids.max()) + 1):
        examples, channels = (sorted({int(v) for v in axis}) for axis in np.nonzero(per_cell == g))
        rows.append(f"{_span('example', examples, n)}, {_span('channel', channels, c)}")
    return rows


@dataclass(frozen=True)
class Normalized:
    """What one normalization does to a tensor: the shared statistics and the result (before the learned
    scale/shift, which start at 1 and 0)."""

    kind: str
    group_ids: np.ndarray  # N x C x H x W, same id = same statistics
    means: np.ndarray  # one per group id
    variances: np.ndarray  # biased (divide by the group size), as training-mode norms use
    output: np.ndarray


def normalize(x: np.ndarray, kind: str, groups: int = 2, eps: float = 1e-5) -> Normalized:
    """(x - mean) / sqrt(var + eps) with mean and variance taken over the elements sharing a group id."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 4:
        raise ValueError("normalization here works on an N x C x H x W tensor")
    ids = norm_group_ids(kind, x.shape, groups)
    flat_ids, flat = ids.ravel(), x.ravel()
    counts = np.bincount(flat_ids)
    means = np.bincount(flat_ids, weights=flat) / counts
    variances = np.bincount(flat_ids, weights=(flat - means[flat_ids]) ** 2) / counts
    output = (x - means[ids]) / np.sqrt(variances[ids] + eps)
    return Normalized(kind, ids, means, variances, output)
