"""Seeded train/validation/test splits and a standardizer fitted on training rows only (no test leakage)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 4096  # rows per step when computing image statistics (bounds temporary memory)


def split_counts(n: int, train_frac: float, val_frac: float) -> tuple[int, int, int]:
    """Sizes of train/val/test; train gets at least one row, test is the rest."""
    n_train = min(n, max(1, int(round(n * train_frac))))
    n_val = min(n - n_train, int(round(n * val_frac)))
    return n_train, n_val, n - n_train - n_val


def split_indices(n: int, train_frac: float, val_frac: float, seed: int,
                  labels: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shuffled index arrays (train, val, test) of sizes from the fractions; stratified when labels are given.

    Stratification: each row gets the key (rank within its class + u) / class size for a random rank and u,
    and rows are taken in key order, so every prefix holds the classes in about their overall proportions.
    """
    rng = np.random.default_rng(seed)
    n_train, n_val, _ = split_counts(n, train_frac, val_frac)
    if labels is None:
        order = rng.permutation(n)
    else:
        labels = np.asarray(labels).reshape(-1)
        key = np.empty(n)
        for c in np.unique(labels):
            idx = np.flatnonzero(labels == c)
            key[idx] = (rng.permutation(len(idx)) + rng.uniform(0, 1, len(idx))) / len(idx)
        order = np.argsort(key, kind="stable")
    parts = order[:n_train], order[n_train:n_train + n_val], order[n_train + n_val:]
    return tuple(rng.permutation(p).astype(np.int64) for p in parts)  # type: ignore[return-value]


def stratified_subset(labels: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded subset of size n that keeps the class proportions (all rows if n >= len)."""
    labels = np.asarray(labels).reshape(-1)
    if n <= 0 or n >= len(labels):
        return np.arange(len(labels))
    take, _, _ = split_indices(len(labels), n / len(labels), 0.0, seed, labels)
    return np.sort(take)


@dataclass
class Standardizer:
    """x -> (x - mean) / std with statistics of the training rows only; per feature [F] or channel [C,1,1]."""

    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, x: np.ndarray, eps: float = 1e-6) -> Standardizer:
        """Per column of [n, F] or per channel of [n, C, H, W]; a constant column gets std 1 (no /0)."""
        x = np.asarray(x)
        axes = (0,) if x.ndim == 2 else (0, *range(2, x.ndim))
        total = np.zeros(x.shape[1])
        total_sq = np.zeros(x.shape[1])
        for i in range(0, len(x), CHUNK):  # float64 sums chunk by chunk: no full-size temporaries
            part = x[i:i + CHUNK].astype(np.float64)
            total += part.sum(axis=axes)
            total_sq += (part * part).sum(axis=axes)
        count = max(1, x.size // max(1, x.shape[1]))
        mean = total / count
        std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
        std = np.where(std > eps, std, 1.0)
        shape = (-1,) + (1,) * (x.ndim - 2)
        return cls(mean.reshape(shape).astype(np.float32), std.reshape(shape).astype(np.float32))

    def transform(self, x: np.ndarray) -> np.ndarray:
        """Standardized float32 copy (see `transform_` for the in-place version)."""
        return ((np.asarray(x, dtype=np.float32) - self.mean) / self.std).astype(np.float32, copy=False)

    def transform_(self, x: np.ndarray) -> np.ndarray:
        """In-place version for large float32 image arrays (halves peak memory)."""
        x -= self.mean
        x /= self.std
        return x

    def inverse(self, x: np.ndarray) -> np.ndarray:
        """Back to the original units, e.g. to display an (augmented) input image."""
        return (np.asarray(x, dtype=np.float32) * self.std + self.mean).astype(np.float32, copy=False)

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.reshape(-1).tolist(), "std": self.std.reshape(-1).tolist()}
