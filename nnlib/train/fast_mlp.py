"""Fast training path for small dense nets: one numba-compiled epoch with hand-derived gradients, same float32
maths as nn.Linear + torch.nn activations/losses + torch.optim, ~100x less per-step overhead than autograd."""

from __future__ import annotations

import math
import time

import numpy as np

try:  # numba is optional: without it `supports()` says no and the Trainer uses the autograd path
    import numba
    from numba import njit, types
    from numba.extending import intrinsic

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only on installs without numba
    HAVE_NUMBA = False

ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "tanh", "sigmoid", "hard_sigmoid",
               "softplus", "softsign")
LOSSES = ("mse", "l1", "huber", "bce", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
# torch.optim defaults per optimizer: eps differs between Adagrad (1e-10) and the others (1e-8)
_EPS = {"adagrad": 1e-10, "rmsprop": 1e-8, "adam": 1e-8, "adamw": 1e-8}
# hyper-parameter slots of the float64 `hp` array handed to the kernel
_LR, _MOMENTUM, _BETA1, _BETA2, _EPS_I, _ALPHA, _WD = range(7)


def supports(activation: str, optimizer: str, loss: str) -> bool:
    """Whether the fast path can train this combination exactly like the torch path (else: use autograd)."""
    return HAVE_NUMBA and activation in ACTIVATIONS and optimizer in OPTIMIZERS and loss in LOSSES


if HAVE_NUMBA:
    _JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
    _f32 = np.float32

    @intrinsic
    def _f32_ptr(typingctx, addr):  # type: ignore[no-untyped-def]
        """int64 address -> float32* so the kernel can write straight into the torch parameters' memory."""
        sig = types.CPointer(types.float32)(types.int64)

        def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
            return builder.inttoptr(args[0], context.get_value_type(types.CPointer(types.float32)))

        return sig, codegen

    @njit(**_JIT)
    def _act(z, code):  # type: ignore[no-untyped-def]
        """Forward of the torch.nn activation with this code (index into ACTIVATIONS), float32 in and out."""
        if code == 0:
            return z
        if code == 1:
            return z if z > 0 else _f32(0.0)
        if code == 2:
            return z if z > 0 else _f32(z * _f32(0.01))
        if code == 3:
            return z if z > 0 else _f32(math.expm1(z))
        if code == 4:
            s = _f32(1.0507009873554804934193349852946)
            return _f32(s * z) if z > 0 else _f32(s * _f32(_f32(1.6732632423543772848170429916717) * math.expm1(z)))
        if code == 5:
            return _f32(z * _f32(0.5) * (_f32(1.0) + math.erf(z * _f32(0.70710678118654752440))))
        if code == 6:
            return _f32(z / (_f32(1.0) + math.exp(-z)))
        if code == 7:  # via a float64 exp: correctly rounded like tanhf, but ~3x faster than libm's tanhf
            zd = np.float64(z)
            if abs(zd) < 1e-4 or abs(zd) > 20.0:
                return z if abs(zd) < 1e-4 else _f32(math.copysign(1.0, zd))
            e = math.exp(zd + zd)
            return _f32((e - 1.0) / (e + 1.0))
        if code == 8:
            return _f32(_f32(1.0) / (_f32(1.0) + math.exp(-z)))
        if code == 9:
            return _f32(min(max(z + _f32(3.0), _f32(0.0)), _f32(6.0)) / _f32(6.0))
        if code == 10:
            return z if z > 20 else _f32(math.log1p(math.exp(z)))
        return _f32(z / (_f32(1.0) + abs(z)))

    @njit(**_JIT)
    def _dact(z, a, code):  # type: ignore[no-untyped-def]
        """d act / d z at pre-activation z (a = act(z)), following torch's backward formulas."""
        if code == 0:
            return _f32(1.0)
        if code == 1:
            return _f32(1.0) if a > 0 else _f32(0.0)
        if code == 2:
            return _f32(1.0) if z > 0 else _f32(0.01)
        if code == 3:
            return _f32(1.0) if z > 0 else _f32(math.exp(z))
        if code == 4:
            s = _f32(1.0507009873554804934193349852946)
            return s if z > 0 else _f32(s * _f32(1.6732632423543772848170429916717) * math.exp(z))
        if code == 5:
            cdf = _f32(0.5) * (_f32(1.0) + math.erf(z * _f32(0.70710678118654752440)))
            pdf = _f32(0.39894228040143267794) * math.exp(z * z * _f32(-0.5))
            return _f32(cdf + z * pdf)
        if code == 6:
            s = _f32(1.0) / (_f32(1.0) + math.exp(-z))
            return _f32(s * (_f32(1.0) + z * (_f32(1.0) - s)))
        if code == 7:
            return _f32(_f32(1.0) - a * a)
        if code == 8:
            return _f32(a * (_f32(1.0) - a))
        if code == 9:
            return _f32(1.0 / 6.0) if (z > -3 and z < 3) else _f32(0.0)
        if code == 10:
            if z > 20:
                return _f32(1.0)
            e = math.exp(z)
            return _f32(e / (e + _f32(1.0)))
        d = _f32(1.0) + abs(z)
        return _f32(_f32(1.0) / (d * d))

    @njit(**_JIT)
    def _update(p, g, m, v, opt, hp, t):  # type: ignore[no-untyped-def]
        """One torch.optim step (single-tensor CPU implementation) of parameter p with gradient g at step t."""
        lr = hp[0]
        n = p.shape[0]
        if opt <= 2:  # sgd, momentum, nesterov
            mom = _f32(hp[1])
            neg_lr = _f32(-lr)
            for i in range(n):
                d = g[i]
                if opt > 0:
                    m[i] = d if t == 1 else _f32(m[i] * mom) + d
                    d = d + mom * m[i] if opt == 2 else m[i]
                p[i] = p[i] + neg_lr * d
        elif opt == 3:  # adagrad (lr_decay 0, initial accumulator 0)
            eps, neg_lr = _f32(hp[4]), _f32(-lr)
            for i in range(n):
                m[i] = m[i] + g[i] * g[i]
                p[i] = p[i] + neg_lr * (g[i] / (_f32(math.sqrt(m[i])) + eps))
        elif opt == 4:  # rmsprop (not centered, no momentum)
            alpha, one_m_alpha, eps, neg_lr = _f32(hp[5]), _f32(1.0 - hp[5]), _f32(hp[4]), _f32(-lr)
            for i in range(n):
                v[i] = _f32(v[i] * alpha) + one_m_alpha * g[i] * g[i]
                p[i] = p[i] + neg_lr * (g[i] / (_f32(math.sqrt(v[i])) + eps))
        else:  # adam / adamw
            b1, b2, eps = hp[2], hp[3], _f32(hp[4])
            w1, b2f, one_m_b2 = _f32(1.0 - b1), _f32(b2), _f32(1.0 - b2)
            neg_step = _f32(-(lr / (1.0 - b1 ** t)))
            bc2_sqrt = _f32(math.sqrt(1.0 - b2 ** t))
            decay = _f32(1.0 - lr * hp[6])
            for i in range(n):
                if opt == 6:
                    p[i] = p[i] * decay
                m[i] = m[i] + w1 * (g[i] - m[i])
                v[i] = _f32(v[i] * b2f) + one_m_b2 * g[i] * g[i]
                p[i] = p[i] + neg_step * (m[i] / (_f32(math.sqrt(v[i])) / bc2_sqrt + eps))

    @njit(**_JIT)
    def _epoch(addrs, dims, poff, x, yf, yi, order, bs, act, loss, opt, hp, l1, l2, step,  # type: ignore
               grads, mstate, vstate, z_buf, a_buf, d0, d1, wt):
        """Mini-batch SGD over x[order]; returns (sum of batch losses, sum of batch penalties, n_batches).

        Parameters live at `addrs` (W0, b0, W1, b1, ...); gradients and optimizer state are flat float32 buffers
        indexed by `poff`. n_batches == -1 means a bad index in `order` or a class id out of range.
        """
        n_layers = dims.shape[0] - 1
        n, n_out = order.shape[0], dims[n_layers]
        for i in range(n):
            if order[i] < 0 or order[i] >= x.shape[0]:
                return 0.0, 0.0, -1
        if loss == 4:
            for i in range(yi.shape[0]):
                if yi[i] < 0 or yi[i] >= n_out:
                    return 0.0, 0.0, -1
        l1f, l2f, half_l2 = _f32(l1), _f32(l2), _f32(0.5 * l2)
        loss_sum = 0.0
        pen_sum = 0.0
        n_batches = 0
        for start in range(0, n, bs):
            nb = min(bs, n - start)
            # ---- forward: a[l+1] = act(a[l] @ W.T + b); the output layer has no activation
            for r in range(nb):
                row = order[start + r]
                for k in range(dims[0]):
                    a_buf[0, r, k] = x[row, k]
            for layer in range(n_layers):
                fin, fout = dims[layer], dims[layer + 1]
                w = numba.carray(_f32_ptr(addrs[2 * layer]), (fout, fin))
                b = numba.carray(_f32_ptr(addrs[2 * layer + 1]), (fout,))
                for k in range(fin):  # W.T, so the inner loops below run over contiguous memory
                    for j in range(fout):
                        wt[k * fout + j] = w[j, k]
                for r in range(nb):
                    z = z_buf[layer + 1, r]
                    a_in = a_buf[layer, r]
                    for j in range(fout):
                        z[j] = 0.0
                    for k in range(fin):  # z[j] = sum_k a[k] * W[j, k] in k order, then + b[j]
                        ak = a_in[k]
                        base = k * fout
                        for j in range(fout):
                            z[j] += ak * wt[base + j]
                    a_out = a_buf[layer + 1, r]
                    if layer == n_layers - 1:
                        for j in range(fout):
                            z[j] += b[j]
                            a_out[j] = z[j]
                    else:
                        for j in range(fout):
                            z[j] += b[j]
                            a_out[j] = _act(z[j], act)
            # ---- loss (mean over the batch) and dL/d(output) into d0
            bl = 0.0
            inv = _f32(1.0 / (nb * n_out)) if loss != 4 else _f32(1.0 / nb)
            for r in range(nb):
                row = order[start + r]
                if loss == 4:
                    mx = z_buf[n_layers, r, 0]
                    for j in range(1, n_out):
                        mx = max(mx, z_buf[n_layers, r, j])
                    se = _f32(0.0)
                    for j in range(n_out):
                        se += _f32(math.exp(z_buf[n_layers, r, j] - mx))
                    lse = mx + _f32(math.log(se))
                    cls = yi[row]
                    bl += lse - z_buf[n_layers, r, cls]
                    for j in range(n_out):
                        p = _f32(math.exp(z_buf[n_layers, r, j] - lse))
                        d0[r, j] = (p - _f32(1.0) if j == cls else p) * inv
                    continue
                for j in range(n_out):
                    o, y = z_buf[n_layers, r, j], yf[row, j]
                    e = o - y
                    if loss == 0:
                        bl += e * e
                        d0[r, j] = _f32(2.0) * e * inv
                    elif loss == 1:
                        bl += abs(e)
                        d0[r, j] = (_f32(1.0) if e > 0 else (_f32(-1.0) if e < 0 else _f32(0.0))) * inv
                    elif loss == 2:
                        if abs(e) < 1:
                            bl += 0.5 * e * e
                            d0[r, j] = e * inv
                        else:
                            bl += abs(e) - 0.5
                            d0[r, j] = (_f32(1.0) if e > 0 else _f32(-1.0)) * inv
                    else:  # bce with logits
                        bl += max(o, _f32(0.0)) - o * y + math.log1p(math.exp(-abs(o)))
                        d0[r, j] = (_f32(1.0) / (_f32(1.0) + _f32(math.exp(-o))) - y) * inv
            loss_sum += bl / (nb * n_out) if loss != 4 else bl / nb
            # ---- penalty on the weights (before the step, like the torch path)
            if l1 != 0.0 or l2 != 0.0:
                pen = 0.0
                for layer in range(n_layers):
                    s1 = _f32(0.0)
                    s2 = _f32(0.0)
                    base = poff[2 * layer]
                    w1d = numba.carray(_f32_ptr(addrs[2 * layer]), (poff[2 * layer + 1] - base,))
                    for i in range(w1d.shape[0]):
                        s1 += abs(w1d[i])
                        s2 += w1d[i] * w1d[i]
                    pen += l1 * s1 + l2 * 0.5 * s2
                pen_sum += pen
            # ---- backward: d = dL/dz[layer+1]; gW = d.T @ a[layer]; gb = sum d; d_prev = (d @ W) * act'(z)
            d, d_prev = d0, d1
            for layer in range(n_layers - 1, -1, -1):
                fin, fout = dims[layer], dims[layer + 1]
                w = numba.carray(_f32_ptr(addrs[2 * layer]), (fout, fin))
                gw = grads[poff[2 * layer]:poff[2 * layer + 1]]
                gb = grads[poff[2 * layer + 1]:poff[2 * layer + 2]]
                gw[:] = 0.0
                gb[:] = 0.0
                for r in range(nb):  # gW[j, k] = sum_r d[r, j] * a[r, k], gb[j] = sum_r d[r, j], in r order
                    a_in = a_buf[layer, r]
                    for j in range(fout):
                        dj = d[r, j]
                        gb[j] += dj
                        base = j * fin
                        for k in range(fin):
                            gw[base + k] += dj * a_in[k]
                if l1 != 0.0 or l2 != 0.0:
                    for j in range(fout):
                        for k in range(fin):
                            wv = w[j, k]
                            g = gw[j * fin + k]
                            if l1 != 0.0:
                                g += l1f * (_f32(1.0) if wv > 0 else (_f32(-1.0) if wv < 0 else _f32(0.0)))
                            if l2 != 0.0:
                                g += (half_l2 * wv) * _f32(2.0)
                            gw[j * fin + k] = g
                if layer > 0:
                    for r in range(nb):  # d_prev[r, k] = (sum_j d[r, j] * W[j, k]) * act'(z[r, k])
                        dp = d_prev[r]
                        for k in range(fin):
                            dp[k] = 0.0
                        for j in range(fout):
                            dj = d[r, j]
                            for k in range(fin):
                                dp[k] += dj * w[j, k]
                        for k in range(fin):
                            dp[k] *= _dact(z_buf[layer, r, k], a_buf[layer, r, k], act)
                    d, d_prev = d_prev, d
            # ---- optimizer step on every parameter
            step[0] += 1
            t = step[0]
            for i in range(addrs.shape[0]):
                lo, hi = poff[i], poff[i + 1]
                p = numba.carray(_f32_ptr(addrs[i]), (hi - lo,))
                _update(p, grads[lo:hi], mstate[lo:hi], vstate[lo:hi], opt, hp, t)
            n_batches += 1
        return loss_sum, pen_sum, n_batches


class FastMLP:
    """Trains a Linear/activation stack in place through numpy views of its torch parameters.

    Same update as the torch path (nn.Sequential + loss + penalty + torch.optim) in float32, deterministic,
    with no autograd or tensor dispatch per step, which is what dominates for TF-Playground-sized nets.
    """

    def __init__(self, weights: list[np.ndarray], biases: list[np.ndarray], activation: str, loss: str,
                 optimizer: str, opt_params: dict, l1: float = 0.0, l2: float = 0.0) -> None:
        if not supports(activation, optimizer, loss):
            raise ValueError(f"fast path cannot train activation={activation!r} optimizer={optimizer!r} "
                             f"loss={loss!r}{'' if HAVE_NUMBA else ' (numba is not installed)'}")
        if not weights or len(weights) != len(biases):
            raise ValueError("need one bias per weight matrix and at least one layer")
        dims = [int(weights[0].shape[1])] + [int(w.shape[0]) for w in weights]
        params: list[np.ndarray] = []
        for i, (w, b) in enumerate(zip(weights, biases)):
            if w.shape != (dims[i + 1], dims[i]) or b.shape != (dims[i + 1],):
                raise ValueError(f"layer {i}: weight {w.shape} / bias {b.shape} do not chain with {dims}")
            for p in (w, b):
                if p.dtype != np.float32 or not p.flags.c_contiguous or not p.flags.writeable:
                    raise ValueError("parameters must be writeable C-contiguous float32 arrays (torch views)")
            params += [w, b]
        self._params = params  # keeps the parameter memory alive: the kernel writes through raw addresses
        self._addrs = np.array([p.ctypes.data for p in params], dtype=np.int64)
        self._dims = np.array(dims, dtype=np.int64)
        self._poff = np.concatenate([[0], np.cumsum([p.size for p in params])]).astype(np.int64)
        total = int(self._poff[-1])
        self._grads = np.zeros(total, np.float32)
        self._m = np.zeros(total, np.float32)
        self._v = np.zeros(total, np.float32)
        self._step = np.zeros(1, np.int64)
        self._wt = np.zeros(max(w.size for w in weights), np.float32)
        self._act = ACTIVATIONS.index(activation)
        self._loss = LOSSES.index(loss)
        self._opt = OPTIMIZERS.index(optimizer)
        hp = np.zeros(7, np.float64)
        hp[_LR] = opt_params["lr"]
        hp[_MOMENTUM] = opt_params.get("momentum", 0.9)
        hp[_BETA1] = opt_params.get("beta1", 0.9)
        hp[_BETA2] = opt_params.get("beta2", 0.999)
        hp[_EPS_I] = opt_params.get("eps", _EPS.get(optimizer, 1e-8))
        hp[_ALPHA] = opt_params.get("alpha", 0.99)
        hp[_WD] = opt_params.get("weight_decay", 0.01) if optimizer == "adamw" else 0.0
        self._hp = hp
        self.l1, self.l2 = float(l1), float(l2)
        self._bufs: tuple[np.ndarray, ...] = ()
        self._no_int = np.zeros(0, np.int64)
        self._no_float = np.zeros((0, dims[-1]), np.float32)

    @property
    def lr(self) -> float:
        return float(self._hp[_LR])

    def set_lr(self, lr: float) -> None:
        """Schedules and the live LR slider change the rate between epochs; optimizer state is kept."""
        self._hp[_LR] = lr

    def _buffers(self, batch_size: int) -> tuple[np.ndarray, ...]:
        """Per-layer activation and delta scratch, reused across epochs while the batch size stays."""
        if not self._bufs or self._bufs[0].shape[1] != batch_size:
            width = int(self._dims.max())
            shape = (len(self._dims), batch_size, width)
            self._bufs = (np.zeros(shape, np.float32), np.zeros(shape, np.float32),
                          np.zeros((batch_size, width), np.float32), np.zeros((batch_size, width), np.float32))
        return self._bufs

    def train_epoch(self, x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int) -> tuple[float, float]:
        """One epoch over x[order] in mini-batches; returns (mean batch data loss, mean batch penalty)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        if x.ndim != 2 or x.shape[1] != self._dims[0]:
            raise ValueError(f"x must be [n, {self._dims[0]}], got {x.shape}")
        if self._loss == 4:
            yi, yf = np.ascontiguousarray(y, dtype=np.int64).reshape(-1), self._no_float
            n_y = len(yi)
        else:
            yf, yi = np.ascontiguousarray(y, dtype=np.float32).reshape(len(y), -1), self._no_int
            n_y = len(yf)
            if yf.shape[1] != self._dims[-1]:
                raise ValueError(f"y must have {self._dims[-1]} column(s), got {yf.shape}")
        if n_y != len(x):
            raise ValueError(f"x has {len(x)} rows but y has {n_y}")
        order = np.ascontiguousarray(order, dtype=np.int64)
        bs = int(batch_size)
        if bs < 1:
            raise ValueError("batch_size must be >= 1")
        bs = min(bs, max(1, len(order)))
        z_buf, a_buf, d0, d1 = self._buffers(bs)
        loss_sum, pen_sum, n_batches = _epoch(
            self._addrs, self._dims, self._poff, x, yf, yi, order, bs, self._act, self._loss, self._opt, self._hp,
            self.l1, self.l2, self._step, self._grads, self._m, self._v, z_buf, a_buf, d0, d1, self._wt)
        if n_batches < 0:
            raise IndexError("order holds an index outside x, or y holds a class id outside the outputs")
        n = max(1, n_batches)
        return loss_sum / n, pen_sum / n

    def grad_norms(self) -> list[float]:
        """L2 norm of each weight matrix's gradient (data + penalty) at the last step, like torch's w.grad.norm()."""
        return [float(np.linalg.norm(self._grads[self._poff[i]:self._poff[i + 1]]))
                for i in range(0, len(self._params), 2)]


def warmup() -> float:
    """Compile (or load from numba's on-disk cache) the epoch kernel; returns the seconds it took.

    A worker calls this at start so the user's first Train click does not wait for the compiler.
    """
    start = time.perf_counter()
    if HAVE_NUMBA:
        w = [np.zeros((2, 2), np.float32), np.zeros((1, 2), np.float32)]
        b = [np.zeros(2, np.float32), np.zeros(1, np.float32)]
        FastMLP(w, b, "tanh", "mse", "sgd", {"lr": 0.0}).train_epoch(
            np.zeros((2, 2), np.float32), np.zeros((2, 1), np.float32), np.arange(2), 2)
    return time.perf_counter() - start
