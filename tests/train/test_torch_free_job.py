"""A worker's training job of a plain fast-path MLP runs without torch (`nnlib.train.job.make_trainer` picks the
torch-free FastRun), and shows exactly what the torch Trainer's job shows: the untrained and the final snapshot
(history, boundary grid, neuron thumbnails, weights, status) and the result's weights.

This module imports no torch at its top: the fresh-process test imports `job_views` from it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.jobs.control import JobControl
from nnlib.train import job

ROOT = Path(__file__).resolve().parents[2]


def plain(value: Any) -> Any:
    """A snapshot or result as exact JSON-able data: arrays keep their dtype and shape, floats their bits (json
    writes the shortest repr that reads back the same float); the clock readings (`elapsed`, `wall_time`) are left
    out."""
    if isinstance(value, np.ndarray):
        return {"dtype": str(value.dtype), "shape": list(value.shape), "values": value.tolist()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k not in ("elapsed", "wall_time")}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


class RecordingControl(JobControl):
    """The worker's JobControl without a pipe, keeping every snapshot it sends as it was when sent."""

    def __init__(self) -> None:
        super().__init__()
        self.views: list[Any] = []

    def flush(self) -> None:
        sent = self.sent
        super().flush()
        if self.sent > sent:
            self.views.append(json.loads(json.dumps(plain(self.latest))))


def job_views(config: dict[str, Any]) -> dict[str, Any]:
    """Run the worker's job function on `config`; what the page receives: the snapshots sent (with a huge interval:
    the untrained view and the final state) and the result."""
    ctl = RecordingControl()
    result = job.run_training({"config": config, "interval": 1e9}, ctl)
    return {"snapshots": ctl.views, "result": json.loads(json.dumps(plain(result)))}


def torch_job_views(config: dict[str, Any]) -> dict[str, Any]:
    """`job_views` with the torch Trainer forced (what every job ran before FastRun)."""
    from nnlib.train.trainer import Trainer

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(job, "make_trainer", lambda cfg, data, callbacks: Trainer(cfg, data, callbacks=callbacks))
        return job_views(config)


BASE = RunConfig().replace(train={"speed": "fast", "until_paused": False})  # unpaced, to its epochs
CONFIGS = {
    "default": BASE.replace(train={"epochs": 25}),
    "regression": BASE.replace(data={"dataset": "multi_gauss"}, train={"epochs": 20}),
    "softmax, adam, early stop": BASE.replace(
        data={"dataset": "blobs", "noise": 30.0},
        train={"optimizer": "adam", "lr": 0.05, "epochs": 60, "patience": 3}),
    "tanh, momentum, l2": BASE.replace(model={"hidden": [6, 3], "activation": "tanh"},
                                              train={"optimizer": "momentum", "l2": 0.001, "epochs": 15}),
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_a_fast_path_job_shows_what_the_torch_trainers_job_shows(name: str) -> None:
    config = CONFIGS[name].to_dict()
    assert CONFIGS[name].checked() is not None
    fast, torch_path = job_views(config), torch_job_views(config)
    assert [s["fast_path"] for s in fast["snapshots"]] == [True, True]
    assert fast["snapshots"][-1]["final"] and fast["snapshots"][-1]["epoch"] > 0
    assert fast == torch_path


def test_a_fresh_worker_trains_a_plain_mlp_job_without_importing_torch() -> None:
    """A fresh process, as a spawned worker without preloaded torch runs its first job: torch stays out of
    sys.modules, and what the page gets equals the torch Trainer's job of the same config, run here."""
    config = CONFIGS["default"].to_dict()
    code = ("import json, sys\nfrom tests.train.test_torch_free_job import job_views\n"
            f"views = job_views({config!r})\nprint(json.dumps(['torch' in sys.modules, views]))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    torch_loaded, views = json.loads(done.stdout.splitlines()[-1])
    assert torch_loaded is False, done.stderr
    assert views == torch_job_views(config)


def test_a_job_the_kernel_cannot_train_keeps_the_torch_trainer() -> None:
    from nnlib.train.trainer import Trainer

    cfg = RunConfig().replace(model={"dropout": 0.2}, train={"epochs": 2})
    from nnlib.data.bundle import load_data

    trainer = job.make_trainer(cfg, load_data(cfg), [])
    assert type(trainer) is Trainer
