"""The table of datasets a run can use; implementations live in sibling modules and load only when needed.

An entry's `uses` names the optional data fields its loader reads (n_samples, noise; all of them when absent, as
for the generated 2D sets): nnlib.idle_fields greys out and leaves out of "change one knob" the ones it ignores."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from nnlib.registry import Registry

DATASETS = Registry("dataset")


def _ref(target: str) -> Callable[..., Any]:
    """Factory that imports `module:function` on first call (keeps torch/sklearn out of config validation)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        mod, fn = target.split(":")
        return getattr(importlib.import_module(mod), fn)(*args, **kwargs)

    return call


_T = "nnlib.data.toy2d:"
_D = DATASETS.add
_D("circle", _ref(_T + "circle"), "A disc of one class inside a ring of the other: not linearly separable.",
   kind="toy2d", problem="binary", n=500, classes=2)
_D("xor", _ref(_T + "xor"), "Four quadrants, opposite ones share a class: the classic problem a linear model "
   "cannot solve.", kind="toy2d", problem="binary", n=500, classes=2)
_D("gauss", _ref(_T + "gauss"), "Two gaussian clouds: linearly separable.", kind="toy2d", problem="binary",
   n=500, classes=2, label="two gaussians")
_D("spiral", _ref(_T + "spiral"), "Two interleaved spirals: needs a deep or wide net (or sin features).",
   kind="toy2d", problem="binary", n=500, classes=2)
_D("moons", _ref(_T + "moons"), "Two interleaving half circles.", kind="toy2d", problem="binary", n=500, classes=2)
_D("spiral_multi", _ref(_T + "spiral_multi"), "K spiral arms, one class each: softmax over K classes.",
   kind="toy2d", problem="multiclass", n=600, classes=0, label="multi-class spiral")
_D("blobs", _ref(_T + "blobs"), "K gaussian blobs, one class each: softmax over K classes.", kind="toy2d",
   problem="multiclass", n=600, classes=0, label="multi-class blobs")
_D("plane", _ref(_T + "plane"), "Regression: the target is a tilted plane, a linear function of x1 and x2.",
   kind="toy2d", problem="regression", n=1200, classes=0)
_D("multi_gauss", _ref(_T + "multi_gauss"), "Regression: the target is a sum of gaussian bumps.", kind="toy2d",
   problem="regression", n=1200, classes=0, label="multi gaussian")
_D("csv", _ref("nnlib.data.tabular:load_csv_dataset"), "Your own table: a CSV with columns x1, x2[, ...], label.",
   kind="csv", problem="auto", n=0, classes=0, label="CSV file", uses=())
_I = "nnlib.data.images:"
_SUBSET = ("n_samples",)  # what a stored image set reads besides the split: a subset, never generated noise
_D("digits", _ref(_I + "digits"), "1,797 handwritten digits, 8x8 grey (bundled with scikit-learn, offline).",
   kind="image", problem="multiclass", n=1797, shape=(1, 8, 8), classes=10, label="digits 8x8 (offline)",
   uses=_SUBSET)
_D("mnist_5k", _ref(_I + "mnist_5k"), "5,000 MNIST digits, 28x28 grey, 500 per class (bundled, offline).",
   kind="image", problem="multiclass", n=5000, shape=(1, 28, 28), classes=10, label="MNIST 5k (offline)",
   uses=_SUBSET)
_D("shapes", _ref(_I + "shapes"), "Generated lines, circles, squares and triangles: filters learn edge and blob "
   "detectors.", kind="image", problem="multiclass", n=2000, shape=(1, 28, 28), classes=6, label="shapes (generated)",
   uses=("n_samples", "noise"))
_D("mnist", _ref(_I + "mnist"), "MNIST, 70,000 handwritten digits 28x28 (torchvision download).", kind="image",
   problem="multiclass", n=70000, shape=(1, 28, 28), classes=10, download=True,
   label="MNIST (download)", uses=_SUBSET)
_D("fashion_mnist", _ref(_I + "fashion_mnist"), "Fashion-MNIST, 70,000 clothing images 28x28 (torchvision "
   "download).", kind="image", problem="multiclass", n=70000, shape=(1, 28, 28), classes=10,
   download=True, label="Fashion-MNIST (download)", uses=_SUBSET)
_D("kmnist", _ref(_I + "kmnist"), "Kuzushiji-MNIST, 70,000 cursive Japanese characters 28x28 (torchvision "
   "download).", kind="image", problem="multiclass", n=70000, shape=(1, 28, 28), classes=10,
   download=True, label="KMNIST (download)", uses=_SUBSET)
_D("cifar10", _ref(_I + "cifar10"), "CIFAR-10, 60,000 colour photos 32x32 in 10 classes (torchvision download).",
   kind="image", problem="multiclass", n=60000, shape=(3, 32, 32), classes=10, download=True,
   label="CIFAR-10 (download)", uses=_SUBSET)


def names_of_kind(kind: str) -> list[str]:
    return [n for n, e in DATASETS.items() if e.params["kind"] == kind]
