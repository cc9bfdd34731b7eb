"""The part of training every trainer shares, torch-free: the epoch loop with its callbacks, status and stop
reasons, the learning-rate schedule, and the fast path's epoch (one compiled call, or separate steps while a group
worker routes the kernel). `nnlib.train.trainer.Trainer` adds torch models and autograd on top;
`nnlib.train.fast_run.FastRun` trains a plain MLP from numpy arrays, so a run that needs no torch never imports it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from itertools import accumulate, repeat
from typing import Any

import numpy as np

from nnlib.config import RunConfig
from nnlib.schedules import PlateauState, lr_at
from nnlib.train.callbacks import Callback, EarlyStopping, History, Logs, NaNGuard
from nnlib.words import all_done

TRAIN_EVAL_MAX = 2000  # train metrics are measured on at most this many training examples


class EpochLoop:
    """run / stop / status over epochs; subclasses set `fast` (a FastMLP or None), `_fast_order` (its BatchOrder)
    and `loss_name`, and implement `_apply_lr` and, for anything but the fast path, `_stepwise_epoch`."""

    fast: Any
    loss_name: str

    def _init_loop(self, cfg: RunConfig, data: Any, callbacks: Iterable[Callback]) -> None:
        self.cfg, self.data = cfg, data
        t = cfg.train
        self._lr = t.lr
        self._plateau = PlateauState(t.lr)  # what the plateau schedule remembers of the validation losses
        self.history = History()
        self.callbacks: list[Callback] = [self.history, NaNGuard(), *callbacks]
        if t.patience:
            self.callbacks.insert(2, EarlyStopping(t.patience))
        self._n_builtin = 3 if t.patience else 2
        self.epoch = 0
        self.status = "ready"
        self.stop_reason = ""
        self.best_epoch: int | None = None
        self._stop = False
        self._elapsed = 0.0
        self._fast_eval: Any = None  # the splits as the fast path's evaluation kernel reads them (fast_mlp.EvalSet)
        self._fused: Any = None  # the fast path's epoch as one compiled call (fast_epoch.FusedEpoch), made at need
        self._problem = cfg.problem

    # ---------- control ----------
    def stop(self, reason: str = "stopped by the user", status: str = "stopped") -> None:
        """Ask the loop to stop after the current batch; safe to call from a callback or another thread."""
        self._stop = True
        self.stop_reason = reason
        self.status = status

    @property
    def lr(self) -> float:
        """The learning rate of the current (or, between epochs, the last) epoch."""
        return self._lr

    def _use_scheduled_lr(self) -> None:
        """Set the coming epoch's rate from the schedule, in whichever optimizer trains (torch's or the kernel's)."""
        t = self.cfg.train
        self._lr = self._plateau.lr if t.schedule == "plateau" else self._scheduled_lr(self.epoch)
        self._apply_lr(self._lr)

    def _scheduled_lr(self, epochs_done: int) -> float:
        """The rate of the epoch after `epochs_done`, for every schedule but plateau (which follows the losses)."""
        t = self.cfg.train
        return float(t.lr) if t.schedule == "constant" else lr_at(epochs_done, t)

    def _apply_lr(self, lr: float) -> None:
        self.fast.set_lr(lr)

    @property
    def done(self) -> bool:
        return self.epoch >= self.cfg.train.epochs or self.status in ("diverged", "early_stopped", "stopped")

    def run(self, epochs: int | None = None, gate: Callable[[], bool] | None = None,
            burst: Callable[[], tuple[int, float, Any]] | None = None) -> History:
        """Train `epochs` more epochs (default: until cfg.train.epochs); call again to resume.

        `gate` is asked before every epoch (a job runner blocks in it while paused); False means stop. `burst`
        (a group worker's job control) says, right after the gate let an epoch through, how many epochs may run
        before the gate is asked again, within how many seconds, and the flag that ends a burst early: see
        `_burst`. Without it, or when a burst cannot be exact, the gate is asked before every epoch.
        """
        target = self.cfg.train.epochs if epochs is None else min(self.cfg.train.epochs, self.epoch + epochs)
        self._stop = False
        if self.status in ("ready", "paused", "stopped"):
            self.status, self.stop_reason = "running", ""
        logs: Logs = {}
        first = self.epoch == 0
        if first:
            for cb in self.callbacks:
                cb.on_train_begin(self, logs)  # type: ignore[arg-type]
        while self.epoch < target and not self._stop:
            if gate is not None and not gate():
                self.stop()
                break
            plan = burst() if burst is not None else None
            if plan is not None and plan[0] > 1 and self._burst_batcher() is not None:
                self._burst(min(plan[0], target - self.epoch), plan[1], plan[2])
            else:
                self.train_epoch()
        if self.status == "running":
            self.status = "finished" if self.epoch >= self.cfg.train.epochs else "paused"
            if self.status == "finished":
                self.stop_reason = all_done(self.epoch)
        if self.status != "paused":
            for cb in self.callbacks[:self._n_builtin]:  # history, NaN guard, early stopping (restores weights)
                cb.on_train_end(self, logs)  # type: ignore[arg-type]
            if self.cfg.is_image and self.history.records:  # image runs measure the test split once, here
                self.history.update_last(self.evaluate("test"))  # type: ignore[attr-defined]
            for cb in self.callbacks[self._n_builtin:]:
                cb.on_train_end(self, logs)  # type: ignore[arg-type]
        return self.history

    def train_epoch(self) -> Logs:
        """One pass over the shuffled training set, then evaluation and the epoch-end hooks.

        Besides the keys `nnlib.train.callbacks` lists, the logs hold `zero_weights`: how many weights are exactly
        0 after the epoch (L1's clamp makes them; the page shows the count of dead connections).
        """
        start = time.perf_counter()
        epoch = self.epoch + 1
        logs: Logs = {}
        for cb in self.callbacks:
            cb.on_epoch_begin(self, epoch, logs)  # type: ignore[arg-type]
        self._use_scheduled_lr()
        if self.fast is not None and self._fused_usable():  # batch order to norms in one compiled call
            self.epoch = epoch
            self._fused.write_logs(epoch, self._lr, logs)
        else:
            self._stepwise_epoch(epoch, logs)
        t = self.cfg.train
        if t.schedule == "plateau":
            self._plateau = self._plateau.after(logs.get("val_loss", math.nan), t.lr_gamma, t.lr_patience)
        self._elapsed += time.perf_counter() - start
        logs["wall_time"] = self._elapsed
        for cb in self.callbacks:
            cb.on_epoch_end(self, epoch, logs)  # type: ignore[arg-type]
        return logs

    # ---------- the fast path ----------
    def _stepwise_epoch(self, epoch: int, logs: Logs) -> None:
        """The fast path's epoch as separate steps (kernel, evaluation, norms): what a routed kernel needs."""
        x_train = self.data.x_train
        order = self._fast_order.permutation(len(x_train))
        data_loss, pen = self.fast.train_epoch(x_train, self._fast_targets(), order, self.cfg.train.batch_size)
        self.epoch = epoch
        logs.update(epoch=epoch, train_loss=data_loss, train_penalty=pen, lr=self.lr, fast_path=True)
        if math.isfinite(data_loss + pen):
            logs.update(self._fast_evaluate_all("train_accuracy" in logs, self.cfg.is_image))
        logs["weight_norms"], logs["grad_norms"], logs["zero_weights"] = self.fast.weight_stats()

    def _fused_usable(self) -> bool:
        """Whether this epoch can be `fast_epoch.FusedEpoch`'s one call (asked every epoch: a group worker may
        route the kernel to its batcher at any time, and then the epoch must go through `FastMLP.train_epoch`)."""
        if self._fused is None:
            from nnlib.train import fast_epoch

            self._fused_check = fast_epoch.usable
            self._fused = fast_epoch.FusedEpoch(self.fast, self.data.x_train, self._fast_targets(), self._fast_order,
                                                self.cfg.train.batch_size, self._problem,
                                                self._prepared_fast_eval(False, self.cfg.is_image))
        return self._fused_check()

    def _fused_epoch(self) -> Any:
        """The fused epoch's bound arrays (`fast_epoch.FusedEpoch`), made at the first need."""
        if self._fused is None:
            self._fused_usable()
        return self._fused

    def _burst_batcher(self) -> Any:
        """The batcher this thread's epochs are routed to when a burst of them would be exact, else None: the fast
        path, a schedule that does not follow the losses (plateau does), callbacks that only read the logs
        (`Callback.replayable`: history, NaN guard, live snapshots -- not early stopping, which copies the weights
        of its best epoch), and the burst call compiled (`batched_burst.ready`)."""
        if self.fast is None or self.cfg.train.schedule == "plateau" or self.cfg.is_image:
            return None
        if not all(cb.replayable for cb in self.callbacks):
            return None
        from nnlib.train import batched_burst, fast_mlp

        if not batched_burst.ready():
            return None
        bound = getattr(getattr(fast_mlp, "_epoch", None), "bound", None)
        batcher = bound() if bound is not None else None
        return batcher if hasattr(batcher, "submit_burst") else None

    def _burst(self, most: int, seconds: float, abort: np.ndarray | None) -> None:
        """Up to `most` epochs in one batched call (`batched_burst`), as many as the batcher expects to run within
        `seconds`; then each epoch's logs and callbacks, as `train_epoch` runs them, from the burst's records. The
        call ends a net's burst where its NaN guard stops it, so the replay never sees an epoch the run would not
        have trained. `abort` set (a command for the job) ends it at the next epoch boundary."""
        from nnlib.train.batched_burst import describe_burst

        batcher = self._burst_batcher()
        fused = self._fused_epoch()
        k = batcher.burst_epochs(most, seconds)
        if k <= 1:
            self.train_epoch()
            return
        lrs = np.array([self._scheduled_lr(self.epoch + e) for e in range(k)], np.float64)
        record = np.empty((k, fused.record_width()), np.float64)
        state = np.zeros(2, np.int64)
        limit = np.array([min([cb.limit for cb in self.callbacks if isinstance(cb, NaNGuard)] or [math.inf])])
        abort = abort if abort is not None else np.zeros(1, np.int64)
        start = time.perf_counter()
        epoch_args, extra = fused.burst_arrays(lrs, record, state, abort, limit)
        batcher.submit_burst(describe_burst(epoch_args, extra), k * len(epoch_args[4]))
        done, failed = int(state[0]), bool(state[1])
        share = (time.perf_counter() - start) / max(1, done)
        callbacks = self.callbacks
        begins = [cb for cb in callbacks if type(cb).on_epoch_begin is not Callback.on_epoch_begin]
        if not failed and not begins and done and self._replay_at_once(record[:done], limit[0]):
            first = self.epoch + 1
            walls = list(accumulate(repeat(share, done), initial=self._elapsed))[1:]  # as `+= share` per epoch
            logs_list = fused.burst_logs(first, lrs[:done].tolist(), record[:done], walls)
            self._lr, self.epoch, self._elapsed = logs_list[-1]["lr"], first + done - 1, walls[-1]
            for cb in callbacks:
                cb.on_epochs_end(self, first, logs_list)  # type: ignore[arg-type]
            return
        last = self.epoch + done
        for lr, row in zip(lrs.tolist(), record[:done].tolist()):
            epoch = self.epoch + 1
            logs: Logs = {}
            for cb in begins:
                cb.on_epoch_begin(self, epoch, logs)  # type: ignore[arg-type]
            self._lr = lr  # already in the kernel's hyper-parameters (the burst set each epoch's)
            self.epoch = epoch
            if failed and epoch == last:
                raise IndexError("order holds an index outside x, or y holds a class id outside the outputs")
            fused.record_logs(epoch, self._lr, logs, row)
            self._elapsed += share
            logs["wall_time"] = self._elapsed
            for cb in callbacks:
                cb.on_epoch_end(self, epoch, logs)  # type: ignore[arg-type]
            if self._stop:
                break

    def _replay_at_once(self, record: np.ndarray, limit: float) -> bool:
        """Whether a burst's epochs may be handed to the callbacks all at once (`Callback.on_epochs_end`) rather than
        one epoch at a time: every callback has its own bulk hook, and no epoch's loss trips the NaN guard's test,
        so nothing stops the run inside the burst (the order of the hooks then cannot matter)."""
        if any(type(cb).on_epochs_end is Callback.on_epochs_end for cb in self.callbacks):
            return False
        loss = record[:, 0] + record[:, 1]  # the guard's sum, in float64 as it adds the logs' Python floats
        return bool(np.isfinite(loss).all() and (np.abs(loss) <= limit).all())

    def _fast_targets(self) -> np.ndarray:
        if not hasattr(self, "_fast_y"):
            y = self.data.y_train
            self._fast_y = (np.asarray(y, dtype=np.int64) if self.loss_name == "cross_entropy"
                            else np.asarray(y, dtype=np.float32).reshape(-1, 1))
        return self._fast_y

    def _fast_evaluate_all(self, skip_train: bool, skip_test: bool) -> Logs:
        """Every split's metrics through the fast path's compiled forward pass (the keys of `Trainer.evaluate`,
        float32-equal values), all splits in one call: torch's evaluation cost ~55 us per split on the default
        net, more than its epoch."""
        prepared = self._prepared_fast_eval(skip_train, skip_test)
        logs: Logs = {}
        for split, row in zip(prepared.names, self.fast.evaluate(prepared).tolist()):
            logs.update(self._split_logs(split, row, self._problem))
        return logs

    def _prepared_fast_eval(self, skip_train: bool, skip_test: bool) -> Any:
        """The splits as the fast path's evaluation kernel reads them (fast_mlp.EvalSet), prepared at the first
        evaluation and kept."""
        if self._fast_eval is None:
            from nnlib.train.fast_mlp import split_logs

            self._split_logs = split_logs
            splits = {}
            for split in ("train", "val", "test"):
                x, y = getattr(self.data, f"x_{split}"), getattr(self.data, f"y_{split}")
                if x is not None and len(x) and not ((split == "train" and skip_train)
                                                     or (split == "test" and skip_test)):
                    cap = TRAIN_EVAL_MAX if split == "train" else len(x)
                    splits[split] = (x[:cap], y[:cap])
            self._fast_eval = self.fast.eval_set(splits)
        return self._fast_eval
