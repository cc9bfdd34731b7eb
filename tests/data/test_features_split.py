"""Input features, seeded (stratified) splits, and standardization with training statistics only."""

import numpy as np
import pytest

from nnlib.config import FEATURES
from nnlib.data.errors import DataError
from nnlib.data.features import FEATURE_FUNCS, featurize
from nnlib.data.split import Standardizer, split_counts, split_indices, stratified_subset


def test_features_cover_config_and_compute():
    assert set(FEATURE_FUNCS) == set(FEATURES)
    p = np.array([[1.0, 2.0], [-3.0, 0.5]], dtype=np.float32)
    f = featurize(p, list(FEATURES))
    assert f.dtype == np.float32 and f.shape == (2, 7)
    expect = [[1, 2, 1, 4, 2, np.sin(1), np.sin(2)], [-3, 0.5, 9, 0.25, -1.5, np.sin(-3), np.sin(0.5)]]
    assert np.allclose(f, expect, atol=1e-6)
    assert np.allclose(featurize(p, ["x1*x2", "x1"]), [[2, 1], [-1.5, -3]])


def test_features_errors():
    with pytest.raises(DataError, match="unknown input feature 'x3'"):
        featurize(np.zeros((2, 2)), ["x1", "x3"])
    with pytest.raises(DataError, match="at least one"):
        featurize(np.zeros((2, 2)), [])


@pytest.mark.parametrize("n, tf, vf", [(500, 0.5, 0.25), (101, 0.7, 0.0), (1000, 0.05, 0.5), (20, 0.9, 0.05)])
def test_split_sizes_disjoint_cover(n, tf, vf):
    tr, va, te = split_indices(n, tf, vf, seed=3)
    assert (len(tr), len(va), len(te)) == split_counts(n, tf, vf)
    assert abs(len(tr) - n * tf) <= 1 and abs(len(va) - n * vf) <= 1
    allidx = np.concatenate([tr, va, te])
    assert len(np.unique(allidx)) == n and allidx.min() == 0 and allidx.max() == n - 1
    assert tr.dtype == np.int64


def test_split_seeded_and_shuffled():
    a = split_indices(200, 0.5, 0.25, seed=1)
    b = split_indices(200, 0.5, 0.25, seed=1)
    c = split_indices(200, 0.5, 0.25, seed=2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(np.sort(a[0]), np.arange(100))  # not just the first rows


def test_split_stratified():
    labels = np.repeat([0, 1, 2], [600, 300, 100])
    tr, va, te = split_indices(1000, 0.5, 0.2, seed=0, labels=labels)
    for part, size in ((tr, 500), (va, 200), (te, 300)):
        counts = np.bincount(labels[part], minlength=3)
        assert np.abs(counts - np.array([0.6, 0.3, 0.1]) * size).max() <= 1
    sub = stratified_subset(labels, 100, seed=0)
    assert np.array_equal(np.bincount(labels[sub]), [60, 30, 10])
    assert len(stratified_subset(labels, 0, 0)) == 1000


def test_standardizer_uses_training_rows_only():
    rng = np.random.default_rng(0)
    x = rng.normal([5.0, -3.0], [2.0, 0.5], (1000, 2)).astype(np.float32)
    x[800:] += 10  # the held-out rows come from elsewhere
    s = Standardizer.fit(x[:800])
    z = s.transform(x[:800])
    assert np.allclose(z.mean(0), 0, atol=1e-5) and np.allclose(z.std(0), 1, atol=1e-4)
    assert np.allclose(s.mean, x[:800].mean(0), atol=1e-4)
    assert (s.transform(x[800:]).mean(0) > 4).all()  # test rows are not re-centred
    assert np.allclose(s.inverse(z), x[:800], atol=1e-4)


def test_standardizer_per_channel_and_constant_columns():
    rng = np.random.default_rng(0)
    scale = np.array([1, 2, 3], np.float32)[:, None, None]
    imgs = rng.uniform(0, 1, (50, 3, 4, 4)).astype(np.float32) * scale
    s = Standardizer.fit(imgs)
    assert s.mean.shape == (3, 1, 1) and s.std.shape == (3, 1, 1)
    z = s.transform(imgs.copy())
    assert np.allclose(z.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    assert np.allclose(z.std(axis=(0, 2, 3)), 1, atol=1e-4)
    inplace = imgs.copy()
    assert np.allclose(s.transform_(inplace), z, atol=1e-6)
    const = np.ones((10, 2), np.float32)
    s = Standardizer.fit(const)
    assert np.all(s.std == 1) and np.all(s.transform(const) == 0)
