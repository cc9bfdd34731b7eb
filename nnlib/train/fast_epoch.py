"""The Trainer's fast-path epoch as ONE compiled call: batch order, training epoch, evaluation of every split, and
the weight/gradient norms.

On the default net (2-4-2-1, 250 points, batch 10) the training kernel takes ~50 us per epoch; the four other
calls it used to need (the twister's draws, the evaluation forward pass, its metrics, the norms) each cost a
compiled-call dispatch of ~0.5-2 us plus the Python between them, together a quarter of the epoch. Here they are
the same compiled functions (`batch_order.permute`, `fast_kernel._epoch`, `fast_eval.forward/metrics/norms`) called
in turn from one compiled function, so the results are bitwise those of the separate calls
(tests/train/test_fused_epoch.py).

Group workers batch many jobs' training epochs through the `fast_mlp._epoch` seam (`batched_mlp`); a Trainer
uses this fused call only while that seam is the plain kernel (see `usable`).
"""

from __future__ import annotations

import math
from itertools import repeat
from typing import Any

import numpy as np

from nnlib.train import fast_mlp
from nnlib.train.batch_order import MAX_N, BatchOrder
from nnlib.train.callbacks import Logs
from nnlib.train.fast_eval import M_CORRECT, M_LOSS, M_ROWS, split_logs
from nnlib.train.fast_kernel import _BS, _LOSS, _NB, _OUT_LOSS, _OUT_PEN, HAVE_NUMBA


def _sources_digest() -> str:
    """A hash of the kernels' source files that `_fused` compiles in. Numba's on-disk cache of a function checks
    only its own file's timestamp, so an edit to a callee's file alone would load a stale `_fused`; the digest is a
    closure variable of `_fused`, and numba's cache key includes those, so such an edit recompiles it."""
    import hashlib
    from pathlib import Path

    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("fast_kernel.py", "fast_eval.py", "batch_order.py"):
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # no sources next to the package: nothing to go stale against
            pass
    return digest.hexdigest()


if HAVE_NUMBA:  # module globals, not closure variables: numba's cache key pickles the closure (see below)
    from numba import njit

    from nnlib.train.batch_order import permute
    from nnlib.train.fast_eval import forward, metrics, norms
    from nnlib.train.fast_kernel import _JIT, _epoch


def _compiled_fused(sources: str) -> Any:
    """`fused` with the kernels' source digest as its one closure variable (a plain string, pickled the same in
    every process, so the cache key is stable until a source changes)."""

    @njit(**_JIT)
    def fused(addrs, dims, acts, poff, x, yf, yi, key, pos, order, hp, ctl, st, za, dd, wt,  # type: ignore[no-untyped-def]
              ex, eza, eout, eyf, eyi, bounds, want_loss, res, stats):
        """permute -> _epoch -> (if the epoch's loss is finite) forward + metrics of the stacked splits -> norms.
        Returns whether the splits were evaluated; ctl[_NB] < 0 (bad index) returns before anything else."""
        if len(sources) == 0:  # never: reading `sources` makes it part of the cache key
            return False
        permute(key, pos, order)
        _epoch(addrs, dims, acts, poff, x, yf, yi, order, hp, ctl, st, za, dd, wt)
        if ctl[_NB] < 0:
            return False
        n = max(1, ctl[_NB])
        evaluated = math.isfinite(hp[_OUT_LOSS] / n + hp[_OUT_PEN] / n)  # the Trainer's test, in float64 alike
        if evaluated:
            forward(addrs, dims, acts, ex, eza)
            metrics(eout, eyf, eyi, ctl[_LOSS], bounds, want_loss, res)
        norms(addrs, poff, st[0], stats)
        return evaluated

    return fused


if HAVE_NUMBA:
    _fused = _compiled_fused(_sources_digest())


def usable() -> bool:
    """Whether the fused call trains as `FastMLP.train_epoch` would: numba is there and this thread's epochs are
    not routed elsewhere (a group worker's `batched_mlp.KernelRouter` batches the epochs of its jobs' threads;
    other threads of that process still call the kernel directly)."""
    if not HAVE_NUMBA:
        return False
    kernel = getattr(fast_mlp, "_epoch", None)
    if kernel is _epoch:
        return True
    return getattr(kernel, "direct", None) is _epoch and not kernel.routes_this_thread()  # type: ignore[union-attr]


class FusedEpoch:
    """A FastMLP, its training set, its batch order and its prepared evaluation splits, bound once so that each
    epoch is a single compiled call (`run`). The learning rate is the FastMLP's (`FastMLP.set_lr`)."""

    def __init__(self, fast: fast_mlp.FastMLP, x: np.ndarray, y: np.ndarray, order: BatchOrder, batch_size: int,
                 problem: str, prepared: fast_mlp.EvalSet) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not 0 <= len(x) <= MAX_N:
            raise ValueError(f"n must be in [0, {MAX_N}], got {len(x)}")
        xk, yf, yi = fast._checked_data(x, y)
        bs = min(int(batch_size), max(1, len(xk)))
        za, dd = fast._buffers(bs)
        self.fast = fast
        self._bs = bs
        self._order = np.empty(len(xk), np.int64)
        self._args = (fast._addrs, fast._dims, fast._acts, fast._poff, xk, yf, yi, order.key, order.pos,
                      self._order, fast._hp, fast._ctl, fast._state, za, dd, fast._wt, prepared.x, prepared.za,
                      prepared.out, prepared.yf, prepared.yi, prepared.bounds, prepared.want_loss, prepared.res,
                      fast._stats_out)
        self.prepared = prepared
        self._problem = problem
        # a classifier's entries per split, named once: (has a loss, loss key, accuracy key), as `split_logs` names them
        self._class_keys = ([(name != "train", f"{name}_loss", f"{name}_accuracy") for name in prepared.names]
                            if problem != "regression" else None)
        self._n_weights = len(fast.weights)

    def run(self) -> tuple[float, float, Any, list[float]]:
        """One epoch: (mean batch data loss, mean batch penalty, the splits' metric rows as lists -- None when the
        loss was not finite and nothing was evaluated --, the norms buffer as a list: weight norms, gradient
        norms, zero count; see `FastMLP.weight_stats`)."""
        fast = self.fast
        ctl, hp = fast._ctl, fast._hp
        ctl[_BS] = self._bs
        evaluated = _fused(*self._args)
        n_batches = int(ctl[_NB])
        if n_batches < 0:
            raise IndexError("order holds an index outside x, or y holds a class id outside the outputs")
        n = max(1, n_batches)
        rows = self.prepared.res.tolist() if evaluated else None
        return float(hp[_OUT_LOSS]) / n, float(hp[_OUT_PEN]) / n, rows, fast._stats_out.tolist()

    def write_logs(self, epoch: int, lr: float, logs: Logs) -> None:
        """Run one epoch and add its entries to `logs`, the same values in the same order as the Trainer's separate
        steps write them (epoch, losses, lr, fast_path, the splits' metrics, weight/grad norms, zero weights)."""
        data_loss, pen, rows, stats = self.run()
        self.write_epoch_logs(epoch, lr, logs, data_loss, pen, rows, stats)

    def write_epoch_logs(self, epoch: int, lr: float, logs: Logs, data_loss: float, pen: float, rows: Any,
                         stats: list[float]) -> None:
        """`write_logs`' entries from an epoch's results (`run`'s, or a burst's record row: `record_logs`)."""
        logs.update(epoch=epoch, train_loss=data_loss, train_penalty=pen, lr=lr, fast_path=True)
        if rows is not None and self._class_keys is not None:  # what split_logs writes, without a dict per split
            for (with_loss, loss_key, accuracy_key), row in zip(self._class_keys, rows):
                if with_loss:
                    logs[loss_key] = row[M_LOSS]
                logs[accuracy_key] = row[M_CORRECT] / row[M_ROWS]
        elif rows is not None:
            problem = self._problem
            for split, row in zip(self.prepared.names, rows):
                logs.update(split_logs(split, row, problem))
        half = self._n_weights
        logs["weight_norms"], logs["grad_norms"], logs["zero_weights"] = stats[:half], stats[half:2 * half], int(
            stats[-1])

    def burst_arrays(self, lrs: np.ndarray, record: np.ndarray, state: np.ndarray, abort: np.ndarray,
                     limit: np.ndarray) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
        """This epoch's arrays as `batched_burst.describe_burst` takes them: (the `_epoch` arguments, the rest).
        Sets the batch size, as `run` does."""
        self.fast._ctl[_BS] = self._bs
        a = self._args
        epoch_args = (*a[:7], a[9], *a[10:16])  # addrs dims acts poff x yf yi, order, hp ctl st za dd wt
        extra = (a[7], a[8], *a[16:24], a[24], lrs, record, state, abort, limit)
        return epoch_args, extra

    def record_width(self) -> int:
        """Columns of a burst's record row for this net (see `batched_burst.BURST_ARGS`)."""
        return 3 + self.prepared.res.size + self.fast._stats_out.size

    def record_logs(self, epoch: int, lr: float, logs: Logs, row: list[float]) -> None:
        """`write_logs`' entries from one epoch's row of a burst's record (`batched_burst`)."""
        n_res = self.prepared.res.size
        rows = None
        if row[2]:
            width = self.prepared.res.shape[1]
            rows = [row[3 + i:3 + i + width] for i in range(0, n_res, width)]
        self.write_epoch_logs(epoch, lr, logs, row[0], row[1], rows, row[3 + n_res:])

    def burst_logs(self, first_epoch: int, lrs: list[float], record: np.ndarray, walls: list[float]) -> list[Logs]:
        """Every epoch's logs of a burst (`record_logs` of each row, plus its `wall_time`), built column by column:
        per row that was ~4 us, most of a small net's share of the burst. The same keys in the same order and
        the same values (numpy's float64 division is Python's), so a history cannot tell how it was built
        (tests/train/test_burst_replay.py). Regression metrics, or a row whose splits were not evaluated (a
        diverged last epoch), take the per-row way."""
        k = len(record)
        if self._class_keys is None or not k or not record[:, 2].all():
            out = []
            for e, (lr, row, wall) in enumerate(zip(lrs, record.tolist(), walls)):
                logs: Logs = {}
                self.record_logs(first_epoch + e, lr, logs, row)
                logs["wall_time"] = wall
                out.append(logs)
            return out
        res = self.prepared.res
        n_res, width = res.size, res.shape[1]
        keys: list[str] = ["epoch", "train_loss", "train_penalty", "lr", "fast_path"]
        columns: list[Any] = [range(first_epoch, first_epoch + k), record[:, 0].tolist(), record[:, 1].tolist(),
                              lrs, repeat(True)]
        for i, (with_loss, loss_key, accuracy_key) in enumerate(self._class_keys):
            base = 3 + i * width
            if with_loss:
                keys.append(loss_key)
                columns.append(record[:, base + M_LOSS].tolist())
            keys.append(accuracy_key)
            columns.append((record[:, base + M_CORRECT] / record[:, base + M_ROWS]).tolist())
        half, stats = self._n_weights, 3 + n_res
        keys += ["weight_norms", "grad_norms", "zero_weights", "wall_time"]
        columns += [record[:, stats:stats + half].tolist(), record[:, stats + half:stats + 2 * half].tolist(),
                    record[:, stats + 2 * half].astype(np.int64).tolist(), walls]
        return [dict(zip(keys, values)) for values in zip(*columns)]
