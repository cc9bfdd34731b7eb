"""TF Playground's 2D datasets (same coordinates, about [-6, 6]^2, same noise meaning), moons, K-class sets.

Every generator is `fn(n, noise, seed, n_classes) -> (points float32 [n, 2], labels)`; noise is in percent
(0..50) like the playground's slider, and the same seed gives the same arrays.
"""

from __future__ import annotations

import numpy as np

Points = tuple[np.ndarray, np.ndarray]
DOMAIN = (-6.0, 6.0, -6.0, 6.0)  # the playground's plot range


def _frac(noise: float) -> float:
    """Slider percent -> the playground's internal noise (0..0.5)."""
    return float(noise) / 100.0


def _counts(n: int, k: int) -> list[int]:
    """Split n into k class sizes that differ by at most one (balanced classes)."""
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def _finish(rng: np.random.Generator, xy: np.ndarray, y: np.ndarray, regression: bool = False) -> Points:
    """Shuffle (generators build class by class) and fix the dtypes."""
    order = rng.permutation(len(xy))
    labels = y[order].astype(np.float32 if regression else np.int64)
    return np.ascontiguousarray(xy[order], dtype=np.float32), labels


def circle(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 2) -> Points:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5..5; noise moves the point the label comes from."""
    rng = np.random.default_rng(seed)
    radius, nz = 5.0, _frac(noise)
    n_in, n_out = _counts(n, 2)[::-1]
    r = np.concatenate([rng.uniform(0, radius * 0.5, n_in), rng.uniform(radius * 0.7, radius, n_out)])
    angle = rng.uniform(0, 2 * np.pi, n_in + n_out)
    xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    shifted = xy + rng.uniform(-radius, radius, xy.shape) * nz
    y = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return _finish(rng, xy, y)


def xor(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 2) -> Points:
    """Quadrants in [-5.3, 5.3]^2 with a 0.3 gap at the axes; class 1 where x1 * x2 >= 0 (before noise)."""
    rng = np.random.default_rng(seed)
    nz, pad = _frac(noise), 0.3
    n0, n1 = _counts(n, 2)
    mag = rng.uniform(0, 5, (n0 + n1, 2)) + pad
    # class 1: signs equal (quadrants I and III), class 0: signs differ; quadrant picked at random
    s1 = rng.choice([-1.0, 1.0], n0 + n1)
    s2 = np.where(np.arange(n0 + n1) < n1, s1, -s1)
    xy = mag * np.stack([s1, s2], axis=1)
    shifted = xy + rng.uniform(-5, 5, xy.shape) * nz
    y = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return _finish(rng, xy, y)


def gauss(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 2) -> Points:
    """Gaussians at (2, 2) (class 1) and (-2, -2) (class 0); noise widens them (variance 0.5 .. 4)."""
    rng = np.random.default_rng(seed)
    std = np.sqrt(0.5 + 7.0 * _frac(noise))
    n0, n1 = _counts(n, 2)
    xy = np.concatenate([rng.normal(2.0, std, (n1, 2)), rng.normal(-2.0, std, (n0, 2))])
    y = np.concatenate([np.ones(n1), np.zeros(n0)])
    return _finish(rng, xy, y)


def _spiral_arms(rng: np.random.Generator, n: int, k: int, noise: float) -> Points:
    """K arms rotated by 2*pi/K, radius 0..5 over 1.75 turns, uniform position noise like the playground."""
    xs, ys = [], []
    for c, m in enumerate(_counts(n, k)):
        i = np.arange(m)
        r = i / max(m, 1) * 5.0
        t = 1.75 * i / max(m, 1) * 2 * np.pi + 2 * np.pi * c / k
        pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + rng.uniform(-1, 1, (m, 2)) * _frac(noise)
        xs.append(pts)
        ys.append(np.full(m, c))
    return np.concatenate(xs), np.concatenate(ys)


def spiral(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 2) -> Points:
    """Two interleaved spirals (the playground's): class 1 starts at angle 0, class 0 at pi."""
    rng = np.random.default_rng(seed)
    xy, arm = _spiral_arms(rng, n, 2, noise)
    return _finish(rng, xy, 1 - arm)


def spiral_multi(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 3) -> Points:
    """The playground spiral generalised to K arms, one class per arm."""
    rng = np.random.default_rng(seed)
    xy, arm = _spiral_arms(rng, n, max(2, n_classes), noise)
    return _finish(rng, xy, arm)


def moons(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 2) -> Points:
    """scikit-learn's two moons, scaled by 3 and centred (x1 in about [-4.5, 4.5]); noise: std 2*noise%."""
    rng = np.random.default_rng(seed)
    n0, n1 = _counts(n, 2)
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    xy = (np.concatenate([upper, lower]) - [0.5, 0.25]) * 3.0
    xy += rng.normal(0, 2.0 * _frac(noise), xy.shape)
    y = np.concatenate([np.zeros(n0), np.ones(n1)])
    return _finish(rng, xy, y)


def blobs(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 3) -> Points:
    """K gaussian blobs with centres on a circle of radius 4; noise widens them (variance 0.25 .. 2)."""
    rng = np.random.default_rng(seed)
    k = max(2, n_classes)
    std = np.sqrt(0.25 + 3.5 * _frac(noise))
    xs, ys = [], []
    for c, m in enumerate(_counts(n, k)):
        a = 2 * np.pi * c / k + np.pi / 4
        xs.append(rng.normal(0, std, (m, 2)) + 4.0 * np.array([np.cos(a), np.sin(a)]))
        ys.append(np.full(m, c))
    return _finish(rng, np.concatenate(xs), np.concatenate(ys))


def _uniform_with_noise(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform in [-6, 6]^2 and the noisy copy the playground computes the target from."""
    xy = rng.uniform(-6, 6, (n, 2))
    return xy, xy + rng.uniform(-6, 6, (n, 2)) * _frac(noise)


def plane(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 0) -> Points:
    """Target (x1 + x2) / 10 (the playground's 'plane'), about [-1.2, 1.2]."""
    rng = np.random.default_rng(seed)
    xy, shifted = _uniform_with_noise(rng, n, noise)
    return _finish(rng, xy, shifted.sum(axis=1) / 10.0, regression=True)


_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
                  dtype=float)  # centre x, centre y, sign


def multi_gauss(n: int, noise: float = 0.0, seed: int = 0, n_classes: int = 0) -> Points:
    """Six signed bumps (the playground's 'multi gaussian'); the target is the largest bump, in [-1, 1]."""
    rng = np.random.default_rng(seed)
    xy, shifted = _uniform_with_noise(rng, n, noise)
    d = np.hypot(shifted[:, None, 0] - _BUMPS[:, 0], shifted[:, None, 1] - _BUMPS[:, 1])
    vals = _BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)  # linear fall-off from 1 at the centre to 0 at 2
    y = vals[np.arange(n), np.abs(vals).argmax(axis=1)] if n else np.zeros(0)
    return _finish(rng, xy, y, regression=True)
