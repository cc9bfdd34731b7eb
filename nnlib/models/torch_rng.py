"""torch's default CPU random stream and its float32 `uniform_` / `normal_` fills, reproduced bit for bit with numpy,
so a cold-started `python -m nnlib train` can draw a model's initial weights without the 1.6 s `import torch`.

What torch does (read from the headers torch ships, ATen/core/DistributionsHelper.h, TransformationHelper.h,
ATen/native/cpu/DistributionTemplates.h and avx_mathfun.h, and from the machine code of libtorch_cpu.so, because
the compiler fuses multiply-adds the source writes apart; checked against torch 2.14.1):

- the generator is a 32-bit Mersenne Twister seeded like numpy's legacy `RandomState(seed)`;
- float32 `uniform_(lo, hi)`: one 32-bit draw r per element, x = (r & 0xFFFFFF) / 2^24, value = fma(x, hi - lo, lo)
  in float32, and a value that rounded up to hi becomes lo;
- float32 `normal_` on a contiguous tensor of >= 16 elements: all uniforms first, then Box-Muller on blocks of 16
  (u1 = 1 - data[j], u2 = data[j + 8]) with avx_mathfun's float polynomials for log and sincos; when 16 does not
  divide the size, 16 fresh uniforms recompute the last 16 values. x86 torch always runs the AVX2 kernel here (its
  AVX512 build registers none for these ops);
- `normal_` on fewer than 16 elements: the double-precision scalar Box-Muller of normal_distribution<double>, two
  53-bit uniforms per pair of values, whose second value is cached in the generator and used by the next scalar
  normal draw, even one of a later tensor (`manual_seed` clears it).
"""

from __future__ import annotations

import math
import os
import platform

import numpy as np

F32 = np.float32
_TWO_POW_M24 = F32(2.0**-24)
_TWO_POW_M53 = 2.0**-53
_SEED_LIMIT = 2**32
_BELOW_F32_MASK = (1 << 29) - 1  # the float64 fraction bits a float32 does not have
_HALF_F32_STEP = 1 << 28  # ... holding exactly half a float32 step


def torch_mt19937(seed: int) -> np.random.MT19937:
    """numpy's MT19937 in the state `torch.manual_seed(seed)` puts torch's CPU generator in."""
    if not 0 <= seed < _SEED_LIMIT:
        raise ValueError(f"seed must be in [0, 2^32), got {seed}")
    _, key, pos, _, _ = np.random.RandomState(seed).get_state()
    bits = np.random.MT19937()
    bits.state = {"bit_generator": "MT19937", "state": {"key": key, "pos": pos}}
    return bits


def vector_normal_matches_torch() -> bool:
    """Whether torch's float32 normal_ here is the AVX2 kernel reproduced below: an x86-64 CPU with AVX2 and FMA and
    no ATEN_CPU_CAPABILITY=default. Elsewhere (ARM, old x86) torch rounds differently, so callers use torch."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    if os.environ.get("ATEN_CPU_CAPABILITY", "").strip().lower() == "default":
        return False
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as features
    return bool(features.get("AVX2") and features.get("FMA3"))


def fma32(a: np.ndarray, b: np.ndarray | np.float32, c: np.ndarray | np.float32) -> np.ndarray:
    """a * b + c rounded once to float32, like the FMA instruction (results in float32's normal range).

    The product of two floats is exact in float64, so only the float64 sum rounds before the float32 rounding; that
    double rounding can err only when the float64 sum lands exactly halfway between two float32 values while the
    exact sum does not. Those rare sums are nudged one float64 step towards the exact one (TwoSum gives the error)."""
    p = np.asarray(a, np.float64) * np.asarray(b, np.float64)
    q = np.broadcast_to(np.asarray(c, np.float64), p.shape)
    s = np.atleast_1d(p + q)
    bits = s.view(np.int64)
    halfway = np.flatnonzero((bits & _BELOW_F32_MASK) == _HALF_F32_STEP)
    if halfway.size:
        ps, qs, ss = np.ravel(p)[halfway], np.ravel(q)[halfway], s.reshape(-1)[halfway]
        virtual = ss - ps
        err = (ps - (ss - virtual)) + (qs - virtual)  # Knuth's TwoSum: ss + err == ps + qs exactly
        away_from_zero = (err > 0) == (ss > 0)
        bits.reshape(-1)[halfway] += np.where(err == 0, 0, np.where(away_from_zero, 1, -1))
    return s.astype(F32).reshape(np.shape(p))


def _log256(x: np.ndarray) -> np.ndarray:
    """avx_mathfun's log256_ps (cephes logf) on x > 0, with the fusions GCC made in torch's build."""
    x = np.maximum(x, np.array(0x00800000, np.int32).view(F32))
    exponent = (x.view(np.int32) >> 23) - 0x7F
    x = ((x.view(np.int32) & ~0x7F800000) | np.array(0.5, F32).view(np.int32)).view(F32)
    e = exponent.astype(F32) + F32(1.0)
    small = x < F32(0.707106781186547524)
    e = e - np.where(small, F32(1.0), F32(0.0))
    x = (x - F32(1.0)) + np.where(small, x, F32(0.0))
    z = x * x
    y = np.full_like(x, F32(7.0376836292e-2))
    for coef in (-1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
                 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1):
        y = fma32(y, x, F32(coef))
    y = fma32(x * y, z, e * F32(-2.12194440e-4))
    y = fma32(-z, F32(0.5), y)
    return fma32(e, F32(0.693359375), x + y)


def _sincos256(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """avx_mathfun's sincos256_ps (cephes sinf/cosf) on theta >= 0, with torch's build's fused multiply-adds."""
    y = theta * F32(1.27323954473516)
    j = (y.astype(np.int32) + 1) & ~1
    y = j.astype(F32)
    swap_sin = (j & 4) != 0
    use_cos_poly_for_cos = (j & 2) == 0
    cos_negative = ((j - 2) & 4) == 0
    x = fma32(y, F32(-0.78515625), theta)
    x = fma32(F32(-2.4187564849853515625e-4), y, x)
    x = fma32(y, F32(-3.77489497744594108e-8), x)
    z = x * x
    cos_poly = fma32(F32(2.443315711809948e-5), z, F32(-1.388731625493765e-3))
    cos_poly = fma32(cos_poly, z, F32(4.166664568298827e-2))
    cos_poly = fma32(z, z * cos_poly, -(z * F32(0.5))) + F32(1.0)
    sin_poly = fma32(F32(-1.9515295891e-4), z, F32(8.3321608736e-3))
    sin_poly = fma32(sin_poly, z, F32(-1.6666654611e-1))
    sin_poly = fma32(x, z * sin_poly, x)
    zero = F32(0.0)
    sin_part = np.where(use_cos_poly_for_cos, sin_poly, zero)
    cos_part = np.where(use_cos_poly_for_cos, zero, cos_poly)
    sin = cos_part + sin_part
    cos = (cos_poly - cos_part) + (sin_poly - sin_part)
    return np.where(swap_sin, -sin, sin), np.where(cos_negative, -cos, cos)


def _box_muller_16(blocks: np.ndarray, mean: np.float32, std: np.float32) -> np.ndarray:
    """torch's NormalFill16 (AVX2) on rows of 16 float32 uniforms: rows of 16 normals."""
    u1 = F32(1.0) - blocks[:, :8]
    radius = np.sqrt(_log256(u1) * F32(-2.0))
    sin, cos = _sincos256(F32(2.0 * math.pi) * blocks[:, 8:])
    return np.concatenate([fma32(radius * cos, std, mean), fma32(radius * sin, std, mean)], axis=1)


class TorchCpuRandom:
    """torch's default CPU generator after `torch.manual_seed(seed)`: the draws its float32 fills make, in order."""

    def __init__(self, seed: int) -> None:
        self._bits = torch_mt19937(seed)
        self._cached_normal: float | None = None  # the generator's next_double_normal_sample

    def _draws(self, n: int) -> np.ndarray:
        return self._bits.random_raw(n) if n > 0 else np.zeros(0, np.uint64)

    def _unit_floats(self, n: int) -> np.ndarray:
        """n float32 uniforms in [0, 1) as uniform_real_distribution<float> makes them (24 bits of one draw)."""
        return (self._draws(n) & 0xFFFFFF).astype(F32) * _TWO_POW_M24

    def skip_uniform(self, n: int) -> None:
        """Advance past a float32 uniform_ of n elements (what nn.Linear's default initialisation draws)."""
        self._draws(n)

    def uniform(self, n: int, low: float, high: float) -> np.ndarray:
        """`torch.empty(n).uniform_(low, high)`."""
        lo, hi = F32(low), F32(high)
        values = fma32(self._unit_floats(n), hi - lo, lo)
        return np.where(values == hi, lo, values)

    def normal(self, n: int, mean: float, std: float) -> np.ndarray:
        """`torch.empty(n).normal_(mean, std)` (contiguous float32). Raises NotImplementedError where torch's
        vectorised kernel is not the one reproduced here (see vector_normal_matches_torch)."""
        if n < 16:
            return np.array([self._scalar_normal(mean, std) for _ in range(n)], F32)
        if not vector_normal_matches_torch():
            raise NotImplementedError("torch's normal_ on this CPU is not reproduced without torch")
        data = self._unit_floats(n)
        whole = n - n % 16
        out = np.empty(n, F32)
        out[:whole] = _box_muller_16(data[:whole].reshape(-1, 16), F32(mean), F32(std)).reshape(-1)
        if whole < n:
            out[n - 16:] = _box_muller_16(self._unit_floats(16).reshape(1, 16), F32(mean), F32(std))[0]
        return out

    def _uniform53(self) -> float:
        first, second = (int(v) for v in self._draws(2))
        return (((first & 0x1FFFFF) << 32) | second) * _TWO_POW_M53

    def _scalar_normal(self, mean: float, std: float) -> np.float32:
        """One value of torch's normal_distribution<double> (libm's log1p/sin/cos, as Python's math calls them)."""
        if self._cached_normal is not None:
            value, self._cached_normal = self._cached_normal, None
        else:
            u1, u2 = self._uniform53(), self._uniform53()
            radius = math.sqrt(-2.0 * math.log1p(-u2))
            theta = 2.0 * math.pi * u1
            self._cached_normal = radius * math.sin(theta)
            value = radius * math.cos(theta)
        return F32(math.fma(value, std, mean) if hasattr(math, "fma") else _fma64(value, std, mean))


def _fma64(a: float, b: float, c: float) -> float:
    """a * b + c rounded once in double (math.fma arrived in Python 3.13): exact for c == 0, which is every mean the
    initializers use; other means are refused rather than rounded twice."""
    if c != 0.0:
        raise NotImplementedError("a scalar normal_ with a non-zero mean needs math.fma (Python >= 3.13)")
    return a * b + 0.0
