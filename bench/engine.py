"""Engine speed benchmark: examples/s of a plain PyTorch loop vs nnlib's fast path on TF-Playground nets.

Run `python bench/engine.py [--seconds S] [--rounds R]`. Each method is a factory in METHODS
(`name -> factory(spec, x, y) -> run(epochs) -> examples trained`). Rates are CPU-time based (this process, one
thread) and the methods take turns in R interleaved rounds (median per method), so a load that comes and goes on
a shared machine hits every column alike; compare the ratios, which are measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

N_TRAIN, BATCH, LR, ACTIVATION = 250, 10, 0.03, "tanh"

Run = Callable[[int], int]  # train this many epochs, return the number of examples trained


@dataclass(frozen=True)
class NetSpec:
    name: str
    sizes: tuple[int, ...]


NETS = [NetSpec("2-4-2-1 tanh", (2, 4, 2, 1)), NetSpec("2-8x6-1 tanh", (2, 8, 8, 8, 8, 8, 8, 1))]


def xor_data(n: int = N_TRAIN, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """TF Playground's XOR: points in [-6, 6]^2 (kept off the axes), label 1 where x*y > 0."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-5.0, 5.0, size=(n, 2)).astype(np.float32)
    x += np.where(x > 0, 0.3, -0.3).astype(np.float32)
    y = (x[:, :1] * x[:, 1:2] > 0).astype(np.float32)
    return x, y


def xavier_mlp(sizes: tuple[int, ...], seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        nn.init.xavier_uniform_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers.append(lin)
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def plain_torch(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Run:
    """(a) The loop a student would write: nn.Sequential + optim.SGD + autograd, whole-dataset tensors."""
    model = xavier_mlp(spec.sizes)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    loss_fn = nn.BCEWithLogitsLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)

    def run(epochs: int) -> int:
        for _ in range(epochs):
            order = torch.randperm(len(xt), generator=gen)
            for i in range(0, len(order), BATCH):
                idx = order[i:i + BATCH]
                opt.zero_grad()
                loss_fn(model(xt[idx]), yt[idx]).backward()
                opt.step()
        return epochs * len(xt)

    return run


def fast_mlp(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Run:
    """(b) nnlib.train.fast_mlp on a torch model's parameters, shuffled with torch.randperm like Trainer."""
    from nnlib.train.fast_mlp import FastMLP

    model = xavier_mlp(spec.sizes)
    lins = [m for m in model if isinstance(m, nn.Linear)]
    fast = FastMLP([m.weight.detach().numpy() for m in lins], [m.bias.detach().numpy() for m in lins],
                   ACTIVATION, "bce", "sgd", {"lr": LR})
    gen = torch.Generator().manual_seed(0)

    def run(epochs: int) -> int:
        for _ in range(epochs):
            fast.train_epoch(x, y, torch.randperm(len(x), generator=gen).numpy(), BATCH)
        return epochs * len(x)

    return run


def nnlib_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray, fast: bool | None = None) -> Run:
    """(c) The full nnlib Trainer as the app runs it: XOR config, per-epoch evaluation of train/val/test,
    history with weight/gradient norms. `fast=False` forces the autograd path."""
    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from nnlib.train.trainer import Trainer

    cfg = RunConfig().replace(data={"dataset": "xor", "n_samples": 2 * N_TRAIN},
                              model={"hidden": spec.sizes[1:-1], "activation": ACTIVATION,
                                     "initializer": "xavier_uniform"},
                              train={"optimizer": "sgd", "lr": LR, "batch_size": BATCH, "epochs": 10_000})
    data = load_data(cfg)
    assert len(data.x_train) == N_TRAIN
    state = {"trainer": Trainer(cfg, data, fast=fast)}

    def run(epochs: int) -> int:
        t = state["trainer"]
        if t.epoch + epochs > cfg.train.epochs:
            t = state["trainer"] = Trainer(cfg, data, fast=fast)
        t.run(epochs=epochs)
        return epochs * N_TRAIN

    return run


class PicklingPipe:
    """The worker's end of the pipe, minus the manager: what the job sends is pickled (what a real pipe does in
    the sending process) and dropped; no command ever arrives."""

    def send(self, msg: tuple) -> None:
        pickle.dumps(msg)

    def poll(self, timeout: float = 0.0) -> bool:
        return False


def app_trainer(spec: NetSpec, x: np.ndarray, y: np.ndarray) -> Run:
    """(d) The Trainer as a worker runs it for the Playground (nnlib.train.job.run_training): history, the
    page's LiveSnapshot offered every epoch and built, encoded (the history rows new since the last snapshot) and
    pickled (what goes down the pipe) at the app's snapshot rate through the job's JobControl gate."""
    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data
    from nnlib.jobs.control import JobControl
    from nnlib.train.job import payload_builder
    from nnlib.train.live_snapshot import LiveSnapshot
    from nnlib.train.trainer import Trainer
    from ui.live import SNAPSHOT_S

    cfg = RunConfig().replace(data={"dataset": "xor", "n_samples": 2 * N_TRAIN},
                              model={"hidden": spec.sizes[1:-1], "activation": ACTIVATION,
                                     "initializer": "xavier_uniform"},
                              train={"optimizer": "sgd", "lr": LR, "batch_size": BATCH, "epochs": 10_000})
    data = load_data(cfg)
    build = payload_builder(cfg)
    ctl = JobControl(PicklingPipe(), min_interval=SNAPSHOT_S)  # type: ignore[arg-type]

    def start() -> Trainer:
        live = LiveSnapshot(ctl.offer, build)
        trainer = Trainer(cfg, data, callbacks=[live])
        assert trainer.fast is not None
        return trainer

    state = {"trainer": start()}

    def run(epochs: int) -> int:
        """Like the Trainer column, a new run once the longest run a page allows (10,000 epochs) is done."""
        if state["trainer"].epoch + epochs > cfg.train.epochs:
            state["trainer"] = start()
        state["trainer"].run(epochs=epochs, gate=ctl.epoch_gate)
        return epochs * N_TRAIN

    run.snapshots = lambda: ctl.sent  # type: ignore[attr-defined]
    return run


# name -> factory; the first one is the baseline the ratios are relative to
METHODS: dict[str, Callable[[NetSpec, np.ndarray, np.ndarray], Run]] = {
    "plain torch": plain_torch,
    "fast_mlp": fast_mlp,
    "Trainer": nnlib_trainer,
    "Trainer+live (app)": app_trainer,
    "Trainer autograd": lambda spec, x, y: nnlib_trainer(spec, x, y, fast=False),
}


def measure(name: str, fn: Run, seconds: float = 3.0) -> float:
    """Examples per CPU-second of `fn`: doubling epoch counts until `seconds` of this process's CPU are spent."""
    epochs, done, elapsed = 1, 0, 0.0
    while elapsed < seconds:
        start = time.process_time()
        done += fn(epochs)
        elapsed += time.process_time() - start
        epochs *= 2
    return done / elapsed


def first_call_latency(cold: bool) -> float:
    """Seconds from a fresh interpreter's `import nnlib.train.fast_mlp` to the end of its first epoch.

    Warm: numba's on-disk cache exists (the normal case). Cold: an empty cache dir, i.e. a compile.
    """
    code = (f"import sys; sys.path.insert(0, {ROOT!r})\n"
            "import time, numpy, torch\n"
            "from bench.engine import NETS, fast_mlp, xor_data\n"
            "x, y = xor_data(); t = time.perf_counter()\n"
            "fast_mlp(NETS[0], x, y)(1)\n"
            "print(time.perf_counter() - t)\n")
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as tmp:
        if cold:
            env["NUMBA_CACHE_DIR"] = tmp
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                             check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per network and method")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median per method)")
    parser.add_argument("--only", nargs="*", default=None, help="these methods only (the first is the baseline)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-compile latency measurement")
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y = xor_data()
    names = args.only or list(METHODS)
    header = f"{'network':<16}" + "".join(f"{n + ' ex/s':>24}" for n in names)
    header += "".join(f"{'  ' + n + ' / ' + names[0]:>34}" for n in names[1:])
    print(f"batch {BATCH}, {N_TRAIN} points, SGD lr {LR}, BCE, 1 thread, {args.rounds} interleaved rounds of "
          f"~{args.seconds:g} CPU-s per method, median; load average at start {os.getloadavg()[0]:.1f}")
    print(header)
    for spec in NETS:
        runs = {n: METHODS[n](spec, x, y) for n in names}
        for run in runs.values():
            run(1)  # warm-up: compile / load kernels, first allocations
        samples: dict[str, list[float]] = {n: [] for n in names}
        for _ in range(args.rounds):
            for n in names:
                samples[n].append(measure(n, runs[n], args.seconds))
        rates = [statistics.median(samples[n]) for n in names]
        row = f"{spec.name:<16}" + "".join(f"{r:>24,.0f}" for r in rates)
        row += "".join(f"{r / rates[0]:>33.1f}x" for r in rates[1:])
        print(row, flush=True)
        if "fast_mlp" in names:
            kernel = rates[names.index("fast_mlp")]
            print("".join(f"    {n} / kernel alone: {rates[i] / kernel:.2f}x" for i, n in enumerate(names)
                          if n.startswith("Trainer")), flush=True)
    first_call_latency(cold=False)  # make sure numba's on-disk cache is populated
    print(f"fast_mlp first call (fresh process: import + first epoch), numba cache warm: "
          f"{first_call_latency(cold=False):.2f} s")
    if not args.no_cold:
        cold = first_call_latency(cold=True)
        print(f"fast_mlp first call with an empty numba cache (compile): {cold:.2f} s")


if __name__ == "__main__":
    main()
