"""Keras-style callbacks: everything that watches or steers training without living inside the loop.

Hooks receive the trainer and a `logs` dict. Epoch-end logs hold (when the split exists): `epoch` (1-based),
`train_loss` (mean data loss of the epoch's batches), `train_penalty` (mean L1+L2 term), `train_accuracy` /
`train_rmse` + `train_r2`, the same for `val_` and `test_` (evaluated without dropout; image runs measure `test_`
once, when training ends, and add it to the last epoch with `History.update_last`), `lr`, `wall_time` (seconds
since training began), `weight_norms` and `grad_norms` (per layer), `fast_path` (bool). Batch hooks get `batch`,
`size`, and at the end `loss`; a callback that overrides a batch hook turns the fast path off.
"""

from __future__ import annotations

import copy
import math
import os
from typing import TYPE_CHECKING, Any

from nnlib.words import count

if TYPE_CHECKING:
    from nnlib.train.trainer import Trainer

Logs = dict[str, Any]


class Callback:
    # whether the epoch hooks read only the logs and the trainer's status (never the model): then a group worker may
    # train a burst of epochs first and run the hooks for each of them afterwards (`loop.EpochLoop._burst`)
    replayable = False

    def on_train_begin(self, trainer: Trainer, logs: Logs) -> None: ...
    def on_train_end(self, trainer: Trainer, logs: Logs) -> None: ...
    def on_epoch_begin(self, trainer: Trainer, epoch: int, logs: Logs) -> None: ...
    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None: ...
    def on_batch_begin(self, trainer: Trainer, batch: int, logs: Logs) -> None: ...
    def on_batch_end(self, trainer: Trainer, batch: int, logs: Logs) -> None: ...

    def on_epochs_end(self, trainer: Trainer, first_epoch: int, logs_list: list[Logs]) -> None:
        """A burst's epochs at once (`loop.EpochLoop._burst`), in order: what `on_epoch_end` does for each of them,
        given that no epoch but the last stops the run. A class that overrides this (History, NaNGuard,
        LiveSnapshot) lets a burst be replayed callback by callback instead of epoch by epoch."""
        for i, logs in enumerate(logs_list):
            self.on_epoch_end(trainer, first_epoch + i, logs)

    @property
    def wants_batches(self) -> bool:
        cls = type(self)
        return cls.on_batch_begin is not Callback.on_batch_begin or cls.on_batch_end is not Callback.on_batch_end


class History(Callback):
    """One record per epoch: the curves of under- and overfitting.

    `records` keeps every epoch's logs (per-layer norms included); `columns` holds the same scalar metrics by
    name so a snapshot copies lists instead of walking every record. Both change only through `append` and
    `update_last`, so they can never disagree (image runs add their test metrics to the last epoch after it ended).
    """

    replayable = True

    def __init__(self) -> None:
        self.records: list[Logs] = []
        self.columns: dict[str, list[Any]] = {}  # scalar metrics by name, kept in step so snapshots are cheap
        # the previous epoch's keys and, for each of them that had a column, that column: an epoch with the same
        # keys (every epoch of a run, usually) appends to them directly, without looking any column up by name
        self._plan: tuple[Any, list[tuple[str, list[Any]]], list[Any] | None, list[str]] | None = None

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        self.append(logs)

    def on_epochs_end(self, trainer: Trainer, first_epoch: int, logs_list: list[Logs]) -> None:
        self.extend(logs_list)

    def extend(self, logs_list: list[Logs]) -> None:
        """Many epochs at once (a group worker's burst): `append` of each, column by column. Per epoch that cost
        ~8 us, the largest share of a small net's epoch in a burst; here ~1 us. Epochs whose keys differ from the
        columns' (or that would start a column) go through `append`."""
        plan = self._plan
        if not logs_list:
            return
        keys = logs_list[0].keys()
        if (plan is None or plan[0] != keys or len(plan[1]) + (plan[2] is not None) != len(self.columns)
                or any(lg.keys() != keys for lg in logs_list)
                or any(_is_number(lg[k]) for k in plan[3] for lg in logs_list)):
            for logs in logs_list:
                self.append(logs)
            return
        self.records.extend([dict(lg) for lg in logs_list])
        for key, col in plan[1]:
            col.extend([_column_value(lg[key]) for lg in logs_list])
        if plan[2] is not None:
            plan[2].extend([None if (norms := lg.get("weight_norms")) is None else math.sqrt(sum(w * w for w in norms))
                            for lg in logs_list])

    def append(self, logs: Logs) -> None:
        """A new epoch: its record, and one more entry (None where it lacks a metric) in every column."""
        self.records.append(dict(logs))
        plan = self._plan
        if (plan is not None and plan[0] == logs.keys() and len(plan[1]) + (plan[2] is not None) == len(self.columns)
                and self._append_planned(logs, *plan[1:])):  # same keys, every column among them: one entry each
            return
        self._write_last(logs)
        n = len(self.records)
        for col in self.columns.values():
            if len(col) < n:
                col.append(None)
        columns = self.columns
        self._plan = (set(logs), [(k, columns[k]) for k in logs if k in columns], columns.get("weight_norm"),
                      [k for k in logs if k not in columns])

    @staticmethod
    def _append_planned(logs: Logs, planned: list[tuple[str, list[Any]]], norm_column: list[Any] | None,
                        others: list[str]) -> bool:
        """What `_write_last` and the None fill do, for an epoch whose keys have exactly these columns; False
        (nothing written) if one of the `others` keys holds a number, which starts a column: the general path's
        job. Inlined type tests: this runs every epoch, and a small net's epoch is ~50 us."""
        for key in others:
            v = logs[key]
            kind = type(v)
            if kind is float or kind is int or (isinstance(v, (int, float)) and kind is not bool):
                return False
        for key, col in planned:
            v = logs[key]
            kind = type(v)
            if kind is float:
                col.append(None if v != v else v)
            elif kind is int or (isinstance(v, (int, float)) and kind is not bool):
                col.append(None if v != v else float(v))
            else:
                col.append(None)
        if norm_column is not None:
            norms = logs.get("weight_norms")
            norm_column.append(None if norms is None else math.sqrt(sum(w * w for w in norms)))
        return True

    def update_last(self, values: Logs) -> None:
        """Add or overwrite metrics of the last epoch, in its record and its columns together."""
        if not self.records:
            raise ValueError("no epoch to update: the history is empty")
        self.records[-1].update(values)
        self._write_last(values)

    def _write_last(self, values: Logs) -> None:
        n = len(self.records)
        columns = self.columns
        for k, v in values.items():
            if _is_number(v):
                self._put(columns, k, n, None if v != v else float(v))
        norms = values.get("weight_norms")
        if norms is not None:
            self._put(columns, "weight_norm", n, math.sqrt(sum(w * w for w in norms)))

    @staticmethod
    def _put(columns: dict[str, list[Any]], key: str, n: int, value: float | None) -> None:
        """Epoch n's value of a column (appended, or overwritten when the epoch already has one)."""
        col = columns.get(key)
        if col is None:  # not setdefault: its default would build an n-long list every epoch (quadratic)
            col = columns[key] = [None] * (n - 1)
        if len(col) < n:
            col.append(value)
        else:
            col[n - 1] = value

    def column(self, key: str) -> list[Any]:
        """One metric per epoch (None where an epoch lacks it, NaN kept as None for the scalar columns)."""
        col = self.columns.get(key)
        return list(col) if col is not None else [r.get(key) for r in self.records]


def _column_value(v: Any) -> float | None:
    """A log value as its history column holds it (what `History._append_planned` writes)."""
    kind = type(v)
    if kind is float:
        return None if v != v else v
    if kind is int or (isinstance(v, (int, float)) and kind is not bool):
        return None if v != v else float(v)
    return None


def _is_number(v: Any) -> bool:
    """Whether a log value is a scalar metric (a column of the history): ints and floats, numpy's too, not bools."""
    kind = type(v)
    return kind is float or kind is int or (isinstance(v, (int, float)) and kind is not bool)


def columns_csv(columns: dict[str, list[Any]]) -> str:
    """History columns as CSV text (6 significant digits, empty where an epoch lacks a metric): the one format of
    the CLI's history.csv and the pages' History (CSV) download."""
    keys = sorted(columns, key=lambda k: k != "epoch")  # epoch first, the rest in their order
    lines = [",".join(keys)]
    for row in zip(*(columns[k] for k in keys), strict=True):
        lines.append(",".join("" if v is None else f"{v:.6g}" for v in row))
    return "\n".join(lines) + "\n"


class NaNGuard(Callback):
    """Stops a run whose loss is no longer a finite number, and says why in words."""

    replayable = True  # a burst ends a net's epochs where this stops its run (`batched_burst`)

    def __init__(self, limit: float = 1e12) -> None:
        self.limit = limit

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        loss = logs.get("train_loss", 0.0) + logs.get("train_penalty", 0.0)
        if not math.isfinite(loss) or abs(loss) > self.limit:
            what = "NaN" if loss != loss else ("infinite" if not math.isfinite(loss) else f"huge ({loss:.3g})")
            trainer.stop(f"diverged: the training loss became {what} at epoch {epoch}. The learning rate "
                         f"({logs.get('lr', trainer.cfg.train.lr):g}) is probably too large; try a smaller one.",
                         status="diverged")

    def on_epochs_end(self, trainer: Trainer, first_epoch: int, logs_list: list[Logs]) -> None:
        for i, logs in enumerate(logs_list):
            self.on_epoch_end(trainer, first_epoch + i, logs)
            if trainer._stop:  # the burst ended here (batched_burst stops a net at this test)
                return


class EarlyStopping(Callback):
    """Stop when the validation loss has not improved for `patience` epochs; restore the best weights."""

    def __init__(self, patience: int, monitor: str = "val_loss", min_delta: float = 0.0) -> None:
        self.patience, self.monitor, self.min_delta = patience, monitor, min_delta
        self.best = math.inf
        self.best_epoch = 0
        self.best_state: dict[str, Any] | None = None
        self.wait = 0

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        value = logs.get(self.monitor)
        if value is None or not math.isfinite(value):
            return
        if value < self.best - self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            self.best_state = copy.deepcopy(trainer.model.state_dict())
            logs["best_epoch"] = epoch
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop(f"early-stopped at epoch {epoch}: no better {self.monitor} for "
                         f"{count(self.patience, 'epoch')}; restored the best weights of epoch {self.best_epoch}",
                         status="early_stopped")

    def on_train_end(self, trainer: Trainer, logs: Logs) -> None:
        if trainer.status == "early_stopped" and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)
            trainer.best_epoch = self.best_epoch


class Checkpoint(Callback):
    """Writes the weights as safetensors (never pickle) every `every` epochs and at the end."""

    def __init__(self, folder: str, every: int = 0) -> None:
        self.folder, self.every = folder, every

    def save(self, trainer: Trainer, name: str) -> str:
        """The model's state_dict as a safetensors file; a torch-free run's (numpy arrays, `fast_run.ArrayMLP`)
        through safetensors' numpy API, which writes the same file, without importing torch."""
        os.makedirs(self.folder, exist_ok=True)
        path = os.path.join(self.folder, name)
        metadata = {"config": trainer.cfg.to_json(indent=None)}
        state = trainer.model.state_dict()
        if all(type(v).__module__ == "numpy" for v in state.values()):
            from safetensors.numpy import save_file as save_arrays

            save_arrays({k: v.copy(order="C") for k, v in state.items()}, path, metadata=metadata)
            return path
        from safetensors.torch import save_file

        save_file({k: v.detach().cpu().contiguous() for k, v in state.items()}, path, metadata=metadata)
        return path

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        if self.every and epoch % self.every == 0:
            self.save(trainer, f"epoch_{epoch:05d}.safetensors")

    def on_train_end(self, trainer: Trainer, logs: Logs) -> None:
        self.save(trainer, "model.safetensors")


class Progress(Callback):
    """A text progress bar for the command line (tqdm)."""

    def __init__(self, total: int, verbose: bool = True) -> None:
        from tqdm import tqdm

        self.bar = tqdm(total=total, unit="epoch", dynamic_ncols=True)
        self.verbose = verbose

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        keys = [k for k in ("train_loss", "val_loss", "val_accuracy", "val_rmse", "lr") if k in logs]
        text = "  ".join(f"{k}={logs[k]:.4g}" for k in keys)
        self.bar.set_postfix_str(text, refresh=False)
        self.bar.update(1)
        if self.verbose:
            self.bar.write(f"epoch {epoch:4d}  {text}")

    def on_train_end(self, trainer: Trainer, logs: Logs) -> None:
        self.bar.close()


def dead_fraction(trainer: Trainer) -> float | None:
    """Fraction of a dense net's hidden units that pass no gradient for any training example: d act / d z = 0
    everywhere (a dead ReLU's pre-activation z is negative for every input, so its weights never change again).
    None for a conv net. Computed in evaluation mode, without dropout, on the training inputs."""
    import torch

    from nnlib.models.build import core_mlp

    mlp = core_mlp(trainer.model)
    pair = trainer.splits.get("train")
    x = pair[0] if pair else None
    if mlp is None or x is None or not len(mlp.hidden):
        return None
    was = mlp.training
    mlp.eval()
    dead = total = 0
    try:
        h = x.reshape(len(x), -1)
        for layer in mlp.hidden:
            with torch.no_grad():
                z = layer.norm(layer.linear(h))
            z.requires_grad_(True)
            a = layer.act(z)
            (grad,) = torch.autograd.grad(a.sum(), z)
            dead += int((grad == 0).all(dim=0).sum())
            total += z.shape[1]
            h = a.detach()
    finally:
        mlp.train(was)
    return dead / total if total else None


class DeadUnits(Callback):
    """Adds `dead_fraction` (see `dead_fraction`) to every epoch's history: how many hidden units a high learning
    rate has killed for good. Reads the weights only, so the fast path stays on."""

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: Logs) -> None:
        frac = dead_fraction(trainer)
        if frac is not None:
            trainer.history.update_last({"dead_fraction": frac})


# Callbacks a job payload may ask for by name (plain data crosses the process boundary, classes do not).
WATCHERS: dict[str, type[Callback]] = {"dead_units": DeadUnits}
