"""The playground's input features (x1, x2, x1^2, ..., sin(x2)): what a 2D point looks like to the network."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from nnlib.data.errors import DataError

FEATURE_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x1": lambda p: p[:, 0],
    "x2": lambda p: p[:, 1],
    "x1^2": lambda p: p[:, 0] ** 2,
    "x2^2": lambda p: p[:, 1] ** 2,
    "x1*x2": lambda p: p[:, 0] * p[:, 1],
    "sin(x1)": lambda p: np.sin(p[:, 0]),
    "sin(x2)": lambda p: np.sin(p[:, 1]),
}


def featurize(points: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Columns `names` computed from points [n, 2]; float32 [n, len(names)] in the order given."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    unknown = [n for n in names if n not in FEATURE_FUNCS]
    if unknown:
        raise DataError(f"unknown input feature {unknown[0]!r}; choose from {', '.join(FEATURE_FUNCS)}")
    if not names:
        raise DataError("pick at least one input feature")
    return np.stack([FEATURE_FUNCS[n](pts) for n in names], axis=1).astype(np.float32)
