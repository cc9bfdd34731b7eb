"""Each epoch's batch order exactly as `torch.randperm(n, generator=torch.Generator().manual_seed(seed))` gives it,
without torch: the fast path then needs no torch call per epoch (~7 us each on the default net, whose whole epoch
trains in ~55 us), and a run reproduces the autograd path's batches for the same seed.

torch's CPU generator is a 32-bit Mersenne Twister seeded like numpy's legacy `RandomState(seed)`, and its randperm
(for n < 2^32 / 20) is the Fisher-Yates shuffle `swap(r[i], r[i + random() % (n - i)])` for i = 0 .. n - 2.
The twister itself runs in compiled code (`permute`) so the Trainer's one compiled call per epoch
(`nnlib.train.fast_epoch`) can draw the order too, instead of a numpy call, a buffer and a second compiled call.
tests/train/test_batch_order.py checks the equality over seeds, sizes and many consecutive epochs.
"""

from __future__ import annotations

import numpy as np

from nnlib.models.torch_rng import torch_mt19937
from nnlib.train.fast_kernel import HAVE_NUMBA

MAX_N = (2**32 - 1) // 20  # past this torch draws 64-bit numbers: not reproduced here
_N, _M = 624, 397  # MT19937's state words and twist offset
_MATRIX_A, _UPPER, _LOWER, _MASK32 = 0x9908B0DF, 0x80000000, 0x7FFFFFFF, 0xFFFFFFFF


def _twist(key):  # type: ignore[no-untyped-def]
    """The next 624 state words (MT19937's generation step, as numpy's mt19937_gen), in int64 arithmetic."""
    for i in range(_N):
        y = (np.int64(key[i]) & _UPPER) | (np.int64(key[(i + 1) % _N]) & _LOWER)
        mag = _MATRIX_A if y & 1 else 0
        key[i] = np.uint32(np.int64(key[(i + _M) % _N]) ^ (y >> 1) ^ mag)


def permute(key, pos, order):  # type: ignore[no-untyped-def]
    """order[:] = 0..n-1 shuffled as torch's randperm does, drawing n - 1 32-bit numbers from the twister whose
    state is key (uint32[624]) and pos[0] (words used); both advance."""
    n = order.shape[0]
    for i in range(n):
        order[i] = i
    p = pos[0]
    for i in range(n - 1):
        if p >= _N:
            _twist(key)
            p = 0
        y = np.int64(key[p])
        p += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        z = i + (y & _MASK32) % (n - i)
        order[i], order[z] = order[z], order[i]
    pos[0] = p


if HAVE_NUMBA:
    from numba import njit

    _twist = njit(cache=True, nogil=True)(_twist)
    permute = njit(cache=True, nogil=True)(permute)


class BatchOrder:
    """The stream of permutations a `torch.Generator().manual_seed(seed)` gives through torch.randperm.

    `key` and `pos` are the twister's state; `nnlib.train.fast_epoch` draws from them in place, so permutations
    taken here and there stay one stream."""

    def __init__(self, seed: int) -> None:
        state = torch_mt19937(seed).state["state"]  # raises ValueError outside [0, 2^32)
        self.key = np.ascontiguousarray(state["key"], dtype=np.uint32)
        self.pos = np.array([state["pos"]], dtype=np.int64)

    def permutation(self, n: int) -> np.ndarray:
        """The next epoch's order of n examples (int64), advancing the stream as torch.randperm(n) would."""
        if not 0 <= n <= MAX_N:
            raise ValueError(f"n must be in [0, {MAX_N}], got {n}")
        order = np.empty(n, np.int64)
        permute(self.key, self.pos, order)
        return order
