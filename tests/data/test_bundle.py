"""load_data: the DataBundle every run trains on, for 2D datasets (fast) and its plotting helpers."""


import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.data.bundle import DataBundle, load_data
from nnlib.data.catalog import names_of_kind
from nnlib.data.features import featurize


def test_default_config_is_complete():
    b = load_data(RunConfig())
    assert isinstance(b, DataBundle) and b.problem == "binary" and b.n_classes == 2 and b.kind == "toy2d"
    assert b.sizes() == {"train": 250, "val": 125, "test": 125}
    assert b.x_train.shape == (250, 2) and b.x_train.dtype == np.float32 and b.y_train.dtype == np.int64
    assert b.input_shape == (2,) and b.feature_names == ["x1", "x2"] and b.domain == (-6.0, 6.0, -6.0, 6.0)
    assert b.points_train.shape == (250, 2) and b.points_test.shape == (125, 2)
    assert np.allclose(b.x_train.mean(0), 0, atol=1e-5) and np.allclose(b.x_train.std(0), 1, atol=1e-4)
    assert not np.allclose(b.x_test.mean(0), 0, atol=1e-4)  # test rows use the training statistics
    assert np.bincount(b.y_train).tolist() == [125, 125]  # stratified


def test_pure_function_of_config():
    cfg = RunConfig().replace(data={"dataset": "spiral", "noise": 20.0, "seed": 4})
    a, b = load_data(cfg), load_data(cfg)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)
    c = load_data(cfg.replace(data={"seed": 5}))
    assert not np.array_equal(a.points_train, c.points_train)


@pytest.mark.parametrize("name", names_of_kind("toy2d"))
def test_every_2d_dataset(name):
    feats = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
    cfg = RunConfig().replace(data={"dataset": name, "features": feats, "n_classes": 4, "n_samples": 400})
    b = load_data(cfg)
    assert b.problem == cfg.problem and b.n_classes == cfg.n_classes
    assert b.x_train.shape == (200, 7) and b.input_shape == (7,)
    if b.problem == "regression":
        assert b.y_train.dtype == np.float32 and b.class_names == [] and b.n_classes == 1
    else:
        assert b.y_train.dtype == np.int64 and len(b.class_names) == b.n_classes
        assert set(np.unique(b.y_train)) == set(range(b.n_classes))
    # the plotting grid goes through exactly the same featurize + standardize as the data
    assert np.allclose(b.inputs_for_points(b.points_test), b.x_test, atol=1e-5)
    raw = featurize(b.points_train, feats)
    assert np.allclose(b.standardizer.mean, raw.mean(0), atol=1e-4)


def test_grid_and_defaults():
    b = load_data(RunConfig().replace(data={"dataset": "xor", "n_samples": 0, "val_frac": 0.0,
                                            "features": ("x1*x2",)}))
    assert sum(b.sizes().values()) == 500 and b.sizes()["val"] == 0 and b.x_val.shape == (0, 1)
    xs = np.linspace(-6, 6, 100, dtype=np.float32)
    gx, gy = np.meshgrid(xs, xs)
    grid = b.inputs_for_points(np.stack([gx.ravel(), gy.ravel()], 1))
    assert grid.shape == (10_000, 1) and grid.dtype == np.float32
    b = load_data(RunConfig().replace(data={"dataset": "spiral_multi", "n_samples": 0, "n_classes": 5}))
    assert sum(b.sizes().values()) == 600 and b.n_classes == 5 and b.problem == "multiclass"
    b = load_data(RunConfig().replace(data={"dataset": "blobs", "n_classes": 2}))
    assert b.problem == "binary" and b.n_classes == 2
    summary = b.summary()
    assert summary["sizes"]["train"] == 250 and summary["problem"] == "binary"


def test_image_bundle_has_no_plane():
    from nnlib.data.errors import DataError

    b = load_data(RunConfig().replace(data={"dataset": "digits", "n_samples": 100}))
    assert b.domain is None and b.points_train is None and b.is_image
    with pytest.raises(DataError, match="not 2D data"):
        b.inputs_for_points(np.zeros((1, 2)))
