"""The pre-run cost estimate (issue 9, item 1) against measured runs, and the limits validation derives from it.

Stated factor: the estimate is within 4x of the measured CPU-seconds of training (one torch thread) and within
3x of the measured peak-memory growth of a warmed-up worker. CPU time (not wall time) is measured, in the same
process after a warm-up run, so the numba compile and imports are not counted.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from nnlib.config import RunConfig
from nnlib.validation import MAX_RUN_CPU_SECONDS, WORKER_BASE_MB, estimate_cost, problems

pytestmark = pytest.mark.timeout(240)
ROOT = Path(__file__).resolve().parents[2]
CPU_FACTOR, MEMORY_FACTOR = 4.0, 3.0
FINITE = {"until_paused": False}

CPU_CONFIGS = {
    "playground default, 20 epochs": {"train": {"epochs": 20, **FINITE}},
    "batch 1 with dropout": {"data": {"n_samples": 3000}, "model": {"dropout": 0.1},
                             "train": {"batch_size": 1, "epochs": 1, **FINITE}},
    "digits MLP 256x256": {"data": {"dataset": "digits"}, "model": {"hidden": [256, 256], "activation": "relu"},
                           "train": {"batch_size": 32, "epochs": 4, **FINITE}},
    "mnist_5k CNN 32/64": {"data": {"dataset": "mnist_5k"},
                           "model": {"cnn": {"blocks": [{"out_channels": 32}, {"out_channels": 64}],
                                             "dense": [128]}},
                           "train": {"batch_size": 256, "epochs": 1, **FINITE}},
}

MEMORY_CONFIG = {"data": {"dataset": "mnist_5k", "n_samples": 1000},
                 "model": {"cnn": {"blocks": [{"out_channels": 128}, {"out_channels": 128}], "dense": [32]}},
                 "train": {"batch_size": 512, "epochs": 1, **FINITE}}

# the peak of the resident memory sampled while the run trains, minus the resident memory just before it (a
# maxrss difference would hide the run behind a higher peak of the warm-up, e.g. a numba compile)
_MEASURE_MEMORY = """
import json, os, sys, threading
os.environ["OMP_NUM_THREADS"] = "1"
import torch
torch.set_num_threads(1)
from nnlib.config import RunConfig
from nnlib.data.bundle import load_data
from nnlib.jobs.watchdog import process_usage
from nnlib.train.trainer import Trainer
Trainer(RunConfig().replace(train={"epochs": 1})).run()  # what a worker's warm-up loads
rss = lambda: process_usage(os.getpid()).rss_mb
base, peak, done = rss(), [0.0], threading.Event()
def sample():
    while not done.wait(0.002):
        peak[0] = max(peak[0], rss())
thread = threading.Thread(target=sample)
thread.start()
cfg = RunConfig.from_dict(json.loads(sys.argv[1]))
Trainer(cfg, load_data(cfg)).run()
done.set()
thread.join()
print(max(peak[0], rss()) - base)
"""


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _train_cpu(cfg: RunConfig) -> float:
    from nnlib.data.bundle import load_data
    from nnlib.train.trainer import Trainer

    trainer = Trainer(cfg, load_data(cfg))
    before = _cpu_seconds()
    trainer.run()
    return _cpu_seconds() - before


def test_cpu_estimate_within_stated_factor_of_measured_runs() -> None:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        _train_cpu(RunConfig().replace(train={"epochs": 2, **FINITE}))  # warm-up: numba compile, imports
        ratios = {}
        for name, config in CPU_CONFIGS.items():
            cfg = RunConfig.from_dict(config)
            assert problems(cfg) == [], name
            ratios[name] = estimate_cost(cfg).cpu_seconds / max(_train_cpu(cfg), 0.01)
    finally:
        torch.set_num_threads(threads)
    off = {k: round(r, 2) for k, r in ratios.items() if not 1 / CPU_FACTOR <= r <= CPU_FACTOR}
    assert not off, f"estimate / measured CPU outside {CPU_FACTOR}x: {off} (all: {ratios})"


def test_memory_estimate_within_stated_factor_of_a_measured_run() -> None:
    cfg = RunConfig.from_dict(MEMORY_CONFIG)
    out = subprocess.run([sys.executable, "-c", _MEASURE_MEMORY, json.dumps(MEMORY_CONFIG)], cwd=ROOT,
                         capture_output=True, text=True, timeout=200, check=True)
    measured_mb = float(out.stdout.strip().splitlines()[-1])
    estimated_mb = estimate_cost(cfg).memory_mb - WORKER_BASE_MB
    assert 1 / MEMORY_FACTOR <= estimated_mb / measured_mb <= MEMORY_FACTOR, (estimated_mb, measured_mb)


def test_runs_that_cost_too_much_are_refused_before_they_start() -> None:
    endless = RunConfig.from_dict({"data": {"n_samples": 100_000}, "model": {"dropout": 0.1},
                                   "train": {"batch_size": 1, "epochs": 10_000, **FINITE}})
    assert estimate_cost(endless).cpu_seconds > MAX_RUN_CPU_SECONDS
    assert any("minutes of CPU time" in p for p in problems(endless))
    wide = [{"out_channels": 128, "pool": "none"}, {"out_channels": 256, "pool": "none"}, {"out_channels": 256}]
    huge_batch = RunConfig.from_dict({"data": {"dataset": "mnist_5k", "n_samples": 0},
                                      "model": {"cnn": {"blocks": wide, "dense": [32], "head": "global_avg"}},
                                      "train": {"batch_size": 4096, "epochs": 1, **FINITE}})
    small_batch = huge_batch.replace(train={"batch_size": 32})
    assert not any("MB of memory" in p for p in problems(small_batch))
    assert any("MB of memory" in p for p in problems(huge_batch))


def test_open_ended_runs_are_bounded_by_the_training_clock() -> None:
    cost = estimate_cost(RunConfig())  # the Playground default trains "until I pause"
    assert cost.open_ended and cost.cpu_seconds <= 600.0 < cost.cpu_budget
    finite = estimate_cost(RunConfig.from_dict({"train": {"epochs": 20, **FINITE}}))
    assert finite.cpu_budget >= 4 * finite.cpu_seconds and finite.memory_ceiling_mb > finite.memory_mb
    # a small run's ceiling stays above what a reused worker may hold before it is recycled (half of 3072 MB)
    assert finite.memory_ceiling_mb >= 2048
