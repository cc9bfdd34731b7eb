"""Bursts: many epochs of many nets' fused epochs (`fast_epoch`) in ONE GIL-free compiled call.

A group worker's jobs are threads; routed one epoch at a time (`batched_mlp.EpochBatcher.submit`), every epoch of
every job costs a thread hand-off, the GIL passed around 20 threads, and separate compiled calls for the batch
order, evaluation and norms: a class of 32 default nets in two group workers reached 1.5 M examples/s where the
bare batched kernel reaches 20 M. A burst runs up to `k` epochs of each net in one call: per epoch, each net's
batch order (`batch_order.permute`) and scheduled learning rate, then every net's training epoch together
(`batched_kernel._epochs`, the SIMD pass), then each net's evaluation and norms (`fast_eval`) written to a row of
its own record array. These are the fused epoch's compiled functions in the fused epoch's order, so each net ends
bitwise where `FusedEpoch.run` epoch after epoch leaves it (tests/train/test_batched_burst.py).

A net leaves the burst early after an epoch whose loss is not finite or above its NaN guard's limit (where the
guard stops its run), after an epoch the kernel refused (bad index), or when its `abort` flag is set (a command
arrived for its job: it is handled at the next epoch boundary, as without bursts). The job's thread then replays
the epochs' logs and callbacks (`loop.EpochLoop`), which is exact for callbacks that only read the logs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from nnlib.train.batched_kernel import ROW_WIDTH, describe_call
from nnlib.train.fast_kernel import _BS, HAVE_NUMBA

# the arrays a burst reads and writes besides the 14 of `_epoch` (those first, as `batched_kernel` rows them):
# name, dtype, dimensions
BURST_ARGS = (
    ("key", np.uint32, 1), ("pos", np.int64, 1),  # the batch order's twister (`batch_order.BatchOrder`)
    ("ex", np.float32, 2), ("eza", np.float32, 3), ("eout", np.float32, 2), ("eyf", np.float32, 2),
    ("eyi", np.int64, 1), ("bounds", np.int64, 1), ("want_loss", np.int64, 1), ("res", np.float64, 2),  # EvalSet
    ("stats", np.float64, 1),  # the norms' buffer
    ("lrs", np.float64, 1),  # each epoch's learning rate; its length is the most epochs this net may run
    ("record", np.float64, 2),  # per epoch: data loss, penalty, evaluated (0/1), the metric rows, the norms
    ("state", np.int64, 1),  # [epochs done, failed (a refused epoch)], written by the burst
    ("abort", np.int64, 1),  # [nonzero: leave the burst at the next epoch boundary], read by the burst
    ("limit", np.float64, 1),  # [the NaN guard's limit: a loss above it ends the net's burst]
)
_AT = {}
_col = ROW_WIDTH
for _name, _, _ndim in BURST_ARGS:
    _AT[_name] = _col
    _col += 1 + _ndim
BURST_ROW_WIDTH = _col
(KEY, POS, EX, EZA, EOUT, EYF, EYI, BOUNDS, WANT, RES, STATS, LRS, REC, STATE, ABORT, LIMIT) = (
    _AT[n] for n, _, _ in BURST_ARGS)
RECORD_HEAD = 3  # data loss, penalty, evaluated; then the metric rows, then the norms
DONE, FAILED = 0, 1  # slots of `state`


def _sources_digest() -> str:
    """A hash of the kernels' sources `_bursts` compiles in (numba's cache checks only this file; see
    `fast_epoch._sources_digest`)."""
    import hashlib
    from pathlib import Path

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("fast_kernel.py", "fast_eval.py", "batch_order.py", "batched_kernel.py", "batched_simd.py"):
        try:
            digest.update((here / name).read_bytes())
        except OSError:
            pass
    return digest.hexdigest()


if HAVE_NUMBA:
    import math

    import numba
    from numba import njit

    from nnlib.train.batch_order import permute
    from nnlib.train.batched_kernel import _epochs
    from nnlib.train.fast_eval import forward, metrics, norms
    from nnlib.train.fast_kernel import _LOSS, _LR, _NB, _OUT_LOSS, _OUT_PEN
    from nnlib.train.raw_memory import f32_ptr, f64_ptr, i64_ptr, u32_ptr


def _compiled_bursts(sources: str):  # type: ignore[no-untyped-def]
    """`bursts` with the sources' digest as its one closure variable (part of numba's cache key)."""

    @njit(cache=True, nogil=True)
    def bursts(table):  # type: ignore[no-untyped-def]
        """Every row's net trained up to len(lrs) epochs (see the module docstring); returns the SIMD pass's
        net-epochs."""
        if len(sources) == 0:  # never: reading `sources` makes it part of the cache key
            return 0
        n_rows = table.shape[0]
        active = np.zeros(n_rows, np.bool_)
        most = 0
        for j in range(n_rows):
            r = table[j]
            state = numba.carray(i64_ptr(r[STATE]), (r[STATE + 1],))
            state[DONE], state[FAILED] = 0, 0
            active[j] = r[LRS + 1] > 0
            most = max(most, r[LRS + 1])
        simd = 0
        picked = np.empty(n_rows, np.int64)
        for e in range(most):
            count = 0
            for j in range(n_rows):
                r = table[j]
                if not active[j]:
                    continue
                if e >= r[LRS + 1] or i64_ptr(r[ABORT])[0] != 0:
                    active[j] = False
                    continue
                key = numba.carray(u32_ptr(r[KEY]), (r[KEY + 1],))
                pos = numba.carray(i64_ptr(r[POS]), (r[POS + 1],))
                order = numba.carray(i64_ptr(r[16]), (r[17],))
                permute(key, pos, order)
                f64_ptr(r[18])[_LR] = f64_ptr(r[LRS])[e]  # hp[_LR], as FastMLP.set_lr
                picked[count] = j
                count += 1
            if count == 0:
                break
            sub = np.empty((count, ROW_WIDTH), np.int64)
            for c in range(count):
                for i in range(ROW_WIDTH):
                    sub[c, i] = table[picked[c], i]
            simd += _epochs(sub)
            for c in range(count):
                j = picked[c]
                r = table[j]
                state = numba.carray(i64_ptr(r[STATE]), (r[STATE + 1],))
                ctl = numba.carray(i64_ptr(r[20]), (r[21],))
                hp = numba.carray(f64_ptr(r[18]), (r[19],))
                state[DONE] = e + 1
                if ctl[_NB] < 0:
                    state[FAILED] = 1
                    active[j] = False
                    continue
                n = max(1, ctl[_NB])
                data_loss, pen = hp[_OUT_LOSS] / n, hp[_OUT_PEN] / n
                record = numba.carray(f64_ptr(r[REC]), (r[REC + 1], r[REC + 2]))
                record[e, 0], record[e, 1] = data_loss, pen
                evaluated = math.isfinite(data_loss + pen)
                record[e, 2] = 1.0 if evaluated else 0.0
                addrs = numba.carray(i64_ptr(r[0]), (r[1],))
                dims = numba.carray(i64_ptr(r[2]), (r[3],))
                acts = numba.carray(i64_ptr(r[4]), (r[5],))
                poff = numba.carray(i64_ptr(r[6]), (r[7],))
                res = numba.carray(f64_ptr(r[RES]), (r[RES + 1], r[RES + 2]))
                if evaluated:
                    forward(addrs, dims, acts, numba.carray(f32_ptr(r[EX]), (r[EX + 1], r[EX + 2])),
                            numba.carray(f32_ptr(r[EZA]), (r[EZA + 1], r[EZA + 2], r[EZA + 3])))
                    metrics(numba.carray(f32_ptr(r[EOUT]), (r[EOUT + 1], r[EOUT + 2])),
                            numba.carray(f32_ptr(r[EYF]), (r[EYF + 1], r[EYF + 2])),
                            numba.carray(i64_ptr(r[EYI]), (r[EYI + 1],)), ctl[_LOSS],
                            numba.carray(i64_ptr(r[BOUNDS]), (r[BOUNDS + 1],)),
                            numba.carray(i64_ptr(r[WANT]), (r[WANT + 1],)), res)
                    at = RECORD_HEAD
                    for s in range(res.shape[0]):
                        for m in range(res.shape[1]):
                            record[e, at] = res[s, m]
                            at += 1
                stats = numba.carray(f64_ptr(r[STATS]), (r[STATS + 1],))
                grads = numba.carray(f32_ptr(r[22]), (r[23], r[24]))[0]
                norms(addrs, poff, grads, stats)
                at = RECORD_HEAD + res.shape[0] * res.shape[1]
                for i in range(stats.shape[0]):
                    record[e, at + i] = stats[i]
                total = data_loss + pen
                if not math.isfinite(total) or abs(total) > f64_ptr(r[LIMIT])[0]:
                    active[j] = False
        return simd

    return bursts


if HAVE_NUMBA:
    _bursts = _compiled_bursts(_sources_digest())


def describe_burst(epoch_args: Sequence[np.ndarray], extra: Sequence[np.ndarray]) -> list[int]:
    """One burst table row: the `_epoch` arguments' row, then each of BURST_ARGS' address and shape (refusing
    what the raw views would misread, in Python, with a message)."""
    if len(extra) != len(BURST_ARGS):
        raise ValueError(f"a burst has {len(BURST_ARGS)} arrays besides the epoch's, got {len(extra)}")
    row = describe_call(epoch_args)
    for (name, dtype, ndim), a in zip(BURST_ARGS, extra):
        if not isinstance(a, np.ndarray) or a.dtype != dtype or a.ndim != ndim or not a.flags.c_contiguous \
                or not a.flags.writeable:
            raise ValueError(f"burst array {name} must be a writeable C-contiguous {np.dtype(dtype).name} "
                             f"array of {ndim} dimension(s)")
        row += [a.__array_interface__["data"][0], *a.shape]
    return row


def run_bursts(rows: Sequence[list[int]]) -> int:
    """Run the bursts the rows describe in one compiled, GIL-free call; returns the SIMD pass's net-epochs. The
    caller keeps every array alive until this returns."""
    if not rows:
        return 0
    if not HAVE_NUMBA:
        raise RuntimeError("bursts need numba, which is not installed")
    table = np.array(rows, dtype=np.int64).reshape(len(rows), BURST_ROW_WIDTH)
    return int(_bursts(table))


_ready = threading.Event()
_compiling: threading.Thread | None = None
_lock = threading.Lock()


def ready() -> bool:
    """Whether bursts may be used now: the compiled call is loaded (`warmup`). Until then a group's epochs go one
    at a time (same results), so no job waits ~a minute for the compiler."""
    return _ready.is_set()


def _compile() -> None:
    from nnlib.train.batched_kernel import await_simd

    await_simd()  # the SIMD pass first (one compiler lock: this would wait for it anyway)
    from nnlib.train.fast_mlp import FastMLP

    fast = FastMLP([np.zeros((1, 1), np.float32)], [np.zeros(1, np.float32)], [], "mse", "sgd", {"lr": 0.0})
    x = np.zeros((1, 1), np.float32)
    prepared = fast.eval_set({"val": (x, x.copy())})
    from nnlib.train.batch_order import BatchOrder

    order = BatchOrder(0)
    za, dd = fast._buffers(1)
    epoch_args = (fast._addrs, fast._dims, fast._acts, fast._poff, x, x.copy(), fast._no_int, np.zeros(1, np.int64),
                  fast._hp, fast._ctl, fast._state, za, dd, fast._wt)
    fast._ctl[_BS] = 1
    record = np.zeros((1, RECORD_HEAD + prepared.res.size + fast._stats_out.size), np.float64)
    extra = (order.key, order.pos, prepared.x, prepared.za, prepared.out, prepared.yf, prepared.yi, prepared.bounds,
             prepared.want_loss, prepared.res, fast._stats_out, np.zeros(1), record, np.zeros(2, np.int64),
             np.zeros(1, np.int64), np.full(1, np.inf))
    run_bursts([describe_burst(epoch_args, extra)])
    _ready.set()


def warmup(background: bool = True) -> None:
    """Compile (or load from numba's cache) the burst call, in a background thread unless `background` is False."""
    global _compiling
    if not HAVE_NUMBA:
        return
    with _lock:
        if _compiling is None:
            _compiling = threading.Thread(target=_compile, daemon=True, name="nnlib-burst-compile")
            _compiling.start()
        thread = _compiling
    if not background:
        thread.join()
