"""Plain-data pictures of a training run (numbers, lists, small numpy arrays) that cross process boundaries cheaply.

A snapshot is what a page plots: the history as columns, the status, and the inspection views of the model.
Heavy views are sized for the wire: grids as float16, thumbnails small.
"""

from __future__ import annotations

import math
import weakref
from typing import Any, TypedDict

import numpy as np

SCALAR_KEYS = ("epoch", "train_loss", "train_penalty", "train_accuracy", "train_rmse", "train_r2", "val_loss",
               "val_accuracy", "val_rmse", "val_r2", "test_loss", "test_accuracy", "test_rmse", "test_r2", "lr",
               "wall_time", "zero_weights", "dead_fraction")  # dead_fraction: only when a DeadUnits callback runs


def history_columns(records: list[dict[str, Any]], columns: dict[str, list] | None = None,
                    share: bool = False) -> dict[str, list]:
    """Columnar history of the scalar metrics (json-friendly, NaN kept as None). With the History callback's
    running `columns` this is a cheap copy instead of a pass over every record -- or no copy with `share`, for a
    caller that is done with them before the next epoch (a job's control sends only their new rows at once)."""
    if columns is not None:
        return {k: (v if share else list(v)) for k, v in columns.items() if k in SCALAR_KEYS or k == "weight_norm"}
    keys = [k for k in SCALAR_KEYS if records and k in records[0]]
    cols: dict[str, list[Any]] = {k: [] for k in keys}
    for r in records:
        for k in keys:
            v = r.get(k)
            cols[k].append(None if v is None or v != v else float(v))
    if records and "weight_norms" in records[-1]:
        cols["weight_norm"] = [float(np.sqrt(sum(w * w for w in r.get("weight_norms", [])))) for r in records]
    return cols


class Status(TypedDict):
    """Where a run is: every snapshot carries these (the run bar and the live status line read them by name)."""

    status: str  # ready | running | paused | finished | stopped | diverged | early_stopped
    reason: str  # why it ended, in words ("" while it runs)
    epoch: int  # epochs trained so far
    epochs: int  # the horizon the job trains to (the server's cap for an "until I pause" run)
    elapsed: float  # seconds of training
    device: str
    fast_path: bool  # trained by the numba kernel (fast_mlp) rather than autograd
    best_epoch: int | None  # lowest validation loss so far (early stopping restores it)
    final: bool  # the last snapshot of the run


class PlaygroundSnapshot(Status, total=False):
    """What the Playground draws (ui/plots.py, the live route's patches, ui/live.js)."""

    history: dict[str, list[float | None]]  # SCALAR_KEYS + weight_norm, one value per epoch
    grid: dict[str, np.ndarray]  # the boundary: xs, ys and the output (prob / probs / value) on the grid
    neurons: list[np.ndarray]  # per hidden layer, each neuron's output on a small grid (the thumbnails)
    inputs: np.ndarray  # each input feature on the same small grid
    weights: list[np.ndarray]  # the Linear layers' weight matrices (the network diagram's links)
    until_paused: bool  # an open-ended run: its `epochs` is the server's cap, not a goal


class ImageSnapshot(Status, total=False):
    """What the Images & CNNs page draws (ui/cnn_plots.py and its live patcher)."""

    history: dict[str, list[float | None]]
    filters: np.ndarray  # first-layer filters as a uint8 grid
    filters_shape: list[int]
    feature_maps: list[tuple[str, np.ndarray]]  # (layer name, uint8 grid) for the probe image
    confusion: np.ndarray  # counts, true x predicted, on the test split (validation if none)
    per_class: dict[str, Any]  # precision, recall, f1, support lists; macro_f1, accuracy
    mistakes: list[dict[str, Any]]  # the most confident mistakes: index, true, pred, top3
    probe: int  # index of the probe image in that split


AnySnapshot = PlaygroundSnapshot | ImageSnapshot  # what the shared curve and status code reads


def status_of(trainer: Any, final: bool) -> Status:
    return {"status": trainer.status, "reason": trainer.stop_reason, "epoch": trainer.epoch,
            "epochs": trainer.cfg.train.epochs, "elapsed": trainer._elapsed, "device": str(trainer.device),
            "fast_path": trainer.fast is not None, "best_epoch": trainer.best_epoch or _best_so_far(trainer),
            "final": final}


class _BestScan:
    """Running argmin of a history's validation loss: rows before the last are final, so each snapshot scans only
    the rows appended since the previous one (plus the last, which History.update_last may still rewrite). Same
    answer as np.nanargmin: None and NaN rows count as +inf, the first lowest row wins, no real value -> None."""

    def __init__(self) -> None:
        self.scanned = 0  # rows [0, scanned) are folded into best
        self.best: _Best = (math.inf, -1, False)

    def argmin(self, column: list[Any]) -> int | None:
        final = max(0, len(column) - 1)
        if final < self.scanned:  # a different (shorter) history: start over
            self.scanned, self.best = 0, (math.inf, -1, False)
        self.best = _fold(column, self.scanned, final, self.best)
        self.scanned = max(self.scanned, final)
        _, row, real = _fold(column, final, len(column), self.best)
        return row if real else None


_Best = tuple[float, int, bool]  # (lowest loss, its 0-based row, whether any row had a real value)


def _fold(column: list[Any], start: int, stop: int, best: _Best) -> _Best:
    low, row, real = best
    for i in range(start, stop):
        v = column[i]
        x = math.inf if v is None or v != v else v
        if row < 0 or x < low:
            low, row = x, i
        real = real or (v is not None and v == v)
    return low, row, real


_BEST_SCANS: weakref.WeakKeyDictionary[Any, _BestScan] = weakref.WeakKeyDictionary()


def _best_so_far(trainer: Any) -> int | None:
    """The epoch with the lowest validation loss so far (1-based); runs at every snapshot, so it does not rescan
    the whole history (0.2 ms at 10,000 epochs): only the rows appended since the last call."""
    history = trainer.history
    column = history.columns.get("val_loss") if getattr(history, "columns", None) is not None else None
    if column is None:
        column = history.column("val_loss")
    scan = _BEST_SCANS.get(history)
    if scan is None:
        scan = _BEST_SCANS[history] = _BestScan()
    row = scan.argmin(column)
    return None if row is None else row + 1


def playground_snapshot(trainer: Any, final: bool, resolution: int = 100, thumb: int = 12,
                        share_history: bool = False) -> PlaygroundSnapshot:
    """Everything the 2D Playground draws: curves, boundary grid, neuron thumbnails, weights. `share_history`:
    the history's lists are the trainer's own (see history_columns), for a job's control that sends at once."""
    from nnlib.inspect.grid import input_grids, mlp_weights, neuron_grids, output_grid

    snap: PlaygroundSnapshot = {**status_of(trainer, final)}  # type: ignore[typeddict-item]
    snap["history"] = history_columns(trainer.history.records, trainer.history.columns, share_history)
    grid = output_grid(trainer, resolution)
    snap["grid"] = {k: (v.astype(np.float16) if v.dtype == np.float32 and k not in ("xs", "ys") else v)
                    for k, v in grid.items()}
    snap["neurons"] = [g.astype(np.float16) for g in neuron_grids(trainer, thumb)]
    snap["inputs"] = input_grids(trainer, thumb).astype(np.float16)
    snap["weights"] = mlp_weights(trainer)
    return snap


def _first_layer_pictures(trainer: Any) -> np.ndarray | None:
    """First-layer filters of a CNN, or for an MLP on images its first layer's weights seen as images."""
    from nnlib.inspect.filters import first_layer_filters
    from nnlib.models.build import core_mlp

    mlp = core_mlp(trainer.model)
    if mlp is None:
        return first_layer_filters(trainer.model)
    w = mlp.linears()[0].weight.detach().cpu().numpy()[:32]
    shape = trainer.data.input_shape
    if len(shape) != 3:
        return None
    w = w.reshape(-1, *shape)
    lo, hi = w.min(axis=(1, 2, 3), keepdims=True), w.max(axis=(1, 2, 3), keepdims=True)
    return ((w - lo) / np.maximum(hi - lo, 1e-12)).astype(np.float32)


def image_snapshot(trainer: Any, final: bool, probe: int = 0, mistakes: int = 12,
                   share_history: bool = False) -> ImageSnapshot:
    """Everything the CNN page draws: curves, first-layer filters, feature maps of a probe image, confusion matrix,
    per-class precision/recall/F1 and the most confident mistakes (test split)."""
    import torch

    from nnlib.inspect.filters import feature_maps, to_uint8_grid
    from nnlib.inspect.metrics import confusion_matrix, most_confident_mistakes, per_class_prf

    snap: ImageSnapshot = {**status_of(trainer, final)}  # type: ignore[typeddict-item]
    snap["history"] = history_columns(trainer.history.records, trainer.history.columns, share_history)
    filters = _first_layer_pictures(trainer)
    if filters is not None:
        snap["filters"] = to_uint8_grid(filters)
        snap["filters_shape"] = list(filters.shape)
    split = trainer.splits.get("test") or trainer.splits.get("val")
    if split is None:
        return snap
    x, y = split
    probe = min(probe, len(x) - 1)
    if hasattr(trainer.model, "feature_maps"):
        snap["feature_maps"] = [(name, to_uint8_grid(m[:, None], normalize="activation"))
                                for name, m in feature_maps(trainer.model, x[probe])]
    with torch.no_grad():
        probs = trainer.probabilities(trainer.predict(x)).cpu().numpy()
    y_true = y.view(-1).long().cpu().numpy()
    pred = probs.argmax(1) if probs.shape[1] > 1 else (probs[:, 0] > 0.5).astype(np.int64)
    cm = confusion_matrix(y_true, pred, trainer.data.n_classes)
    rep = per_class_prf(cm)
    snap["confusion"] = cm
    snap["per_class"] = {"precision": rep.precision.tolist(), "recall": rep.recall.tolist(), "f1": rep.f1.tolist(),
                         "support": rep.support.tolist(), "macro_f1": float(rep.macro_f1),
                         "accuracy": float(rep.accuracy)}
    snap["mistakes"] = [{"index": int(i), "true": int(t), "pred": int(p), "top3": [(int(c), float(q)) for c, q in top]}
                        for i, t, p, top in most_confident_mistakes(probs, y_true, mistakes)]
    snap["probe"] = probe
    return snap
