"""Image datasets: the offline ones load as they are; the torchvision ones load files written here in
torchvision's own on-disk format, and say clearly (and quickly) what to do when the files are missing."""

import os
import pickle
import struct
import time

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.data import images
from nnlib.data.bundle import load_data
from nnlib.data.errors import DataError, DatasetUnavailable


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("NNLIB_ALLOW_DOWNLOAD", "0")
    images._torchvision_all.cache_clear()
    yield
    images._torchvision_all.cache_clear()


def test_digits():
    d = images.digits()
    assert d.images.shape == (1797, 1, 8, 8) and d.images.dtype == np.float32
    assert d.images.min() == 0 and d.images.max() == 1 and d.class_names == [str(i) for i in range(10)]
    assert d.labels.dtype == np.int64 and set(d.labels) == set(range(10))
    sub = images.digits(200, seed=1)
    assert len(sub.labels) == 200 and np.bincount(sub.labels).min() >= 18
    assert np.array_equal(sub.images, images.digits(200, seed=1).images)


def test_mnist_5k():
    d = images.mnist_5k()
    assert d.images.shape == (5000, 1, 28, 28) and d.images.dtype == np.uint8
    assert np.array_equal(np.bincount(d.labels), [500] * 10) and d.images.max() == 255
    assert 20 < d.images.mean() < 50  # dark background, bright strokes: no label column among the pixels
    sub = images.mnist_5k(1000, seed=0)
    assert np.array_equal(np.bincount(sub.labels), [100] * 10)
    assert not d.images.flags.writeable  # cached arrays are shared: read-only


def test_shapes():
    d = images.shapes(600, seed=2)
    assert d.images.shape == (600, 1, 28, 28) and d.images.dtype == np.float32
    assert 0 <= d.images.min() and d.images.max() <= 1
    assert d.class_names == ["horizontal line", "vertical line", "diagonal line", "circle", "square",
                             "triangle"]
    assert np.array_equal(np.bincount(d.labels), [100] * 6)
    assert (d.images.reshape(600, -1).max(1) > 0.5).all()  # every image has ink
    assert np.array_equal(d.images, images.shapes(600, seed=2).images)
    assert not np.array_equal(d.images, images.shapes(600, seed=3).images)
    noisy = images.shapes(600, seed=2, noise=30.0)
    assert noisy.images.std() > d.images.std()
    assert len(images.shapes().labels) == 2000  # the catalog default
    # line classes have their ink along the expected direction
    horiz = d.images[d.labels == 0, 0]
    vert = d.images[d.labels == 1, 0]
    assert horiz.sum(2).std(1).mean() > horiz.sum(1).std(1).mean()  # ink concentrated in rows
    assert vert.sum(1).std(1).mean() > vert.sum(2).std(1).mean()


@pytest.mark.parametrize("name, shape", [("digits", (1, 8, 8)), ("mnist_5k", (1, 28, 28)),
                                         ("shapes", (1, 28, 28))])
def test_load_data_offline_images(name, shape):
    cfg = RunConfig().replace(data={"dataset": name, "n_samples": 600, "train_frac": 0.6, "val_frac": 0.2})
    b = load_data(cfg)
    assert b.kind == "image" and b.input_shape == shape and b.problem == "multiclass"
    assert b.x_train.shape == (360, *shape) and b.x_val.shape == (120, *shape)
    assert b.x_test.shape == (120, *shape)
    assert b.x_train.dtype == np.float32 and b.y_train.dtype == np.int64
    assert abs(float(b.x_train.mean())) < 1e-4 and abs(float(b.x_train.std()) - 1) < 1e-3
    assert b.standardizer.mean.shape == (1, 1, 1)
    assert b.images_test_raw.shape == (120, *shape) and b.images_test_raw.dtype == np.uint8
    assert b.raw_image(0).shape == shape[1:] and b.raw_image(0, "train").dtype == np.uint8
    assert np.abs(b.display_images(b.x_test).astype(int) - b.images_test_raw).max() <= 1
    assert b.n_classes == len(b.class_names) == cfg.n_classes
    if name != "shapes":
        assert load_data(cfg.replace(data={"n_samples": 0})).sizes()["train"] > 1000


# ---------- torchvision formats, written by hand ----------

def write_idx(path, array: np.ndarray) -> None:
    """The MNIST idx-ubyte format: magic 0x0000 08 <ndim>, big-endian sizes, then uint8 data."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 + array.ndim))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def write_mnist(root, folder="MNIST", n_train=30, n_test=10):
    rng = np.random.default_rng(0)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        y = np.arange(n) % 10
        write_idx(os.path.join(root, folder, "raw", f"{split}-images-idx3-ubyte"), x)
        write_idx(os.path.join(root, folder, "raw", f"{split}-labels-idx1-ubyte"), y)
        out[split] = (x, y)
    return out


CIFAR_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def write_cifar(root, per_batch=4):
    """CIFAR-10 python batches: pickled dicts of 'data' [n, 3072] (R, G, B planes) and 'labels'."""
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder)
    rng = np.random.default_rng(1)
    batches = {}
    for name in [*(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]:
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        labels = list(rng.integers(0, 10, per_batch))
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump({"data": data, "labels": [int(v) for v in labels]}, f)
        batches[name] = (data, labels)
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": CIFAR_NAMES}, f)
    return batches


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name, folder, first_class", [("mnist", "MNIST", "0"),
                                                        ("fashion_mnist", "FashionMNIST", "T-shirt/top"),
                                                        ("kmnist", "KMNIST", "o")])
def test_torchvision_mnist_format(tmp_path, monkeypatch, name, folder, first_class):
    written = write_mnist(str(tmp_path), folder)
    d = getattr(images, name)(root=str(tmp_path))
    assert d.images.shape == (40, 1, 28, 28) and d.images.dtype == np.uint8
    assert np.array_equal(d.images[:30, 0], written["train"][0])  # train then test, pixels untouched
    assert np.array_equal(d.images[30:, 0], written["t10k"][0])
    assert np.array_equal(d.labels[:30], written["train"][1]) and d.class_names[0] == first_class
    assert len(d.class_names) == 10
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    b = load_data(RunConfig().replace(data={"dataset": name, "n_samples": 20, "train_frac": 0.5,
                                            "val_frac": 0.25}))
    assert b.x_train.shape == (10, 1, 28, 28) and b.sizes() == {"train": 10, "val": 5, "test": 5}
    assert images.download(name, str(tmp_path)) == os.path.join(str(tmp_path), folder)  # present: no network


@pytest.mark.timeout(60)
def test_torchvision_cifar_format(tmp_path, monkeypatch):
    import torchvision.datasets.cifar as tv_cifar

    batches = write_cifar(str(tmp_path))
    # the real files are checked against torchvision's md5 sums; ours are tiny stand-ins
    monkeypatch.setattr(tv_cifar, "check_integrity", lambda path, md5=None: os.path.isfile(path))
    d = images.cifar10(root=str(tmp_path))
    assert d.images.shape == (24, 3, 32, 32) and d.images.dtype == np.uint8 and d.class_names == CIFAR_NAMES
    data, labels = batches["data_batch_1"]
    assert np.array_equal(d.images[0, 0], data[0, :1024].reshape(32, 32))  # red plane first
    assert np.array_equal(d.images[0, 2], data[0, 2048:].reshape(32, 32))
    assert np.array_equal(d.images[-4:].reshape(4, -1), batches["test_batch"][0])
    assert d.labels[:4].tolist() == labels
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    b = load_data(RunConfig().replace(data={"dataset": "cifar10", "n_samples": 0}))
    assert b.input_shape == (3, 32, 32) and b.standardizer.mean.shape == (3, 1, 1)
    assert b.raw_image(0).shape == (32, 32, 3)


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("cifar10", "cifar-10-batches-py")])
def test_missing_files_message(tmp_path, name, folder):
    t = time.monotonic()
    with pytest.raises(DatasetUnavailable) as e:
        getattr(images, name)(root=str(tmp_path))
    msg = str(e.value)
    assert time.monotonic() - t < 5
    assert "is not on this machine" in msg and f"python -m nnlib download {name}" in msg
    assert os.path.join(str(tmp_path), folder) in msg and "digits 8x8, MNIST 5k, shapes" in msg
    assert isinstance(e.value, DataError)


@pytest.mark.timeout(30)
def test_missing_files_through_load_data(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailable, match="python -m nnlib download fashion_mnist"):
        load_data(RunConfig().replace(data={"dataset": "fashion_mnist"}))


@pytest.mark.timeout(30)
def test_no_network_fails_fast(tmp_path, monkeypatch):
    """Downloads allowed but no server reachable: a refused local port stands in for the offline internet."""
    monkeypatch.setenv("NNLIB_ALLOW_DOWNLOAD", "1")
    monkeypatch.setattr(images, "_urls", lambda cls: ["http://127.0.0.1:9/"])
    t = time.monotonic()
    with pytest.raises(DatasetUnavailable) as e:
        images.mnist(root=str(tmp_path))
    assert time.monotonic() - t < 10
    assert "could not be downloaded here (no network" in str(e.value)
    with pytest.raises(DatasetUnavailable, match="python -m nnlib download kmnist"):
        images.download("kmnist", str(tmp_path))


@pytest.mark.timeout(30)
def test_corrupted_files_message(tmp_path):
    root = str(tmp_path)
    write_mnist(root)
    with open(os.path.join(root, "MNIST", "raw", "train-images-idx3-ubyte"), "wb") as f:
        f.write(b"\x00\x00\x08\x03garbage")
    with pytest.raises(DatasetUnavailable, match="corrupted"):
        images.mnist(root=root)


def test_unknown_download_name():
    with pytest.raises(DataError, match="not a downloadable dataset"):
        images.download("imagenet")
