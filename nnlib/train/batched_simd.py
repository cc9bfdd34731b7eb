"""An epoch of G nets of one shape in one pass with the net index innermost, so each multiply-add of a step runs
for 8-16 nets in one SIMD instruction.

`fast_kernel._epoch` trains one net; a 2-4-2-1 net's loops run a handful of iterations each, so its time goes to
loop overhead, not arithmetic. Here the parameters, optimizer state, activations and deltas of G nets with the same
layer sizes, activations, loss, optimizer, batch size and epoch length are copied into struct-of-arrays buffers
(`buf[element * G + g]`), every loop of `_epoch` gets an innermost loop over the nets, and the results are copied
back. Each net still does exactly `_epoch`'s float32 operations in `_epoch`'s order (the same sums in the same
order, its own hyper-parameters and step count, the same scalar activation and loss code; no fastmath, so no FMA
contraction, no reassociation): only the loops are interchanged, which is what keeps a net trained here bitwise
equal to the same net trained alone. `batched_kernel` groups the nets and calls `group_epoch`.
"""

from __future__ import annotations

import math

import numpy as np

from nnlib.train.fast_kernel import (
    _ALPHA,
    _BETA1,
    _BETA2,
    _EPS_I,
    _L1,
    _L2,
    _LR,
    _MOMENTUM,
    _NB,
    _OUT_LOSS,
    _OUT_PEN,
    _STEP,
    _WD,
    HAVE_NUMBA,
)

# columns of `group_epoch`'s per-net table: addresses (and x's row count) of the arrays `_epoch` would receive
NET_ADDRS, NET_X, NET_ROWS, NET_YF, NET_YI, NET_ORDER, NET_HP, NET_CTL, NET_ST = range(9)
NET_COLUMNS = 9

if HAVE_NUMBA:
    import numba
    from numba import njit

    from nnlib.train.fast_kernel import _act, _dact, _unflip
    from nnlib.train.raw_memory import f32_ptr, f64_ptr, i64_ptr

    _JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
    _f32 = np.float32

    @njit(**_JIT)
    def _gather(nets, n_in, n_out, n, loss, xg, yg, cg):  # type: ignore[no-untyped-def]
        """Every net's epoch examples in its own order: xg[(i * n_in + k) * G + g] = x_g[order_g[i], k], targets
        alike (yg for float targets, cg for class ids)."""
        G = nets.shape[0]
        for g in range(G):
            rows = nets[g, NET_ROWS]
            x = numba.carray(f32_ptr(nets[g, NET_X]), (rows, n_in))
            order = numba.carray(i64_ptr(nets[g, NET_ORDER]), (n,))
            yf = numba.carray(f32_ptr(nets[g, NET_YF]), (rows, n_out))
            yi = numba.carray(i64_ptr(nets[g, NET_YI]), (rows,))
            for i in range(n):
                row = order[i]
                for k in range(n_in):
                    xg[(i * n_in + k) * G + g] = x[row, k]
                if loss == 4:
                    cg[i * G + g] = yi[row]
                else:
                    for j in range(n_out):
                        yg[(i * n_out + j) * G + g] = yf[row, j]

    @njit(**_JIT)
    def _copy_params(nets, poff, ps, st, back):  # type: ignore[no-untyped-def]
        """Each net's parameters and [grad, state1, state2] into the net-minor buffers (back: the other way)."""
        G = nets.shape[0]
        n_params, P = poff.shape[0] - 1, poff[poff.shape[0] - 1]
        for g in range(G):
            addrs = numba.carray(i64_ptr(nets[g, NET_ADDRS]), (n_params,))
            own_st = numba.carray(f32_ptr(nets[g, NET_ST]), (3, P))
            for i in range(n_params):
                p = numba.carray(f32_ptr(addrs[i]), (poff[i + 1] - poff[i],))
                for e in range(p.shape[0]):
                    if back:
                        p[e] = ps[(poff[i] + e) * G + g]
                    else:
                        ps[(poff[i] + e) * G + g] = p[e]
            for s in range(3):
                for e in range(P):
                    if back:
                        own_st[s, e] = st[(s * P + e) * G + g]
                    else:
                        st[(s * P + e) * G + g] = own_st[s, e]

    @njit(**_JIT)
    def _forward(dims, acts, poff, bs, width, nb, G, ps, z, a):  # type: ignore[no-untyped-def]
        """a[l+1] = act(a[l] @ W.T + b) for nb rows; z[l+1] keeps the pre-activations (`_epoch`'s forward)."""
        z_p, a_p, ps_p = f32_ptr(z.ctypes.data), f32_ptr(a.ctypes.data), f32_ptr(ps.ctypes.data)
        n_layers = dims.shape[0] - 1
        for layer in range(n_layers):
            fin, fout = dims[layer], dims[layer + 1]
            wo, bo = poff[2 * layer], poff[2 * layer + 1]
            last = layer == n_layers - 1
            act = acts[layer] if not last else 0
            for r in range(nb):
                a_in = (layer * bs + r) * width * G
                z_out = ((layer + 1) * bs + r) * width * G
                for j in range(fout):
                    zj = z_out + j * G
                    for g in range(G):
                        z_p[zj + g] = 0.0
                    for k in range(fin):  # k ascending, as `_epoch`'s axpy over W.T adds them
                        ak, wk = a_in + k * G, (wo + j * fin + k) * G
                        for g in range(G):
                            z_p[zj + g] += a_p[ak + g] * ps_p[wk + g]
                    bj = (bo + j) * G
                    for g in range(G):
                        z_p[zj + g] = z_p[zj + g] + ps_p[bj + g]
                    if last or act == 0:
                        for g in range(G):
                            a_p[zj + g] = z_p[zj + g]
                    elif act == 1:  # relu, spelled out so it vectorizes (same select as `_act`)
                        for g in range(G):
                            v = z_p[zj + g]
                            a_p[zj + g] = v if v > 0 else _f32(0.0)
                    elif act == 7:  # tanh: `_act`'s code 7 inlined (the call and its dispatch cost as much as exp)
                        for g in range(G):
                            v = z_p[zj + g]
                            zd = np.float64(v)
                            if abs(zd) < 1e-4 or abs(zd) > 20.0:
                                a_p[zj + g] = v if abs(zd) < 1e-4 else _f32(math.copysign(1.0, zd))
                            else:
                                e = math.exp(zd + zd)
                                a_p[zj + g] = _f32((e - 1.0) / (e + 1.0))
                    else:
                        for g in range(G):
                            a_p[zj + g] = _act(z_p[zj + g], act)

    @njit(**_JIT)
    def _loss(loss, nb, start, n_out, G, out, z, yg, cg, d, bl):  # type: ignore[no-untyped-def]
        """Each net's batch loss sum into bl[g] and dL/d(output) into d (row r at r * width * G: the caller's
        `out` is the output layer's offset in z and d's rows are as wide), `_epoch`'s loss code per net."""
        z_p, yg_p, d_p = f32_ptr(z.ctypes.data), f32_ptr(yg.ctypes.data), f32_ptr(d.ctypes.data)
        inv = _f32(1.0 / (nb * n_out)) if loss != 4 else _f32(1.0 / nb)
        stride = out[1]
        for g in range(G):
            bl[g] = 0.0
        for r in range(nb):
            i = start + r
            zo, do = out[0] + r * stride, r * stride
            if loss == 4:
                for g in range(G):
                    mx = z_p[zo + g]
                    for j in range(1, n_out):
                        mx = max(mx, z_p[zo + j * G + g])
                    se = _f32(0.0)
                    for j in range(n_out):
                        se += _f32(math.exp(z_p[zo + j * G + g] - mx))
                    lse = mx + _f32(math.log(se))
                    cls = cg[i * G + g]
                    bl[g] += lse - z_p[zo + cls * G + g]
                    for j in range(n_out):
                        p = _f32(math.exp(z_p[zo + j * G + g] - lse))
                        d_p[do + j * G + g] = (p - _f32(1.0) if j == cls else p) * inv
                continue
            for j in range(n_out):
                oj, yj = zo + j * G, (i * n_out + j) * G
                if loss == 0:
                    for g in range(G):
                        e = z_p[oj + g] - yg_p[yj + g]
                        bl[g] += e * e
                        d_p[do + j * G + g] = _f32(2.0) * e * inv
                elif loss == 1:
                    for g in range(G):
                        e = z_p[oj + g] - yg_p[yj + g]
                        bl[g] += abs(e)
                        d_p[do + j * G + g] = (_f32(1.0) if e > 0 else (_f32(-1.0) if e < 0 else _f32(0.0))) * inv
                elif loss == 2:
                    for g in range(G):
                        e = z_p[oj + g] - yg_p[yj + g]
                        if abs(e) < 1:
                            bl[g] += 0.5 * e * e
                            d_p[do + j * G + g] = e * inv
                        else:
                            bl[g] += abs(e) - 0.5
                            d_p[do + j * G + g] = (_f32(1.0) if e > 0 else _f32(-1.0)) * inv
                else:  # bce with logits, as `_epoch`
                    for g in range(G):
                        o, y = z_p[oj + g], yg_p[yj + g]
                        en = _f32(math.exp(-abs(o)))
                        bl[g] += max(o, _f32(0.0)) - o * y + math.log1p(en)
                        sig = _f32(1.0) / (_f32(1.0) + en) if o >= 0 else en / (_f32(1.0) + en)
                        d_p[do + j * G + g] = (sig - y) * inv

    @njit(**_JIT)
    def _penalty(dims, poff, G, ps, hps, pen):  # type: ignore[no-untyped-def]
        """Each net's L1 + L2 penalty of its weights before the step (`_epoch`'s sums, element order)."""
        ps_p = f32_ptr(ps.ctypes.data)
        s1 = np.zeros(G, np.float32)
        s2 = np.zeros(G, np.float32)
        for g in range(G):
            pen[g] = 0.0
        for layer in range(dims.shape[0] - 1):
            s1[:] = 0.0
            s2[:] = 0.0
            for e in range(poff[2 * layer], poff[2 * layer + 1]):
                for g in range(G):
                    w = ps_p[e * G + g]
                    s1[g] += abs(w)
                    s2[g] += w * w
            for g in range(G):
                pen[g] += hps[g, _L1] * s1[g] + hps[g, _L2] * 0.5 * s2[g]

    @njit(**_JIT)
    def _backward(dims, acts, poff, bs, width, nb, G, ps, st, z, a, d, use_l1, use_l2, l1f, half_l2):  # type: ignore[no-untyped-def]  # noqa: E501
        """Gradients of every parameter into st[0] and deltas down the layers (`_epoch`'s backward, per net)."""
        z_p, a_p, d_p = f32_ptr(z.ctypes.data), f32_ptr(a.ctypes.data), f32_ptr(d.ctypes.data)
        ps_p, st_p = f32_ptr(ps.ctypes.data), f32_ptr(st.ctypes.data)
        n_layers = dims.shape[0] - 1
        cur = 0
        for layer in range(n_layers - 1, -1, -1):
            fin, fout = dims[layer], dims[layer + 1]
            wo, bo = poff[2 * layer], poff[2 * layer + 1]
            for e in range(wo * G, poff[2 * layer + 2] * G):
                st_p[e] = 0.0
            for r in range(nb):  # gW[j, :] += d_p[r, j] * a_p[r, :], gb[j] += d_p[r, j] (r ascending)
                a_row = (layer * bs + r) * width * G
                d_row = (cur * bs + r) * width * G
                for j in range(fout):
                    dj, bj = d_row + j * G, (bo + j) * G
                    for g in range(G):
                        st_p[bj + g] += d_p[dj + g]
                    for k in range(fin):
                        wk, ak = (wo + j * fin + k) * G, a_row + k * G
                        for g in range(G):
                            st_p[wk + g] += d_p[dj + g] * a_p[ak + g]
            if use_l1 or use_l2:
                for e in range(wo, bo):
                    for g in range(G):
                        wv = ps_p[e * G + g]
                        gr = st_p[e * G + g]
                        if use_l1:
                            gr += l1f[g] * (_f32(1.0) if wv > 0 else (_f32(-1.0) if wv < 0 else _f32(0.0)))
                        if use_l2:
                            gr += (half_l2[g] * wv) * _f32(2.0)
                        st_p[e * G + g] = gr
            if layer > 0:
                nxt = 1 - cur
                prev_act = acts[layer - 1]
                for r in range(nb):  # d_prev[r, :] = (sum_j d_p[r, j] W[j, :]) * act'(z_p[r, :]), j ascending
                    dp = (nxt * bs + r) * width * G
                    d_row = (cur * bs + r) * width * G
                    for e in range(fin * G):
                        d_p[dp + e] = 0.0
                    for j in range(fout):
                        dj = d_row + j * G
                        for k in range(fin):
                            wk, dk = (wo + j * fin + k) * G, dp + k * G
                            for g in range(G):
                                d_p[dk + g] += d_p[dj + g] * ps_p[wk + g]
                    zr = (layer * bs + r) * width * G
                    if prev_act == 7:  # tanh's derivative, spelled out so it vectorizes (same ops as `_dact`)
                        for e in range(fin * G):
                            av = a_p[zr + e]
                            d_p[dp + e] *= _f32(_f32(1.0) - av * av)
                    else:
                        for e in range(fin * G):
                            d_p[dp + e] *= _dact(z_p[zr + e], a_p[zr + e], prev_act)
                cur = nxt

    @njit(**_JIT)
    def _step(poff, opt, use_l1, G, ps, st, hps, t):  # type: ignore[no-untyped-def]
        """One torch.optim step of every parameter of every net at its own step t[g] (`_step_param`'s formulas)."""
        ps_p, st_p = f32_ptr(ps.ctypes.data), f32_ptr(st.ctypes.data)
        P = poff[poff.shape[0] - 1]
        c1 = np.empty(G, np.float32)
        c2 = np.empty(G, np.float32)
        c3 = np.empty(G, np.float32)
        c4 = np.empty(G, np.float32)
        c5 = np.empty(G, np.float32)
        c6 = np.empty(G, np.float32)
        c7 = np.empty(G, np.float32)
        for g in range(G):  # each net's constants, computed as `_step_param` computes them
            hp = hps[g]
            if opt <= 2:
                c1[g], c2[g] = _f32(hp[_MOMENTUM]), _f32(-hp[_LR])
            elif opt == 3:
                c1[g], c2[g] = _f32(hp[_EPS_I]), _f32(-hp[_LR])
            elif opt == 4:
                c1[g], c2[g] = _f32(hp[_ALPHA]), _f32(1.0 - hp[_ALPHA])
                c3[g], c4[g] = _f32(hp[_EPS_I]), _f32(-hp[_LR])
            else:
                lr, b1, b2 = hp[_LR], hp[_BETA1], hp[_BETA2]
                c1[g], c2[g], c3[g] = _f32(1.0 - b1), _f32(b2), _f32(1.0 - b2)
                c4[g] = _f32(-(lr / (1.0 - b1 ** t[g])))
                c5[g] = _f32(math.sqrt(1.0 - b2 ** t[g]))
                c6[g] = _f32(1.0 - lr * hp[_WD])
                c7[g] = _f32(hp[_EPS_I])
        for i in range(poff.shape[0] - 1):
            is_weight = i % 2 == 0
            clamp = is_weight and use_l1
            decayed = opt == 6 and is_weight
            for p in range(poff[i], poff[i + 1]):
                s1, s2 = (P + p) * G, (2 * P + p) * G
                for g in range(G):
                    e = p * G + g
                    gr = st_p[e]
                    old = ps_p[e]
                    if opt <= 2:
                        if opt > 0:
                            buf = gr if t[g] == 1 else _f32(st_p[s1 + g] * c1[g]) + gr
                            st_p[s1 + g] = buf
                            gr = gr + c1[g] * buf if opt == 2 else buf
                        ps_p[e] = _unflip(old, old + c2[g] * gr, clamp)
                    elif opt == 3:
                        acc = st_p[s1 + g] + gr * gr
                        st_p[s1 + g] = acc
                        ps_p[e] = _unflip(old, old + c2[g] * (gr / (_f32(math.sqrt(acc)) + c1[g])), clamp)
                    elif opt == 4:
                        sq = _f32(st_p[s2 + g] * c1[g]) + c2[g] * gr * gr
                        st_p[s2 + g] = sq
                        ps_p[e] = _unflip(old, old + c4[g] * (gr / (_f32(math.sqrt(sq)) + c3[g])), clamp)
                    else:
                        w = old * c6[g] if decayed else old
                        m = st_p[s1 + g] + c1[g] * (gr - st_p[s1 + g])
                        v = _f32(st_p[s2 + g] * c2[g]) + c3[g] * gr * gr
                        st_p[s1 + g] = m
                        st_p[s2 + g] = v
                        ps_p[e] = _unflip(old, w + c4[g] * (m / (_f32(math.sqrt(v)) / c5[g] + c7[g])), clamp)

    @njit(**_JIT)
    def group_epoch(nets, dims, acts, poff, loss, opt, bs, n):  # type: ignore[no-untyped-def]
        """One epoch of every net in `nets` (rows: NET_* addresses), all of the same dims, acts, loss, optimizer,
        batch size bs and epoch length n, and all with L1 (and L2) on or all off; results land in each net's own
        arrays exactly as `_epoch` leaves them (parameters, state, step, loss and penalty sums, batch count).
        The caller has checked each net's order and class ids (`_epoch`'s -1 case never reaches here)."""
        G = nets.shape[0]
        n_layers = dims.shape[0] - 1
        n_in, n_out = dims[0], dims[n_layers]
        width = 0
        for v in dims:
            width = max(width, v)
        P = poff[poff.shape[0] - 1]
        hps = np.empty((G, 11), np.float64)
        t = np.empty(G, np.int64)
        for g in range(G):
            hps[g] = numba.carray(f64_ptr(nets[g, NET_HP]), (11,))
            t[g] = numba.carray(i64_ptr(nets[g, NET_CTL]), (5,))[_STEP]
        use_l1, use_l2 = hps[0, _L1] != 0.0, hps[0, _L2] != 0.0
        l1f = np.empty(G, np.float32)
        half_l2 = np.empty(G, np.float32)
        for g in range(G):
            l1f[g], half_l2[g] = _f32(hps[g, _L1]), _f32(0.5 * hps[g, _L2])
        ps = np.empty(P * G, np.float32)
        st = np.empty(3 * P * G, np.float32)
        _copy_params(nets, poff, ps, st, False)
        xg = np.empty(max(1, n * n_in * G), np.float32)
        yg = np.empty(max(1, n * n_out * G), np.float32)
        cg = np.empty(max(1, n * G), np.int64)
        _gather(nets, n_in, n_out, n, loss, xg, yg, cg)
        z = np.zeros((n_layers + 1) * bs * width * G, np.float32)
        a = np.zeros((n_layers + 1) * bs * width * G, np.float32)
        d = np.zeros(2 * bs * width * G, np.float32)
        bl = np.empty(G, np.float64)
        pen = np.empty(G, np.float64)
        loss_sum = np.zeros(G, np.float64)
        pen_sum = np.zeros(G, np.float64)
        out = np.array([n_layers * bs * width * G, width * G], np.int64)
        n_batches = 0
        for start in range(0, n, bs):
            nb = min(bs, n - start)
            for r in range(nb):
                for k in range(n_in):
                    src, dst = ((start + r) * n_in + k) * G, (r * width + k) * G
                    a[dst:dst + G] = xg[src:src + G]
            _forward(dims, acts, poff, bs, width, nb, G, ps, z, a)
            _loss(loss, nb, start, n_out, G, out, z, yg, cg, d, bl)
            for g in range(G):
                loss_sum[g] += bl[g] / (nb * n_out) if loss != 4 else bl[g] / nb
            if use_l1 or use_l2:
                _penalty(dims, poff, G, ps, hps, pen)
                for g in range(G):
                    pen_sum[g] += pen[g]
            _backward(dims, acts, poff, bs, width, nb, G, ps, st, z, a, d, use_l1, use_l2, l1f, half_l2)
            for g in range(G):
                t[g] += 1
            _step(poff, opt, use_l1, G, ps, st, hps, t)
            n_batches += 1
        _copy_params(nets, poff, ps, st, True)
        for g in range(G):
            hp = numba.carray(f64_ptr(nets[g, NET_HP]), (11,))
            ctl = numba.carray(i64_ptr(nets[g, NET_CTL]), (5,))
            hp[_OUT_LOSS] = loss_sum[g]
            hp[_OUT_PEN] = pen_sum[g]
            ctl[_STEP] = t[g]
            ctl[_NB] = n_batches
