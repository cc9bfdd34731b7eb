"""The lecture's TRAIN procedure: epochs of shuffled mini-batches, loss, backprop, update -- steppable and stoppable.

Small plain MLPs on the CPU go through `fast_mlp` (hand-derived gradients, same maths, many times faster); every
other model goes through autograd. Both use the same batch order, the same learning rate per epoch
(`nnlib.schedules.lr_at`) and the same optimizer hyper-parameters (`nnlib.optimizers`), so a seed reproduces a run
either way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from nnlib.config import RunConfig
from nnlib.losses import LOSSES
from nnlib.models.build import build_model, core_mlp
from nnlib.optimizers import configure_optimizer, optimizer_settings
from nnlib.regularization import clamp_sign_flips, count_zeros, penalty, weight_tensors
from nnlib.train.callbacks import Callback, Logs
from nnlib.train.loop import TRAIN_EVAL_MAX, EpochLoop

__all__ = ["Trainer", "resolve_device", "weight_tensors"]  # weight_tensors lives in nnlib.regularization

EVAL_BATCH = 4096
CONV_EVAL_BATCH = 256  # conv nets on a CPU infer ~3x faster in batches of 64-256 than of 4096 (cache-sized tensors)


def resolve_device(name: str) -> torch.device:
    """'auto' -> the first CUDA GPU when torch sees one, else the CPU; 'cuda' without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' was requested but no CUDA GPU is available here; use 'auto' or 'cpu'")
    return torch.device(name)


class Trainer(EpochLoop):
    def __init__(self, cfg: RunConfig, data: Any = None, callbacks: Iterable[Callback] = (),
                 model: nn.Module | None = None, fast: bool | None = None) -> None:
        if data is None:
            from nnlib.data.bundle import load_data

            data = load_data(cfg)
        self._init_loop(cfg, data, callbacks)
        t = cfg.train
        self.device = resolve_device(t.device)
        self.model = (model or build_model(cfg, data.input_shape, data.n_classes)).to(self.device)
        # NHWC lets oneDNN (CPU) and cuDNN (GPU) run convolutions without layout shuffles: +20-35% here
        self.channels_last = cfg.model.cnn is not None
        if self.channels_last:
            self.model = self.model.to(memory_format=torch.channels_last)
        self.eval_batch = CONV_EVAL_BATCH if cfg.model.cnn is not None else EVAL_BATCH
        self.loss_name = cfg.loss
        self.loss_fn = LOSSES[self.loss_name].factory()
        self.splits = {name: self._tensors(name) for name in ("train", "val", "test")}
        self.generator = torch.Generator().manual_seed(t.seed)
        self.aug_generator = torch.Generator(device=self.device).manual_seed(t.seed + 1)
        self.interrupt: Callable[[], bool] | None = None  # polled between batches of the autograd path
        self._batch_train_accuracy: float | None = None
        # train()/eval() walk every submodule (~0.5 ms per call here): only toggle when it changes the maths
        self._mode_matters = any(isinstance(m, (nn.Dropout, nn.Dropout2d, nn.modules.batchnorm._BatchNorm))
                                 for m in self.model.modules())
        self.fast = self._make_fast() if fast is not False else None
        if self.fast is not None:  # torch.randperm's batch order from self.generator's seed, without torch
            from nnlib.train.batch_order import BatchOrder

            self._fast_order = BatchOrder(t.seed)
        if fast and self.fast is None:
            raise ValueError("the fast path cannot train this model/optimizer/loss combination")
        # the fast kernel keeps its own optimizer state: a torch optimizer exists only for the autograd path
        self.optimizer: torch.optim.Optimizer | None = (configure_optimizer(self.model, t) if self.fast is None
                                                        else None)

    # ---------- setup ----------
    def _tensors(self, split: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        x, y = getattr(self.data, f"x_{split}"), getattr(self.data, f"y_{split}")
        if x is None or len(x) == 0:
            return None
        xt = self.as_input(x)
        if self.loss_name == "cross_entropy":
            yt = torch.as_tensor(y, dtype=torch.int64, device=self.device).view(-1)
        else:
            yt = torch.as_tensor(y, dtype=torch.float32, device=self.device).view(-1, 1)
        return xt, yt

    def as_input(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """A batch of inputs as the model wants it: float32 on the run's device, NHWC for conv nets."""
        xt = torch.as_tensor(np.ascontiguousarray(x) if isinstance(x, np.ndarray) else x, dtype=torch.float32,
                             device=self.device)
        if self.channels_last and xt.dim() == 4:
            xt = xt.contiguous(memory_format=torch.channels_last)
        return xt

    def _make_fast(self) -> Any:
        try:
            from nnlib.train import fast_mlp
        except ImportError:
            return None
        mlp = core_mlp(self.model)
        t = self.cfg.train
        if (mlp is None or self.device.type != "cpu" or len(self.data.input_shape) != 1
                or any(cb.wants_batches for cb in self.callbacks)):
            return None
        activations = fast_mlp.kernel_activations(mlp)  # from the built modules, layer by layer
        if (activations is None or not fast_mlp.supports(activations, t.optimizer, self.loss_name)
                or not fast_mlp.worthwhile(mlp.sizes, t.batch_size)):
            return None
        lins = mlp.linears()
        return fast_mlp.FastMLP([lin.weight.detach().numpy() for lin in lins],
                                [lin.bias.detach().numpy() for lin in lins], activations, self.loss_name,
                                t.optimizer, optimizer_settings(t)[1], t.l1, t.l2)

    # ---------- the autograd path ----------
    def _apply_lr(self, lr: float) -> None:
        if self.fast is not None:
            self.fast.set_lr(lr)
        else:
            for g in self.optimizer.param_groups:  # type: ignore[union-attr]
                g["lr"] = lr

    def _stepwise_epoch(self, epoch: int, logs: Logs) -> None:
        """The epoch as separate steps: the training epoch (kernel or autograd), evaluation, norms."""
        if self.fast is not None:  # no torch per epoch: the kernel trains the parameters' memory in place
            super()._stepwise_epoch(epoch, logs)
            return
        x, y = self.splits["train"]  # type: ignore[misc]
        order = torch.randperm(len(x), generator=self.generator)
        self.model.train()
        data_loss, pen, grad_norms = self._torch_epoch(x, y, order.to(self.device))
        if self._batch_train_accuracy is not None and self.cfg.is_image:
            logs["train_accuracy"] = self._batch_train_accuracy
        self.epoch = epoch
        logs.update(epoch=epoch, train_loss=data_loss, train_penalty=pen, lr=self.lr, fast_path=False)
        if math.isfinite(data_loss + pen):
            logs.update(self.evaluate_all(skip_train="train_accuracy" in logs, skip_test=self.cfg.is_image))
        weights = weight_tensors(self.model)
        logs["weight_norms"] = [float(w.detach().norm()) for w in weights]
        logs["zero_weights"] = count_zeros(weights)
        logs["grad_norms"] = grad_norms

    def _torch_epoch(self, x: torch.Tensor, y: torch.Tensor, order: torch.Tensor) -> tuple[float, float, list]:
        bs = self.cfg.train.batch_size
        l1, l2 = self.cfg.train.l1, self.cfg.train.l2
        weights = weight_tensors(self.model)
        optimizer = self.optimizer
        assert optimizer is not None  # only the fast path trains without one
        augment = self.cfg.data.augment if self.cfg.is_image else ()
        batch_cbs = [cb for cb in self.callbacks if cb.wants_batches]
        total_loss = torch.zeros((), device=self.device)
        total_pen = torch.zeros((), device=self.device)
        n_batches = 0
        # training accuracy from the epoch's own batches (Keras-style), so no extra pass over the training set
        classify, multi = self.cfg.problem != "regression", self.loss_name == "cross_entropy"
        correct = torch.zeros((), device=self.device, dtype=torch.long)
        seen = 0
        for b, i in enumerate(range(0, len(order), bs)):
            if self._stop or (self.interrupt is not None and b % 8 == 7 and self.interrupt()):
                self._stop = True
                self.stop_reason, self.status = "stopped by the user", "stopped"
                break
            idx = order[i:i + bs]
            xb, yb = x[idx], y[idx]
            if augment:
                from nnlib.data.augment import augment_batch

                xb = augment_batch(xb, augment, self.aug_generator)
            for cb in batch_cbs:
                cb.on_batch_begin(self, b, {"batch": b, "size": len(idx)})
            optimizer.zero_grad(set_to_none=True)
            out = self.model(xb)
            loss = self.loss_fn(out, yb)
            pen = penalty(weights, l1, l2) if (l1 or l2) else torch.zeros((), device=self.device)
            (loss + pen).backward()
            before = [w.detach().clone() for w in weights] if l1 else None
            optimizer.step()
            if before is not None:
                clamp_sign_flips(weights, before)
            total_loss += loss.detach()
            if classify:
                with torch.no_grad():
                    pred = out.argmax(1) if multi else (out.view(-1) > 0).long()
                    correct += (pred == yb.view(-1).long()).sum()
                    seen += len(idx)
            total_pen += pen.detach() if torch.is_tensor(pen) else pen
            n_batches += 1
            for cb in batch_cbs:
                cb.on_batch_end(self, b, {"batch": b, "size": len(idx), "loss": float(loss)})
        grad_norms = [float(w.grad.norm()) if w.grad is not None else 0.0 for w in weights]
        n = max(1, n_batches)
        self._batch_train_accuracy = float(correct) / seen if classify and seen else None
        return float(total_loss) / n, float(total_pen) / n, grad_norms

    # ---------- evaluation ----------
    @torch.no_grad()
    def predict(self, x: torch.Tensor | np.ndarray) -> torch.Tensor:
        """Raw model outputs (logits or values) in eval mode, batched to bound memory."""
        x = self.as_input(x)
        was_training = self.model.training
        if was_training and self._mode_matters:
            self.model.eval()
        bs = self.eval_batch
        out = self.model(x) if len(x) <= bs else torch.cat([self.model(x[i:i + bs]) for i in range(0, len(x), bs)])
        if was_training and self._mode_matters:
            self.model.train()
        return out

    def probabilities(self, out: torch.Tensor) -> torch.Tensor:
        if self.loss_name == "cross_entropy":
            return torch.softmax(out, dim=1)
        return torch.sigmoid(out)

    def evaluate(self, split: str) -> Logs:
        tensors = self.splits.get(split)
        if tensors is None:
            return {}
        x, y = tensors
        if split == "train" and len(x) > TRAIN_EVAL_MAX:
            x, y = x[:TRAIN_EVAL_MAX], y[:TRAIN_EVAL_MAX]
        out = self.predict(x)
        loss = float(self.loss_fn(out, y))
        res: Logs = {f"{split}_loss": loss} if split != "train" else {}
        if self.cfg.problem == "regression":
            err = out - y
            mse = float((err * err).mean())
            var = float(((y - y.mean()) ** 2).mean())
            res[f"{split}_rmse"] = math.sqrt(mse) if math.isfinite(mse) else math.nan
            res[f"{split}_r2"] = 1.0 - mse / var if var > 0 else 0.0
        else:
            pred = out.argmax(1) if self.loss_name == "cross_entropy" else (out.view(-1) > 0).long()
            res[f"{split}_accuracy"] = float((pred == y.view(-1).long()).float().mean())
        return res

    def evaluate_all(self, skip_train: bool = False, skip_test: bool = False) -> Logs:
        """Metrics of every split in eval mode. Image runs take training accuracy from the epoch's batches
        (`skip_train`) and measure the test split only when training ends (`skip_test`; the live view's confusion
        matrix covers it meanwhile), so evaluation costs one pass over the validation split per epoch."""
        if self.fast is not None:
            return self._fast_evaluate_all(skip_train, skip_test)
        logs: Logs = {}
        if self._mode_matters:
            self.model.eval()
        try:
            for split in ("train", "val", "test"):
                if not ((split == "train" and skip_train) or (split == "test" and skip_test)):
                    logs.update(self.evaluate(split))
        finally:
            if self._mode_matters:
                self.model.train()
        return logs
