"""`load_data(cfg)`: one entry point that turns the data part of a RunConfig into standardized train/val/test
arrays plus everything the UI needs to draw them (raw 2D points and plot domain, or raw test images).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnlib.config import RunConfig
from nnlib.data.catalog import DATASETS
from nnlib.data.errors import DataError
from nnlib.data.features import featurize
from nnlib.data.split import Standardizer, split_indices
from nnlib.data.toy2d import DOMAIN

SPLITS = ("train", "val", "test")


@dataclass
class DataBundle:
    """Standardized model inputs per split (x float32 [n, F] or [n, C, H, W]; y int64 class indices or float32
    targets) and the facts needed to explain and plot them."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    problem: str  # binary | multiclass | regression
    n_classes: int  # 1 for regression
    class_names: list[str]
    feature_names: list[str]  # model inputs: ["x1", "x1*x2"], CSV columns, or ["pixels"]
    input_shape: tuple[int, ...]  # (F,) or (C, H, W)
    standardizer: Standardizer
    dataset: str = ""
    kind: str = ""  # toy2d | csv | image
    # 2D data (toy2d and CSV): raw points per split and the plane shown behind them
    points_train: np.ndarray | None = None
    points_val: np.ndarray | None = None
    points_test: np.ndarray | None = None
    domain: tuple[float, float, float, float] | None = None
    point_features: tuple[str, ...] = ()  # features computed from a point ("" = the CSV's raw columns)
    fill: np.ndarray | None = None  # CSV with > 2 columns: the other columns are held at their training mean
    # images: the un-normalized test images for display
    images_test_raw: np.ndarray | None = None  # uint8 [n, C, H, W]
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def is_image(self) -> bool:
        return self.kind == "image"

    def sizes(self) -> dict[str, int]:
        return {s: len(getattr(self, f"y_{s}")) for s in SPLITS}

    def inputs_for_points(self, points: np.ndarray) -> np.ndarray:
        """Model inputs (featurized + standardized, float32 [n, F]) for any 2D points, e.g. a plot grid."""
        if self.domain is None:
            raise DataError(f"{self.dataset} is not 2D data: there is no plane to evaluate the model on")
        pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        if self.point_features:
            raw = featurize(pts, self.point_features)
        else:
            fill = self.fill if self.fill is not None else np.zeros(2, np.float32)
            raw = np.repeat(fill[None], len(pts), axis=0)
            raw[:, :2] = pts
        return self.standardizer.transform(raw)

    def raw_image(self, i: int, split: str = "test") -> np.ndarray:
        """Image i for display: uint8 [H, W] (grey) or [H, W, 3]."""
        if split == "test" and self.images_test_raw is not None:
            img = self.images_test_raw[i]
        else:
            img = self.display_images(getattr(self, f"x_{split}")[i:i + 1])[0]
        return img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0)

    def display_images(self, x: np.ndarray) -> np.ndarray:
        """Standardized model inputs [n, C, H, W] (e.g. augmented) back to uint8 pixels [n, C, H, W]."""
        from nnlib.data.images import to_uint8

        return to_uint8(np.clip(self.standardizer.inverse(np.asarray(x)), 0.0, 1.0))

    def summary(self) -> dict[str, Any]:
        """Small JSON-able description for the UI and logs."""
        return {"dataset": self.dataset, "kind": self.kind, "problem": self.problem,
                "n_classes": self.n_classes, "class_names": list(self.class_names),
                "feature_names": list(self.feature_names),
                "input_shape": list(self.input_shape), "sizes": self.sizes(), **self.info}


def load_data(cfg: RunConfig) -> DataBundle:
    """Build the data of a run; a pure function of cfg.data (seeded), so callers may cache it by config."""
    d = cfg.data
    entry = DATASETS[d.dataset]
    kind = entry.params["kind"]
    if kind == "toy2d":
        return _toy2d(cfg, entry.factory)
    if kind == "csv":
        return _csv(cfg, entry.factory)
    if kind == "image":
        return _image(cfg, entry.factory)
    raise DataError(f"dataset {d.dataset!r} has unknown kind {kind!r}")  # pragma: no cover


def _splits(cfg: RunConfig, y: np.ndarray, classify: bool) -> tuple[np.ndarray, ...]:
    d = cfg.data
    return split_indices(len(y), d.train_frac, d.val_frac, d.seed, y if classify else None)


def _labels(y: np.ndarray, problem: str) -> np.ndarray:
    return np.ascontiguousarray(y, dtype=np.float32 if problem == "regression" else np.int64)


def _tabular_bundle(cfg: RunConfig, points: np.ndarray, x: np.ndarray, y: np.ndarray, problem: str,
                    n_classes: int, class_names: list[str], feature_names: list[str],
                    **extra: Any) -> DataBundle:
    idx = _splits(cfg, y, problem != "regression")
    std = Standardizer.fit(x[idx[0]])
    xs = {s: std.transform(x[i]) for s, i in zip(SPLITS, idx)}
    ys = {s: _labels(y[i], problem) for s, i in zip(SPLITS, idx)}
    pts = {s: np.ascontiguousarray(points[i], dtype=np.float32) for s, i in zip(SPLITS, idx)}
    return DataBundle(xs["train"], ys["train"], xs["val"], ys["val"], xs["test"], ys["test"], problem,
                      n_classes, class_names, feature_names, (x.shape[1],), std, dataset=cfg.data.dataset,
                      points_train=pts["train"], points_val=pts["val"], points_test=pts["test"], **extra)


def _toy2d(cfg: RunConfig, factory: Any) -> DataBundle:
    d = cfg.data
    info = DATASETS[d.dataset].params
    n = d.n_samples or int(info["n"])
    problem = cfg.problem
    k = cfg.n_classes if problem != "regression" else 0
    points, y = factory(n, d.noise, d.seed, k)
    names = [f"class {i}" for i in range(k)] if problem != "regression" else []
    feats = tuple(d.features)
    return _tabular_bundle(cfg, points, featurize(points, feats), y, problem, max(k, 1), names, list(feats),
                           kind="toy2d", domain=DOMAIN, point_features=feats)


def _csv_domain(points: np.ndarray) -> tuple[float, float, float, float]:
    """Bounding box of the points with a 10% margin (a CSV can use any units)."""
    lo, hi = points.min(axis=0).astype(float), points.max(axis=0).astype(float)
    pad = np.maximum((hi - lo) * 0.1, 1e-3)
    return (lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1])


def _csv(cfg: RunConfig, factory: Any) -> DataBundle:
    d = cfg.data
    table, y, info = factory(d.csv_path)
    points = table[:, :2]
    problem = info["problem"]
    extra: dict[str, Any] = {"kind": "csv", "domain": _csv_domain(points), "info": {"csv_path": d.csv_path}}
    if table.shape[1] == 2:  # two columns: the playground's feature choice applies as for the toy data
        feats = tuple(d.features)
        x, names = featurize(points, feats), list(feats)
        extra["point_features"] = feats
    else:
        x, names = table, list(info["feature_names"])
    bundle = _tabular_bundle(cfg, points, x, y, problem, info["n_classes"], list(info["class_names"]), names,
                             **extra)
    if table.shape[1] > 2:
        fill = bundle.standardizer.mean.reshape(-1).copy()  # training means of the raw columns
        bundle.fill = fill.astype(np.float32)
    return bundle


def _image(cfg: RunConfig, factory: Any) -> DataBundle:
    from nnlib.data.images import to_uint8, to_unit

    d = cfg.data
    data = factory(d.n_samples, d.seed, d.noise)
    idx = _splits(cfg, data.labels, True)
    xs = {s: to_unit(data.images[i]) for s, i in zip(SPLITS, idx)}
    std = Standardizer.fit(xs["train"])
    for s in SPLITS:
        std.transform_(xs[s])
    ys = {s: np.ascontiguousarray(data.labels[i], dtype=np.int64) for s, i in zip(SPLITS, idx)}
    k = len(data.class_names)
    return DataBundle(xs["train"], ys["train"], xs["val"], ys["val"], xs["test"], ys["test"],
                      cfg.problem, k, list(data.class_names), ["pixels"],
                      tuple(int(s) for s in data.images.shape[1:]), std, dataset=d.dataset, kind="image",
                      images_test_raw=to_uint8(data.images[idx[2]]))
