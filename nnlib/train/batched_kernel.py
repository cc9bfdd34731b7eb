"""One compiled call that runs an epoch of many small MLPs: the classroom's nets advanced together.

Each net keeps its own parameters, optimizer state, hyper-parameters, data and batch order; the call receives,
per net, the raw addresses and shapes of exactly the arrays `fast_kernel._epoch` takes, rebuilds views of them and
runs `_epoch` on each in turn. Reusing `_epoch` itself (not a copy of its maths) is what makes a net trained in a
batch bitwise identical to the same net trained alone; batching saves the per-call dispatch and lets the caller
release the GIL once for the whole class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnlib.train.fast_kernel import _BS, HAVE_NUMBA

# number of dimensions of each of `_epoch`'s arguments, in its order:
# addrs dims acts poff x yf yi order hp ctl st za dd wt
EPOCH_ARG_NDIMS = (1, 1, 1, 1, 2, 2, 1, 1, 1, 1, 2, 4, 3, 1)
EPOCH_ARG_DTYPES = (np.int64, np.int64, np.int64, np.int64, np.float32, np.float32, np.int64, np.int64,
                    np.float64, np.int64, np.float32, np.float32, np.float32, np.float32)
ROW_WIDTH = sum(1 + n for n in EPOCH_ARG_NDIMS)  # per argument: its address, then its shape

if HAVE_NUMBA:
    import numba
    from numba import njit, types
    from numba.extending import intrinsic

    from nnlib.train.fast_kernel import _epoch

    def _pointer_to(item_type):  # type: ignore[no-untyped-def]
        """An intrinsic turning an int64 address into a pointer to `item_type` (what numba.carray views)."""

        @intrinsic
        def pointer(typingctx, addr):  # type: ignore[no-untyped-def]
            sig = types.CPointer(item_type)(types.int64)

            def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
                return builder.inttoptr(args[0], context.get_value_type(types.CPointer(item_type)))

            return sig, codegen

        return pointer

    _i64_ptr = _pointer_to(types.int64)
    _f64_ptr = _pointer_to(types.float64)
    _f32_ptr = _pointer_to(types.float32)

    @njit(cache=True, nogil=True)
    def _epochs(table):  # type: ignore[no-untyped-def]
        """Run `_epoch` once per row of `table` (one net each: address and shape of each argument, in order)."""
        for j in range(table.shape[0]):
            r = table[j]
            _epoch(
                numba.carray(_i64_ptr(r[0]), (r[1],)),
                numba.carray(_i64_ptr(r[2]), (r[3],)),
                numba.carray(_i64_ptr(r[4]), (r[5],)),
                numba.carray(_i64_ptr(r[6]), (r[7],)),
                numba.carray(_f32_ptr(r[8]), (r[9], r[10])),
                numba.carray(_f32_ptr(r[11]), (r[12], r[13])),
                numba.carray(_i64_ptr(r[14]), (r[15],)),
                numba.carray(_i64_ptr(r[16]), (r[17],)),
                numba.carray(_f64_ptr(r[18]), (r[19],)),
                numba.carray(_i64_ptr(r[20]), (r[21],)),
                numba.carray(_f32_ptr(r[22]), (r[23], r[24])),
                numba.carray(_f32_ptr(r[25]), (r[26], r[27], r[28], r[29])),
                numba.carray(_f32_ptr(r[30]), (r[31], r[32], r[33])),
                numba.carray(_f32_ptr(r[34]), (r[35],)),
            )


def _describe_arg(i: int, a: np.ndarray) -> list[int]:
    """Argument i's address then its shape; refuses what the raw views would misread."""
    ndim, dtype = EPOCH_ARG_NDIMS[i], EPOCH_ARG_DTYPES[i]
    if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim or not a.flags.c_contiguous \
            or not a.flags.writeable:
        raise ValueError(f"epoch argument {i} must be a writeable C-contiguous {np.dtype(dtype).name} "
                         f"array of {ndim} dimension(s)")
    return [a.__array_interface__["data"][0], *a.shape]


def describe_call(args: Sequence[np.ndarray]) -> list[int]:
    """One table row for one `_epoch` call: each argument's address then its shape.

    Refuses anything the raw views would misread (wrong dtype, dimensions or memory layout): the compiled loop
    trusts these numbers, so a wrong one must fail here, in Python, with a message.
    """
    if len(args) != len(EPOCH_ARG_NDIMS):
        raise ValueError(f"an epoch call has {len(EPOCH_ARG_NDIMS)} arguments, got {len(args)}")
    row: list[int] = []
    for i, a in enumerate(args):
        row += _describe_arg(i, a)
    return row


class CallRows:
    """Table rows of recent calls, reused while a net's arrays stay the same objects: describing 14 arrays costs
    ~15 us, a third of a default net's epoch, and between two epochs usually only the batch order changes.
    Keyed by the call's `hp` array (one per FastMLP); holds references, so a cached address stays valid."""

    def __init__(self, limit: int = 256) -> None:
        self._rows: dict[int, tuple[Sequence[np.ndarray], list[int]]] = {}
        self._limit = limit

    def row(self, args: Sequence[np.ndarray]) -> list[int]:
        if len(args) != len(EPOCH_ARG_NDIMS):
            raise ValueError(f"an epoch call has {len(EPOCH_ARG_NDIMS)} arguments, got {len(args)}")
        cached = self._rows.get(id(args[8]))
        if cached is not None and cached[0][8] is args[8]:
            old_args, old_row = cached
            changed = [i for i, (a, b) in enumerate(zip(args, old_args)) if a is not b]
            if not changed:
                return old_row
            if changed == [7]:  # only the order: refresh its address and length
                row = old_row.copy()
                row[_ORDER_AT:_ORDER_AT + 2] = _describe_arg(7, args[7])
                self._rows[id(args[8])] = (tuple(args), row)
                return row
        row = describe_call(args)
        if len(self._rows) >= self._limit:
            self._rows.clear()
        self._rows[id(args[8])] = (tuple(args), row)
        return row


_ORDER_AT = sum(1 + n for n in EPOCH_ARG_NDIMS[:7])  # where `order`'s address sits in a row


def run_epochs(calls: Sequence[Sequence[np.ndarray]], rows: CallRows | None = None) -> None:
    """Run `_epoch(*call)` for every call in one compiled, GIL-free loop (results land in each call's arrays).

    The caller keeps every array alive until this returns: the loop reads and writes them by address. `rows`
    caches the table rows of nets seen before (a batcher keeps one).
    """
    if not calls:
        return
    if not HAVE_NUMBA:
        raise RuntimeError("the batched kernel needs numba, which is not installed")
    describe = describe_call if rows is None else rows.row
    table = np.array([describe(c) for c in calls], dtype=np.int64).reshape(len(calls), ROW_WIDTH)
    _epochs(table)


def prepared_call(fast: Any, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int) -> tuple:
    """The `_epoch` arguments of one epoch of a FastMLP (float targets, ready-made contiguous arrays), for callers
    that drive `run_epochs` without threads: the benchmark and the warm-up. Jobs go through FastMLP.train_epoch."""
    fast._ctl[_BS] = batch_size
    za, dd = fast._buffers(batch_size)
    return (fast._addrs, fast._dims, fast._acts, fast._poff, x, y, fast._no_int, order, fast._hp, fast._ctl,
            fast._state, za, dd, fast._wt)


def warmup() -> None:
    """Compile (or load from numba's cache) the batched loop, so a group's first epoch does not wait for it."""
    if not HAVE_NUMBA:
        return
    from nnlib.train.fast_mlp import FastMLP

    fast = FastMLP([np.zeros((1, 1), np.float32)], [np.zeros(1, np.float32)], [], "mse", "sgd", {"lr": 0.0})
    one = np.zeros((1, 1), np.float32)
    run_epochs([prepared_call(fast, one, one.copy(), np.zeros(1, np.int64), 1)])
