"""Forward-only numba kernels of the fast MLP path: per-epoch evaluation (loss and accuracy / RMSE of a split),
weight and gradient norms, and the network over a grid of points (the live view's boundary and neuron maps).

On a TF-Playground-sized net, torch's fixed cost per call (~55 us for an evaluation, ~20 us for `model.train()`,
a few us per norm) was several times the epoch of training itself; these run in a few microseconds on the same
parameter memory the training kernel writes (`fast_kernel`), so nothing is copied back to torch per epoch.
Results equal the torch path's to float32 tolerance (tests/train/test_fast_eval_property.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from nnlib.train.fast_kernel import HAVE_NUMBA

# slots of the metrics array `res` the evaluation kernel fills
M_LOSS, M_CORRECT, M_SQERR, M_YSUM, M_YSQ, M_ROWS, M_VALUES = range(7)

if HAVE_NUMBA:
    import numba
    from numba import njit

    from nnlib.train.fast_kernel import _JIT, _act, _f32, _f32_ptr

    @njit(inline="always", **_JIT)
    def _tanh(x):  # type: ignore[no-untyped-def]
        """float32 tanh as Eigen (and so torch's vectorized CPU kernel) computes it: a 13/6 rational function,
        within a few ulp of tanhf and branch-free, so the loop over rows vectorizes (libm's tanhf does not)."""
        x = min(max(x, _f32(-7.90531110763549805)), _f32(7.90531110763549805))
        x2 = x * x
        p = x2 * _f32(-2.76076847742355e-16) + _f32(2.00018790482477e-13)
        p = x2 * p + _f32(-8.60467152213735e-11)
        p = x2 * p + _f32(5.12229709037114e-08)
        p = x2 * p + _f32(1.48572235717979e-05)
        p = x2 * p + _f32(6.37261928875436e-04)
        p = x2 * p + _f32(4.89352455891786e-03)
        q = x2 * _f32(1.19825839466702e-06) + _f32(1.18534705686654e-04)
        q = x2 * q + _f32(2.26843463243900e-03)
        q = x2 * q + _f32(4.89352518554385e-03)
        return (x * p) / q

    @njit(**_JIT)
    def forward(addrs, dims, acts, x, za):  # type: ignore[no-untyped-def]
        """Every layer's output for the rows of x, unit-major: za[0, k, r] = x[r, k], za[l + 1, j, r] =
        act(sum_k W_l[j, k] za[l, k, r] + b_l[j]), the output layer without activation. za: [layers + 1, widest
        layer, rows] float32. Rows are the inner, contiguous loop, so the compiler vectorizes it. Parameters at
        `addrs` as in `fast_kernel._epoch` (W0, b0, W1, b1, ...)."""
        n_layers = dims.shape[0] - 1
        n = x.shape[0]
        for r in range(n):
            for k in range(dims[0]):
                za[0, k, r] = x[r, k]
        for layer in range(n_layers):
            fin, fout = dims[layer], dims[layer + 1]
            w = numba.carray(_f32_ptr(addrs[2 * layer]), (fout, fin))
            b = numba.carray(_f32_ptr(addrs[2 * layer + 1]), (fout,))
            act = acts[layer] if layer < n_layers - 1 else 0
            src = za[layer]
            for j in range(fout):
                dst = za[layer + 1, j]
                bj = b[j]
                for r in range(n):
                    dst[r] = _f32(0.0)
                for k in range(fin):
                    wk = w[j, k]
                    a = src[k]
                    for r in range(n):
                        dst[r] += wk * a[r]
                if act == 7:
                    for r in range(n):
                        dst[r] = _tanh(dst[r] + bj)
                else:
                    for r in range(n):
                        dst[r] = _act(dst[r] + bj, act)

    @njit(**_JIT)
    def metrics(out, yf, yi, loss, bounds, want_loss, res):  # type: ignore[no-untyped-def]
        """Per segment s (rows bounds[s]:bounds[s + 1], one split each) of the outputs `out` [k, n] (unit-major,
        as `forward` leaves them): the loss (mean, like torch's reduction) and the sums behind accuracy / RMSE /
        R^2, into res[s].

        loss: index into fast_kernel.LOSSES; yi (class ids) for cross entropy, else yf [n, k]. Accuracy counts
        argmax == class (cross entropy) or (output > 0) == int(target), as `Trainer.evaluate` does. The loss of a
        segment with want_loss[s] == 0 is not computed (the training split's: its exps and logs are half the
        cost, and the epoch's batches already give the training loss); it reads NaN.

        BCE's log(1 + e^-|o|) terms are summed as the log of their product (each factor in (1, 2], the product
        taken in float64 and folded into a log before it could overflow): one log per segment instead of one
        log1p per row, which was half the evaluation's time on the default net, and closer to the exact sum."""
        k = out.shape[0]
        for s in range(bounds.shape[0] - 1):
            lo, hi = bounds[s], bounds[s + 1]
            with_loss = want_loss[s] != 0
            total = 0.0
            product = 1.0  # of BCE's 1 + e^-|o| factors since the last fold into `total`
            correct = 0
            sq = 0.0
            ysum = 0.0
            ysq = 0.0
            for r in range(lo, hi):
                if loss == 4:
                    mx = out[0, r]
                    best = 0
                    for j in range(1, k):
                        if out[j, r] > mx:
                            mx, best = out[j, r], j
                    correct += best == yi[r]
                    if not with_loss:
                        continue
                    se = 0.0
                    for j in range(k):
                        se += math.exp(np.float64(out[j, r]) - mx)
                    total += mx + math.log(se) - out[yi[r], r]
                    continue
                for j in range(k):
                    o, y = np.float64(out[j, r]), np.float64(yf[r, j])
                    e = o - y
                    sq += e * e
                    ysum += y
                    ysq += y * y
                    if not with_loss:
                        continue
                    if loss == 0:
                        total += e * e
                    elif loss == 1:
                        total += abs(e)
                    elif loss == 2:
                        total += 0.5 * e * e if abs(e) < 1 else abs(e) - 0.5
                    else:
                        o32 = out[j, r]  # float32 exp, as torch's float32 loss: ~2x cheaper than float64
                        total += max(o, 0.0) - o * y
                        product *= 1.0 + np.float64(math.exp(-abs(o32)))
                        if product > 1e300:
                            total += math.log(product)
                            product = 1.0
                correct += (1 if out[0, r] > 0 else 0) == int(yf[r, 0])
            total += math.log(product)
            n = hi - lo
            res[s, M_LOSS] = total / max(1, n if loss == 4 else n * k) if with_loss else np.nan
            res[s, M_CORRECT] = correct
            res[s, M_SQERR] = sq
            res[s, M_YSUM] = ysum
            res[s, M_YSQ] = ysq
            res[s, M_ROWS] = n
            res[s, M_VALUES] = n * k

    @njit(**_JIT)
    def norms(addrs, poff, grads, out):  # type: ignore[no-untyped-def]
        """out[l] = ||W_l|| and out[layers + l] = ||dL/dW_l|| (the weight matrices, not the biases); out[-1] the
        number of weights exactly 0 (L1's dead connections)."""
        n_layers = addrs.shape[0] // 2
        zeros = 0
        for layer in range(n_layers):
            lo, hi = poff[2 * layer], poff[2 * layer + 1]
            w = numba.carray(_f32_ptr(addrs[2 * layer]), (hi - lo,))
            sw = 0.0
            sg = 0.0
            for i in range(hi - lo):
                zeros += w[i] == 0
                sw += np.float64(w[i]) * w[i]
                sg += np.float64(grads[lo + i]) * grads[lo + i]
            out[layer] = math.sqrt(sw)
            out[n_layers + layer] = math.sqrt(sg)
        out[out.shape[0] - 1] = zeros


def _log_keys(split: str) -> tuple[str, str, str, str]:
    return f"{split}_loss", f"{split}_rmse", f"{split}_r2", f"{split}_accuracy"


_LOG_KEYS = {split: _log_keys(split) for split in ("train", "val", "test")}  # named once, not every epoch


def split_logs(split: str, res: Sequence[float], problem: str) -> dict[str, float]:
    """The log entries of one evaluated split from the metrics kernel's sums (keys as `Trainer.evaluate`); `res`
    is its row of the kernel's array (or that row as a list: cheaper to read than numpy scalars)."""
    loss_key, rmse_key, r2_key, accuracy_key = _LOG_KEYS.get(split) or _log_keys(split)
    logs: dict[str, float] = {} if split == "train" else {loss_key: float(res[M_LOSS])}
    if problem == "regression":
        count = float(res[M_VALUES])
        mse = float(res[M_SQERR]) / count
        mean = float(res[M_YSUM]) / count
        var = float(res[M_YSQ]) / count - mean * mean
        logs[rmse_key] = math.sqrt(mse) if math.isfinite(mse) else math.nan
        logs[r2_key] = 1.0 - mse / var if var > 1e-12 else 0.0
    else:
        logs[accuracy_key] = float(res[M_CORRECT]) / float(res[M_ROWS])
    return logs
