"""The 2D generators: playground value ranges, dtypes, balanced classes, seeds and noise."""

import numpy as np
import pytest

from nnlib.data import toy2d
from nnlib.data.catalog import DATASETS, names_of_kind

CLASSIFY = ["circle", "xor", "gauss", "spiral", "moons", "spiral_multi", "blobs"]
REGRESS = ["plane", "multi_gauss"]


def gen(name, n=400, noise=0.0, seed=0, k=2):
    return getattr(toy2d, name)(n, noise, seed, k)


def test_catalog_targets_exist():
    assert sorted(names_of_kind("toy2d")) == sorted(CLASSIFY + REGRESS)
    for name in CLASSIFY + REGRESS:
        pts, y = DATASETS[name].factory(50, 0.0, 1, 3)  # through the lazy catalog reference
        assert pts.shape == (50, 2) and len(y) == 50


@pytest.mark.parametrize("name", CLASSIFY + REGRESS)
@pytest.mark.parametrize("noise", [0.0, 25.0, 50.0])
def test_shapes_dtypes_range(name, noise):
    pts, y = gen(name, 301, noise, seed=3, k=3)
    assert pts.shape == (301, 2) and pts.dtype == np.float32 and y.shape == (301,)
    assert np.isfinite(pts).all()
    limit = 6.01 if noise == 0 or name not in ("gauss", "moons", "blobs") else 12.0
    assert np.abs(pts).max() <= limit
    if name in REGRESS:
        assert y.dtype == np.float32 and np.abs(y).max() <= (1.2 if noise == 0 else 1.8)  # playground scale
    else:
        assert y.dtype == np.int64 and set(np.unique(y)) <= set(range(3))


@pytest.mark.parametrize("name", ["circle", "xor", "gauss", "spiral"])
def test_playground_geometry(name):
    pts, y = gen(name, 1000)
    r = np.hypot(pts[:, 0], pts[:, 1])
    if name == "circle":
        assert r[y == 1].max() <= 2.5 and r[y == 0].min() >= 3.5 and r.max() <= 5
    elif name == "xor":
        assert np.all((pts[:, 0] * pts[:, 1] >= 0) == (y == 1)) and np.abs(pts).min() >= 0.3
        assert np.abs(pts).max() <= 5.3
    elif name == "gauss":
        assert np.allclose(pts[y == 1].mean(0), [2, 2], atol=0.2)
        assert np.allclose(pts[y == 0].mean(0), [-2, -2], atol=0.2)
    else:
        assert r.max() <= 5.0


@pytest.mark.parametrize("name", CLASSIFY)
def test_balanced_classes(name):
    k = 4 if name in ("spiral_multi", "blobs") else 2
    _, y = gen(name, 401, 0.0, k=k)
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    _, y = gen(name, 1000, 30.0, k=k)  # label noise (circle, xor) keeps the classes roughly balanced
    assert np.bincount(y, minlength=k).min() >= 1000 / k * 0.75


@pytest.mark.parametrize("name", CLASSIFY + REGRESS)
def test_seeded(name):
    a, b = gen(name, 200, 20.0, seed=7, k=3), gen(name, 200, 20.0, seed=7, k=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    c = gen(name, 200, 20.0, seed=8, k=3)
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", CLASSIFY + REGRESS)
def test_noise_changes_data(name):
    """Noise moves the points (gauss, spiral, moons, blobs) or, as in the playground, the point the label is
    computed from (circle, xor, plane, multi_gauss)."""
    p0, y0 = gen(name, 500, 0.0, seed=1, k=3)
    p1, y1 = gen(name, 500, 40.0, seed=1, k=3)
    assert not (np.array_equal(p0, p1) and np.array_equal(y0, y1))


def test_label_noise_flips_some_circle_labels():
    pts, y = gen("circle", 2000, 50.0)
    inside = np.hypot(pts[:, 0], pts[:, 1]) < 2.5
    wrong = np.mean(inside != (y == 1))
    assert 0.05 < wrong < 0.5


def test_regression_targets():
    pts, y = gen("plane", 500)
    assert np.allclose(y, (pts[:, 0] + pts[:, 1]) / 10, atol=1e-5)
    pts, y = gen("multi_gauss", 2000)
    assert -1 <= y.min() < -0.8 and 0.8 < y.max() <= 1
    near = np.hypot(pts[:, 0] - 4, pts[:, 1] - 2.5) < 0.5
    assert (y[near] > 0.7).all()


def test_many_classes_and_tiny_n():
    for name in ("spiral_multi", "blobs"):
        _, y = gen(name, 100, 0.0, k=10)
        assert np.array_equal(np.bincount(y), [10] * 10)
    pts, y = gen("circle", 1)
    assert pts.shape == (1, 2) and y.shape == (1,)
