"""Benchmark: CNN training throughput (images/s) of nnlib's Trainer vs a bare whole-tensor loop, a DataLoader over the
same pre-standardized tensors (TensorDataset), and the tutorial Dataset (PIL + transforms) + DataLoader loop; same
models, data, process and thread count as the app's job workers, so the ratios say what nnlib's machinery costs.

Every loop does the same work as a Trainer run: the epochs of Adam steps, a validation pass after each epoch and one
test pass at the end (a loop that never looks at held-out data is not what anyone runs). The bare loop is run in
both memory layouts, and the ratios are taken against the faster one.

Run: `.venv/bin/python bench/cnn.py [--epochs N] [--repeats R]` (not a test; ~1-3 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from nnlib.config import RunConfig  # noqa: E402
from nnlib.data.bundle import load_data  # noqa: E402
from nnlib.models.build import build_model  # noqa: E402
from nnlib.models.presets import preset_spec  # noqa: E402
from nnlib.optimizers import configure_optimizer  # noqa: E402
from nnlib.train.trainer import Trainer  # noqa: E402

BATCH = 64
LR = 0.001


def config(preset: str, epochs: int) -> RunConfig:
    return RunConfig().replace(
        data={"dataset": "mnist_5k", "n_samples": 0, "train_frac": 0.8, "val_frac": 0.1},
        model={"cnn": preset_spec(preset, (1, 28, 28)), "activation": "relu", "initializer": "he_uniform"},
        train={"optimizer": "adam", "lr": LR, "epochs": epochs, "batch_size": BATCH, "device": "cpu"})


def fresh(cfg: RunConfig, data: Any) -> tuple[torch.nn.Module, torch.optim.Optimizer]:
    model = build_model(cfg, data.input_shape, data.n_classes)
    return model, configure_optimizer(model, cfg.train)


def run_trainer(cfg: RunConfig, data: Any) -> float:
    trainer = Trainer(cfg, data)
    start = time.perf_counter()
    trainer.run()
    return time.perf_counter() - start


@torch.no_grad()
def accuracy(model: torch.nn.Module, batches: Any) -> float:
    model.eval()
    correct = total = 0
    for xb, yb in batches:
        correct += int((model(xb).argmax(1) == yb).sum())
        total += len(yb)
    model.train()
    return correct / total


def tensor_batches(x: np.ndarray, y: np.ndarray, channels_last: bool, size: int = 256) -> list:
    xt = torch.from_numpy(x)
    if channels_last:
        xt = xt.contiguous(memory_format=torch.channels_last)
    yt = torch.from_numpy(y)
    return [(xt[i:i + size], yt[i:i + size]) for i in range(0, len(yt), size)]


def run_bare(cfg: RunConfig, data: Any, channels_last: bool = False) -> float:
    """The fastest plain loop: whole tensors in memory, a random permutation, slices."""
    model, opt = fresh(cfg, data)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    val = tensor_batches(data.x_val, data.y_val, channels_last)
    test = tensor_batches(data.x_test, data.y_test, channels_last)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.contiguous(memory_format=torch.channels_last)
    g = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    model.train()
    for _ in range(cfg.train.epochs):
        order = torch.randperm(len(x), generator=g)
        for i in range(0, len(x), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        accuracy(model, val)
    accuracy(model, test)
    return time.perf_counter() - start


class TutorialMNIST(torch.utils.data.Dataset):
    """What torchvision.datasets.MNIST does per item: uint8 array -> PIL image -> transform(ToTensor, Normalize)."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        from torchvision import transforms

        self.images, self.labels = images, labels
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        from PIL import Image

        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


def timed_loader_run(cfg: RunConfig, model: torch.nn.Module, opt: Any, loader: Any, val: Any, test: Any) -> float:
    """Seconds of a DataLoader loop doing a Trainer run's work: the epochs, validation after each, one test pass."""
    loss_fn = torch.nn.CrossEntropyLoss()
    start = time.perf_counter()
    model.train()
    for _ in range(cfg.train.epochs):
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        accuracy(model, val)
    accuracy(model, test)
    return time.perf_counter() - start


def run_dataloader(cfg: RunConfig, data: Any) -> float:
    """The usual tutorial loop: Dataset + DataLoader(shuffle=True), num_workers=0 as on a shared 2-core box."""
    model, opt = fresh(cfg, data)
    raw = data.display_images(data.x_train)[:, 0]  # uint8 [n, 28, 28], like MNIST's files
    loader = torch.utils.data.DataLoader(TutorialMNIST(raw, data.y_train), batch_size=BATCH, shuffle=True,
                                         num_workers=0)
    val, test = (torch.utils.data.DataLoader(TutorialMNIST(data.display_images(x)[:, 0], y), batch_size=256)
                 for x, y in ((data.x_val, data.y_val), (data.x_test, data.y_test)))
    return timed_loader_run(cfg, model, opt, loader, val, test)


def run_dataloader_tensors(cfg: RunConfig, data: Any) -> float:
    """The fair DataLoader baseline: TensorDataset over the same pre-standardized tensors the Trainer gets, so the
    difference to the bare loop is the DataLoader's own per-batch cost (collating, sampler), not PIL decoding."""
    model, opt = fresh(cfg, data)
    ds = torch.utils.data.TensorDataset(torch.from_numpy(data.x_train), torch.from_numpy(data.y_train))
    loader = torch.utils.data.DataLoader(ds, batch_size=BATCH, shuffle=True, num_workers=0)
    val, test = (torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
                                             batch_size=256) for x, y in ((data.x_val, data.y_val),
                                                                          (data.x_test, data.y_test)))
    return timed_loader_run(cfg, model, opt, loader, val, test)


def run_bare_nhwc(cfg: RunConfig, data: Any) -> float:
    """The bare loop with the NHWC memory layout, the fastest way to run convolutions on this CPU."""
    return run_bare(cfg, data, channels_last=True)


TUTORIAL, TENSOR_DL = "DataLoader, tutorial", "DataLoader, tensors"
LOOPS: dict[str, Callable[[RunConfig, Any], float]] = {"bare tensors": run_bare, "bare, channels_last": run_bare_nhwc,
                                                       TENSOR_DL: run_dataloader_tensors, TUTORIAL: run_dataloader,
                                                       "nnlib Trainer": run_trainer}


def timings(cfg: RunConfig, data: Any, repeats: int) -> dict[str, list[float]]:
    """Seconds of each loop per repeat; the loops take turns so a noisy neighbour slows all of them alike."""
    times: dict[str, list[float]] = {name: [] for name in LOOPS}
    for _ in range(repeats):
        for name, fn in LOOPS.items():
            times[name].append(fn(cfg, data))
    return times


def paired_ratio(reference: list[float], loop: list[float]) -> float:
    """Speed of `loop` relative to `reference`: the median of the per-round time ratios."""
    return statistics.median(r / t for r, t in zip(reference, loop, strict=True))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--presets", default="lenet5,small_vgg")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("NNLIB_TORCH_THREADS", 1)),
                    help="torch threads; default: what the app's job workers use (NNLIB_TORCH_THREADS, 1)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {BATCH}, adam, "
          f"{args.epochs} epoch(s), {args.repeats} rounds; a ratio is the median over rounds of the ratio within a "
          "round (this VM's speed drifts by +-20% between rounds)")
    rows = []
    for preset in args.presets.split(","):
        cfg = config(preset, args.epochs)
        data = load_data(cfg)
        n = len(data.y_train) * args.epochs
        run_bare(cfg.replace(train={"epochs": 1}), data)  # warm-up: first-call costs (allocator, kernels)
        times = timings(cfg, data, args.repeats)
        bare = min(("bare tensors", "bare, channels_last"), key=lambda k: statistics.median(times[k]))
        for loop in LOOPS:
            rows.append((preset, loop, n / statistics.median(times[loop]), paired_ratio(times[bare], times[loop]),
                         paired_ratio(times[TENSOR_DL], times[loop]), paired_ratio(times[TUTORIAL], times[loop])))
        print(f"{preset}: {len(data.y_train)} training, {len(data.y_val)} validation, {len(data.y_test)} test images")
    print()
    print(f"{'model':<10} {'loop':<20} {'images/s':>10} {'vs best bare':>13} {'vs DL tensors':>14} "
          f"{'vs DL tutorial':>15}")
    for preset, loop, ips, vb, vd, vt in rows:
        print(f"{preset:<10} {loop:<20} {ips:>10,.0f} {vb:>13.2f} {vd:>14.2f} {vt:>15.2f}")


if __name__ == "__main__":
    main()
