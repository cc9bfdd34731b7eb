"""The numba kernel of the fast MLP path: one compiled epoch of forward, loss, backward and optimizer steps with
hand-derived gradients, rounding like torch's float32 CPU maths (nn.Linear, the losses, torch.optim).

Kept apart from `fast_mlp` (the Python wrapper that checks inputs and owns the buffers) so each stays readable.
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is optional: without it `fast_mlp.supports()` says no and the Trainer uses the autograd path
    import numba
    from numba import njit, types
    from numba.extending import intrinsic

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only on installs without numba
    HAVE_NUMBA = False

ACTIVATIONS = ("linear", "relu", "leaky_relu", "elu", "selu", "gelu", "silu", "tanh", "sigmoid",
               "hard_sigmoid", "softplus", "softsign")
LOSSES = ("mse", "l1", "huber", "bce", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
# slots of the kernel's float64 `hp` (hyper-parameters in, loss sums out) and int64 `ctl` arrays
_LR, _MOMENTUM, _BETA1, _BETA2, _EPS_I, _ALPHA, _WD, _L1, _L2, _OUT_LOSS, _OUT_PEN = range(11)
_STEP, _BS, _LOSS, _OPT, _NB = range(5)

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
            alpha = _f32(1.6732632423543772848170429916717)
            return _f32(s * z) if z > 0 else _f32(s * _f32(alpha * math.expm1(z)))
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

    @njit(inline="always", **_JIT)
    def _unflip(old, new, clamp):  # type: ignore[no-untyped-def]
        """L1's clamp (nnlib.regularization.clamp_sign_flips): a weight whose sign flipped becomes exactly 0."""
        if clamp and ((old > 0 and new < 0) or (old < 0 and new > 0)):
            return _f32(0.0)
        return new

    @njit(inline="always", **_JIT)
    def _step_param(p, st, lo, opt, hp, t, is_weight):  # type: ignore[no-untyped-def]
        """One torch.optim step (its single-tensor CPU formulas) of the 1-D parameter p at step t.

        st[0, lo:lo + p.size] is its gradient, st[1|2, ...] its optimizer state (momentum / sums / moments).
        Weight matrices (not biases) get AdamW's decay and, when l1 > 0, L1's clamp at a sign flip.
        """
        n = p.shape[0]
        clamp = is_weight and hp[_L1] != 0.0
        if opt <= 2:  # sgd, momentum, nesterov
            mom, neg_lr = _f32(hp[_MOMENTUM]), _f32(-hp[_LR])
            for i in range(n):
                d = st[0, lo + i]
                if opt > 0:
                    buf = d if t == 1 else _f32(st[1, lo + i] * mom) + d
                    st[1, lo + i] = buf
                    d = d + mom * buf if opt == 2 else buf
                p[i] = _unflip(p[i], p[i] + neg_lr * d, clamp)
        elif opt == 3:  # adagrad (lr_decay 0, initial accumulator 0)
            eps, neg_lr = _f32(hp[_EPS_I]), _f32(-hp[_LR])
            for i in range(n):
                g = st[0, lo + i]
                acc = st[1, lo + i] + g * g
                st[1, lo + i] = acc
                p[i] = _unflip(p[i], p[i] + neg_lr * (g / (_f32(math.sqrt(acc)) + eps)), clamp)
        elif opt == 4:  # rmsprop (not centered, no momentum)
            alpha, one_m_alpha = _f32(hp[_ALPHA]), _f32(1.0 - hp[_ALPHA])
            eps, neg_lr = _f32(hp[_EPS_I]), _f32(-hp[_LR])
            for i in range(n):
                g = st[0, lo + i]
                sq = _f32(st[2, lo + i] * alpha) + one_m_alpha * g * g
                st[2, lo + i] = sq
                p[i] = _unflip(p[i], p[i] + neg_lr * (g / (_f32(math.sqrt(sq)) + eps)), clamp)
        else:  # adam / adamw (amsgrad off)
            lr, b1, b2, eps = hp[_LR], hp[_BETA1], hp[_BETA2], _f32(hp[_EPS_I])
            w1, b2f, one_m_b2 = _f32(1.0 - b1), _f32(b2), _f32(1.0 - b2)
            neg_step = _f32(-(lr / (1.0 - b1 ** t)))
            bc2_sqrt = _f32(math.sqrt(1.0 - b2 ** t))
            decayed = opt == 6 and is_weight
            decay = _f32(1.0 - lr * hp[_WD])
            for i in range(n):
                g = st[0, lo + i]
                old = p[i]
                w = old * decay if decayed else old
                m = st[1, lo + i] + w1 * (g - st[1, lo + i])
                v = _f32(st[2, lo + i] * b2f) + one_m_b2 * g * g
                st[1, lo + i] = m
                st[2, lo + i] = v
                p[i] = _unflip(old, w + neg_step * (m / (_f32(math.sqrt(v)) / bc2_sqrt + eps)), clamp)

    @njit(inline="always", **_JIT)
    def _axpy(y_addr, alpha, x_addr, n):  # type: ignore[no-untyped-def]
        """y[:n] += alpha * x[:n] on raw float32 memory. Each lane is its own sum, so the compiler vectorizes
        it without reordering additions: matmuls built from it round exactly like sequential dot products."""
        y = numba.carray(_f32_ptr(y_addr), (n,))
        x = numba.carray(_f32_ptr(x_addr), (n,))
        for i in range(n):
            y[i] += alpha * x[i]

    @njit(**_JIT)
    def _epoch(addrs, dims, acts, poff, x, yf, yi, order, hp, ctl, st, za, dd, wt):  # type: ignore[no-untyped-def]
        """Mini-batch steps over x[order]: forward, loss, penalty, backward, optimizer step, per batch.

        Parameters live at `addrs` (W0, b0, W1, b1, ...; flat offsets in `poff`); acts[l] is the activation code
        (index into ACTIVATIONS) after layer l. hp: float hyper-parameters (+ loss/penalty sums out), ctl: [step,
        batch size, loss, optimizer, n_batches out (-1: bad index)], st: [grad, state1, state2] x flat params,
        za: [z | a, layer, row, unit], dd: 2 delta buffers, wt: room for one W.T.
        """
        n_layers = dims.shape[0] - 1
        n, n_out = order.shape[0], dims[n_layers]
        bs, loss, opt = ctl[_BS], ctl[_LOSS], ctl[_OPT]
        ctl[_NB] = -1
        for i in range(n):
            if order[i] < 0 or order[i] >= x.shape[0]:
                return
        if loss == 4:
            for i in range(yi.shape[0]):
                if yi[i] < 0 or yi[i] >= n_out:
                    return
        l1, l2 = hp[_L1], hp[_L2]
        za_p, z_s0, z_s1, z_s2 = za.ctypes.data, za.strides[0], za.strides[1], za.strides[2]
        dd_p, d_s0, d_s1 = dd.ctypes.data, dd.strides[0], dd.strides[1]
        st_p, wt_p = st.ctypes.data, wt.ctypes.data
        l1f, half_l2 = _f32(l1), _f32(0.5 * l2)
        loss_sum = 0.0
        pen_sum = 0.0
        n_batches = 0
        for start in range(0, n, bs):
            nb = min(bs, n - start)
            # ---- forward: a[l+1] = act(a[l] @ W.T + b); the output layer has no activation
            for r in range(nb):
                row = order[start + r]
                for k in range(dims[0]):
                    za[1, 0, r, k] = x[row, k]
            for layer in range(n_layers):
                fin, fout = dims[layer], dims[layer + 1]
                w = numba.carray(_f32_ptr(addrs[2 * layer]), (fout, fin))
                b = numba.carray(_f32_ptr(addrs[2 * layer + 1]), (fout,))
                last = layer == n_layers - 1
                act = acts[layer] if not last else 0
                for k in range(fin):  # W.T, so z[r, :] += a[r, k] * W.T[k, :] runs over contiguous memory
                    for j in range(fout):
                        wt[k * fout + j] = w[j, k]
                for r in range(nb):  # z[r, j] = sum_k a[r, k] W[j, k] (k ascending, as one dot would) + b[j]
                    z_row = za_p + z_s1 * (layer + 1) + z_s2 * r
                    for j in range(fout):
                        za[0, layer + 1, r, j] = 0.0
                    for k in range(fin):
                        _axpy(z_row, za[1, layer, r, k], wt_p + 4 * k * fout, fout)
                    for j in range(fout):
                        acc = za[0, layer + 1, r, j] + b[j]
                        za[0, layer + 1, r, j] = acc
                        za[1, layer + 1, r, j] = acc if last else _act(acc, act)
            # ---- loss (mean over the batch) and dL/d(output) into dd[0]
            bl = 0.0
            inv = _f32(1.0 / (nb * n_out)) if loss != 4 else _f32(1.0 / nb)
            for r in range(nb):
                row = order[start + r]
                if loss == 4:
                    mx = za[0, n_layers, r, 0]
                    for j in range(1, n_out):
                        mx = max(mx, za[0, n_layers, r, j])
                    se = _f32(0.0)
                    for j in range(n_out):
                        se += _f32(math.exp(za[0, n_layers, r, j] - mx))
                    lse = mx + _f32(math.log(se))
                    cls = yi[row]
                    bl += lse - za[0, n_layers, r, cls]
                    for j in range(n_out):
                        p = _f32(math.exp(za[0, n_layers, r, j] - lse))
                        dd[0, r, j] = (p - _f32(1.0) if j == cls else p) * inv
                    continue
                for j in range(n_out):
                    o, y = za[0, n_layers, r, j], yf[row, j]
                    e = o - y
                    if loss == 0:
                        bl += e * e
                        dd[0, r, j] = _f32(2.0) * e * inv
                    elif loss == 1:
                        bl += abs(e)
                        dd[0, r, j] = (_f32(1.0) if e > 0 else (_f32(-1.0) if e < 0 else _f32(0.0))) * inv
                    elif loss == 2:
                        if abs(e) < 1:
                            bl += 0.5 * e * e
                            dd[0, r, j] = e * inv
                        else:
                            bl += abs(e) - 0.5
                            dd[0, r, j] = (_f32(1.0) if e > 0 else _f32(-1.0)) * inv
                    else:  # bce with logits: max(o, 0) - o y + log(1 + e^-|o|); d/do = sigmoid(o) - y
                        en = _f32(math.exp(-abs(o)))
                        bl += max(o, _f32(0.0)) - o * y + math.log1p(en)
                        sig = _f32(1.0) / (_f32(1.0) + en) if o >= 0 else en / (_f32(1.0) + en)
                        dd[0, r, j] = (sig - y) * inv
            loss_sum += bl / (nb * n_out) if loss != 4 else bl / nb
            # ---- penalty on the weights (before the step, like the torch path)
            if l1 != 0.0 or l2 != 0.0:
                pen = 0.0
                for layer in range(n_layers):
                    s1 = _f32(0.0)
                    s2 = _f32(0.0)
                    w1d = numba.carray(_f32_ptr(addrs[2 * layer]), (poff[2 * layer + 1] - poff[2 * layer],))
                    for i in range(w1d.shape[0]):
                        s1 += abs(w1d[i])
                        s2 += w1d[i] * w1d[i]
                    pen += l1 * s1 + l2 * 0.5 * s2
                pen_sum += pen
            # ---- backward: d = dL/dz[layer+1]; gW = d.T @ a[layer]; gb = sum d; d_prev = (d @ W) * act'(z)
            cur = 0
            for layer in range(n_layers - 1, -1, -1):
                fin, fout = dims[layer], dims[layer + 1]
                w_p = addrs[2 * layer]
                w = numba.carray(_f32_ptr(w_p), (fout, fin))
                gw, gb = poff[2 * layer], poff[2 * layer + 1]
                for i in range(gw, poff[2 * layer + 2]):
                    st[0, i] = 0.0
                for r in range(nb):  # gW[j, :] += d[r, j] * a[r, :], gb[j] += d[r, j] (r ascending)
                    a_row = za_p + z_s0 + z_s1 * layer + z_s2 * r
                    for j in range(fout):
                        dj = dd[cur, r, j]
                        st[0, gb + j] += dj
                        _axpy(st_p + 4 * (gw + j * fin), dj, a_row, fin)
                if l1 != 0.0 or l2 != 0.0:
                    for j in range(fout):
                        for k in range(fin):
                            wv = w[j, k]
                            g = st[0, gw + j * fin + k]
                            if l1 != 0.0:
                                g += l1f * (_f32(1.0) if wv > 0 else (_f32(-1.0) if wv < 0 else _f32(0.0)))
                            if l2 != 0.0:
                                g += (half_l2 * wv) * _f32(2.0)
                            st[0, gw + j * fin + k] = g
                if layer > 0:
                    nxt = 1 - cur
                    prev_act = acts[layer - 1]  # hoisted: an array load in the inner loop blocks vectorizing
                    for r in range(nb):  # d_prev[r, :] = (sum_j d[r, j] W[j, :]) * act'(z[r, :]), j ascending
                        for k in range(fin):
                            dd[nxt, r, k] = 0.0
                        dp_row = dd_p + d_s0 * nxt + d_s1 * r
                        for j in range(fout):
                            _axpy(dp_row, dd[cur, r, j], w_p + 4 * j * fin, fin)
                        for k in range(fin):
                            dd[nxt, r, k] *= _dact(za[0, layer, r, k], za[1, layer, r, k], prev_act)
                    cur = nxt
            # ---- optimizer step on every parameter
            ctl[_STEP] += 1
            t = ctl[_STEP]
            for i in range(addrs.shape[0]):
                lo = poff[i]
                p = numba.carray(_f32_ptr(addrs[i]), (poff[i + 1] - lo,))
                _step_param(p, st, lo, opt, hp, t, i % 2 == 0)
            n_batches += 1
        hp[_OUT_LOSS] = loss_sum
        hp[_OUT_PEN] = pen_sum
        ctl[_NB] = n_batches
