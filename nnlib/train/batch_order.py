"""Each epoch's batch order exactly as `torch.randperm(n, generator=torch.Generator().manual_seed(seed))` gives it,
without torch: the fast path then needs no torch call per epoch (~7 us each on the default net, whose whole epoch
trains in ~55 us), and a run reproduces the autograd path's batches for the same seed.

torch's CPU generator is a 32-bit Mersenne Twister seeded like numpy's legacy `RandomState(seed)`, and its randperm
(for n < 2^32 / 20) is the Fisher-Yates shuffle `swap(r[i], r[i + random() % (n - i)])` for i = 0 .. n - 2.
tests/train/test_batch_order.py checks the equality over seeds, sizes and many consecutive epochs.
"""

from __future__ import annotations

import numpy as np

from nnlib.models.torch_rng import torch_mt19937
from nnlib.train.fast_kernel import HAVE_NUMBA

MAX_N = (2**32 - 1) // 20  # past this torch draws 64-bit numbers: not reproduced here

if HAVE_NUMBA:
    from numba import njit

    @njit(cache=True, nogil=True)
    def _fisher_yates(raw, order):  # type: ignore[no-untyped-def]
        """order[:] = 0..n-1 shuffled as torch's randperm does with the 32-bit draws `raw` (n - 1 of them)."""
        n = order.shape[0]
        for i in range(n):
            order[i] = i
        for i in range(n - 1):
            z = i + np.int64(raw[i] % np.uint64(n - i))
            order[i], order[z] = order[z], order[i]
else:  # pragma: no cover - the fast path (the only user) needs numba anyway
    def _fisher_yates(raw, order):  # type: ignore[no-untyped-def]
        n = len(order)
        order[:] = np.arange(n)
        for i in range(n - 1):
            z = i + int(raw[i]) % (n - i)
            order[i], order[z] = order[z], order[i]


class BatchOrder:
    """The stream of permutations a `torch.Generator().manual_seed(seed)` gives through torch.randperm."""

    def __init__(self, seed: int) -> None:
        self._bits = torch_mt19937(seed)  # raises ValueError outside [0, 2^32)

    def permutation(self, n: int) -> np.ndarray:
        """The next epoch's order of n examples (int64), advancing the stream as torch.randperm(n) would."""
        if not 0 <= n <= MAX_N:
            raise ValueError(f"n must be in [0, {MAX_N}], got {n}")
        raw = self._bits.random_raw(n - 1) if n > 1 else np.zeros(0, np.uint64)
        order = np.empty(n, np.int64)
        _fisher_yates(raw, order)
        return order
