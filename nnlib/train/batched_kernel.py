"""One compiled call that runs an epoch of many small MLPs: the classroom's nets advanced together.

Each net keeps its own parameters, optimizer state, hyper-parameters, data and batch order; the call receives,
per net, the raw addresses and shapes of exactly the arrays `fast_kernel._epoch` takes. Nets of one kind (same
layer sizes, activations, loss, optimizer, batch size and epoch length) train together in `batched_simd`'s
net-minor pass, every multiply-add running for many nets in one SIMD instruction (2-3x `_epoch`'s examples per
CPU-second on the default net); a net of its own kind, or one whose indices `_epoch` would refuse, runs through
`_epoch` itself. Both do each net's float32 operations in `_epoch`'s order, so a net trained in a batch ends bitwise
where it ends alone (`tests/train/test_batched_identity.py`); batching also saves the per-call dispatch and lets
the caller release the GIL once for the whole class.
"""
from __future__ import annotations

import threading
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

# the net-minor SIMD pass pays off from this many nets of one kind (2 run ~10% slower than `_epoch` twice, 4 ~1.6x
# faster); it takes at most MAX_LANES at once (per CPU-second, 32-64 nets ran ~1.2x 16 on the default net)
MIN_GROUP = 3
MAX_LANES = 64

if HAVE_NUMBA:
    import numba
    from numba import njit

    from nnlib.train.batched_simd import NET_COLUMNS, group_epoch
    from nnlib.train.fast_kernel import _L1, _L2, _LOSS, _OPT, _epoch
    from nnlib.train.raw_memory import f32_ptr, f64_ptr, i64_ptr

    @njit(cache=True, nogil=True)
    def _run_one(r):  # type: ignore[no-untyped-def]
        """`_epoch` on the arrays one table row describes."""
        _epoch(
            numba.carray(i64_ptr(r[0]), (r[1],)),
            numba.carray(i64_ptr(r[2]), (r[3],)),
            numba.carray(i64_ptr(r[4]), (r[5],)),
            numba.carray(i64_ptr(r[6]), (r[7],)),
            numba.carray(f32_ptr(r[8]), (r[9], r[10])),
            numba.carray(f32_ptr(r[11]), (r[12], r[13])),
            numba.carray(i64_ptr(r[14]), (r[15],)),
            numba.carray(i64_ptr(r[16]), (r[17],)),
            numba.carray(f64_ptr(r[18]), (r[19],)),
            numba.carray(i64_ptr(r[20]), (r[21],)),
            numba.carray(f32_ptr(r[22]), (r[23], r[24])),
            numba.carray(f32_ptr(r[25]), (r[26], r[27], r[28], r[29])),
            numba.carray(f32_ptr(r[30]), (r[31], r[32], r[33])),
            numba.carray(f32_ptr(r[34]), (r[35],)),
        )

    @njit(cache=True, nogil=True)
    def _simd_ready(r):  # type: ignore[no-untyped-def]
        """Whether `group_epoch` may train this row: consistent shapes, indices in range (a row `_epoch` would
        refuse, or read out of bounds, runs through `_epoch` itself, which answers as it always did)."""
        n_dims, n_params = r[3], r[1]
        if n_dims < 2 or n_params != 2 * (n_dims - 1) or r[7] != n_params + 1 or r[5] != n_dims - 2:
            return False
        dims = numba.carray(i64_ptr(r[2]), (n_dims,))
        poff = numba.carray(i64_ptr(r[6]), (r[7],))
        ctl = numba.carray(i64_ptr(r[20]), (r[21],))
        if r[19] < 11 or r[21] < 5 or ctl[_BS] < 1 or r[10] != dims[0] or r[23] != 3 or r[24] != poff[n_params]:
            return False
        if poff[0] != 0:
            return False
        for i in range(n_dims - 1):
            if dims[i] < 1 or dims[i + 1] < 1 or poff[2 * i + 1] - poff[2 * i] != dims[i] * dims[i + 1] \
                    or poff[2 * i + 2] - poff[2 * i + 1] != dims[i + 1]:
                return False
        rows, n_out = r[9], dims[n_dims - 1]
        order = numba.carray(i64_ptr(r[16]), (r[17],))
        for i in range(order.shape[0]):
            if order[i] < 0 or order[i] >= rows:
                return False
        if ctl[_LOSS] == 4:
            yi = numba.carray(i64_ptr(r[14]), (r[15],))
            if yi.shape[0] != rows:
                return False
            for i in range(rows):
                if yi[i] < 0 or yi[i] >= n_out:
                    return False
        elif r[12] != rows or r[13] != n_out:
            return False
        return True

    @njit(cache=True, nogil=True)
    def _same_kind(r, q):  # type: ignore[no-untyped-def]
        """Whether two rows can share a `group_epoch` call (everything it takes once for the whole group)."""
        if r[3] != q[3] or r[17] != q[17]:
            return False
        for i in range(r[3]):
            if i64_ptr(r[2])[i] != i64_ptr(q[2])[i]:
                return False
        for i in range(r[5]):
            if i64_ptr(r[4])[i] != i64_ptr(q[4])[i]:
                return False
        cr, cq = i64_ptr(r[20]), i64_ptr(q[20])
        hr, hq = f64_ptr(r[18]), f64_ptr(q[18])
        return (cr[_LOSS] == cq[_LOSS] and cr[_OPT] == cq[_OPT] and cr[_BS] == cq[_BS]
                and (hr[_L1] != 0.0) == (hq[_L1] != 0.0) and (hr[_L2] != 0.0) == (hq[_L2] != 0.0))

    @njit(cache=True, nogil=True)
    def _run_group(table, members, count):  # type: ignore[no-untyped-def]
        """`group_epoch` over members[:count] (rows of one kind), at most MAX_LANES nets per pass."""
        r = table[members[0]]
        dims = numba.carray(i64_ptr(r[2]), (r[3],))
        acts = numba.carray(i64_ptr(r[4]), (r[5],))
        poff = numba.carray(i64_ptr(r[6]), (r[7],))
        ctl = numba.carray(i64_ptr(r[20]), (r[21],))
        for lo in range(0, count, MAX_LANES):
            hi = min(count, lo + MAX_LANES)
            nets = np.empty((hi - lo, NET_COLUMNS), np.int64)
            for g in range(hi - lo):
                q = table[members[lo + g]]
                nets[g, 0], nets[g, 1], nets[g, 2], nets[g, 3] = q[0], q[8], q[9], q[11]
                nets[g, 4], nets[g, 5], nets[g, 6], nets[g, 7], nets[g, 8] = q[14], q[16], q[18], q[20], q[22]
            group_epoch(nets, dims, acts, poff, ctl[_LOSS], ctl[_OPT], ctl[_BS], r[17])

    @njit(cache=True, nogil=True)
    def _epochs_one_by_one(table):  # type: ignore[no-untyped-def]
        """`_epoch` on every row in turn: what a worker runs while it compiles `_epochs` (see `warmup`)."""
        for j in range(table.shape[0]):
            _run_one(table[j])
        return 0

    @njit(cache=True, nogil=True)
    def _epochs(table):  # type: ignore[no-untyped-def]
        """An epoch of every row's net: nets of one kind together through `group_epoch`, the rest (and every
        net of a table naming one net twice, whose epochs must then run one after the other) through `_epoch`.
        Returns how many nets the SIMD pass trained."""
        n_rows = table.shape[0]
        for j in range(n_rows):
            for i in range(j):
                if table[i, 22] == table[j, 22]:  # one net's state twice: its epochs in order, as `_epoch` alone
                    for k in range(n_rows):
                        _run_one(table[k])
                    return 0
        leader = np.full(n_rows, -1, np.int64)
        for j in range(n_rows):
            if not _simd_ready(table[j]):
                continue
            leader[j] = j
            for i in range(j):
                if leader[i] == i and _same_kind(table[i], table[j]):
                    leader[j] = i
                    break
        members = np.empty(n_rows, np.int64)
        simd = 0
        for j in range(n_rows):
            if leader[j] < 0:
                _run_one(table[j])
            elif leader[j] == j:
                count = 0
                for i in range(j, n_rows):
                    if leader[i] == j:
                        members[count] = i
                        count += 1
                if count < MIN_GROUP:
                    for m in range(count):
                        _run_one(table[members[m]])
                else:
                    _run_group(table, members, count)
                    simd += count
        return simd


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


# the SIMD pass takes ~35 CPU-seconds to compile (once per machine: numba caches it on disk); a worker's warm-up
# compiles it in this thread and runs batches one net at a time until it is ready (bitwise the same results)
_simd_compiling: threading.Thread | None = None
_simd_lock = threading.Lock()


def run_epochs(calls: Sequence[Sequence[np.ndarray]], rows: CallRows | None = None) -> int:
    """Run `_epoch(*call)` for every call in one compiled, GIL-free call (results land in each call's arrays,
    bitwise as `_epoch` leaves them); returns how many of the nets trained in the net-minor SIMD pass.

    The caller keeps every array alive until this returns: the loop reads and writes them by address. `rows`
    caches the table rows of nets seen before (a batcher keeps one).
    """
    if not calls:
        return 0
    if not HAVE_NUMBA:
        raise RuntimeError("the batched kernel needs numba, which is not installed")
    describe = describe_call if rows is None else rows.row
    table = np.array([describe(c) for c in calls], dtype=np.int64).reshape(len(calls), ROW_WIDTH)
    compiling = _simd_compiling
    if compiling is not None and compiling.is_alive():
        return int(_epochs_one_by_one(table))
    return int(_epochs(table))  # compiled here on first use when no warm-up started it


def prepared_call(fast: Any, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int) -> tuple:
    """The `_epoch` arguments of one epoch of a FastMLP (float targets, ready-made contiguous arrays), for callers
    that drive `run_epochs` without threads: the benchmark and the warm-up. Jobs go through FastMLP.train_epoch."""
    fast._ctl[_BS] = batch_size
    za, dd = fast._buffers(batch_size)
    return (fast._addrs, fast._dims, fast._acts, fast._poff, x, y, fast._no_int, order, fast._hp, fast._ctl,
            fast._state, za, dd, fast._wt)


def _warmup_table(run: Any) -> None:
    """Run `run` (a compiled batched loop) on a table of one throw-away net, compiling or loading it."""
    from nnlib.train.fast_mlp import FastMLP

    fast = FastMLP([np.zeros((1, 1), np.float32)], [np.zeros(1, np.float32)], [], "mse", "sgd", {"lr": 0.0})
    one = np.zeros((1, 1), np.float32)
    call = prepared_call(fast, one, one.copy(), np.zeros(1, np.int64), 1)
    run(np.array([describe_call(call)], dtype=np.int64))


def warmup(background: bool = True) -> None:
    """Compile (or load from numba's cache) the batched loops, so a group's first epoch does not wait for them:
    the one-net-at-a-time loop now, the SIMD pass in a background thread (`background`; else now too)."""
    global _simd_compiling
    if not HAVE_NUMBA:
        return
    _warmup_table(_epochs_one_by_one)
    with _simd_lock:
        if _simd_compiling is None:
            _simd_compiling = threading.Thread(target=_warmup_table, args=(_epochs,), daemon=True,
                                               name="nnlib-simd-compile")
            _simd_compiling.start()
    if not background:
        await_simd()


def await_simd() -> None:
    """Wait until a warm-up's background compile of the SIMD pass has finished (at once if none started)."""
    compiling = _simd_compiling
    if compiling is not None:
        compiling.join()
