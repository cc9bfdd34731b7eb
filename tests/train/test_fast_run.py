"""A plain MLP's run without torch (nnlib.train.fast_run) is the torch Trainer's run, bit for bit: same history
(values and key order), same weights, same files from the CLI -- and the CLI then never imports torch.

Needs `nnlib.models.np_init` (torch's initial weights reproduced in numpy, bitwise-tested in tests/models)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from nnlib.cli import main as cli_main
from nnlib.config import RunConfig
from nnlib.data.bundle import load_data
from nnlib.initializers import INITIALIZERS
from nnlib.train import fast_mlp, fast_run
from nnlib.train.fast_run import FastRun, torch_free_layers
from nnlib.train.trainer import Trainer
from tests.train.test_fast_vs_autograd_property import run_configs
from tests.train.test_fused_epoch import assert_same_runs

ROOT = Path(__file__).resolve().parents[2]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=run_configs(), initializer=st.sampled_from(INITIALIZERS.names()))
def test_fast_run_is_the_torch_trainers_run(cfg: RunConfig, initializer: str) -> None:
    cfg = cfg.replace(model={"initializer": initializer})
    assume(cfg.validate() == [])
    data = load_data(cfg)
    layers = torch_free_layers(cfg, data)
    trainer = Trainer(cfg, data)
    event("torch-free" if layers is not None else "torch only")
    if layers is None:
        return
    assert trainer.fast is not None, "torch_free_layers accepted a run the Trainer trains with autograd"
    assert fast_mlp.kernel_activations(trainer.model) == fast_run.hidden_activations(cfg)
    for (w, _), (name, p) in zip(layers, [(n, p) for n, p in trainer.model.named_parameters()][0::2]):
        np.testing.assert_array_equal(w, p.detach().numpy(), err_msg=name)
    run = FastRun(cfg, data, layers)
    run.run()
    trainer.run()
    assert_same_runs(run, trainer)  # type: ignore[arg-type]


def test_the_torch_trainer_keeps_what_the_kernel_cannot_train() -> None:
    data = load_data(RunConfig())
    for change in ({"model": {"dropout": 0.2}}, {"model": {"norm": "batch"}}, {"model": {"activation": "prelu"}},
                   {"train": {"device": "cuda"}}, {"model": {"initializer": "orthogonal"}}):
        assert torch_free_layers(RunConfig().replace(**change), data) is None, change


def test_early_stopping_restores_the_best_weights_in_place() -> None:
    cfg = RunConfig().replace(data={"dataset": "spiral", "noise": 30.0},
                              train={"optimizer": "adam", "lr": 0.05, "epochs": 60, "patience": 3})
    data = load_data(cfg)
    run, trainer = FastRun(cfg, data, torch_free_layers(cfg, data)), Trainer(cfg, data)  # type: ignore[arg-type]
    run.run()
    trainer.run()
    assert run.status == "early_stopped" and run.best_epoch == trainer.best_epoch
    assert_same_runs(run, trainer)  # type: ignore[arg-type]
    assert run.evaluate_all() == trainer.evaluate_all()  # the kernel reads the restored arrays


def test_cli_writes_the_same_files_without_importing_torch(tmp_path: Path) -> None:
    """The torch-free CLI run in a fresh process, against the torch Trainer's run of the same config here."""
    fast_out, torch_out = tmp_path / "fast", tmp_path / "torch"
    argv = ["train", "--config", "examples/xor.json", "--epochs", "30", "--quiet", "--out", str(fast_out)]
    code = f"import sys\nfrom nnlib.cli import main\ncode = main({argv!r})\nprint('torch' in sys.modules, code)\n"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.stdout.split()[-2:] == ["False", "0"], done.stdout + done.stderr
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fast_run, "torch_free_layers", lambda *args: None)
        assert cli_main(["train", "--config", str(ROOT / "examples/xor.json"), "--epochs", "30", "--quiet",
                         "--out", str(torch_out)]) == 0
    for name in ("model.safetensors", "config.json"):
        assert (fast_out / name).read_bytes() == (torch_out / name).read_bytes(), name
    histories = [json.loads((out / "history.json").read_text()) for out in (fast_out, torch_out)]
    for records in histories:
        for record in records:
            record.pop("wall_time")
    assert histories[0] == histories[1] and len(histories[0]) == 30
    csvs = [(out / "history.csv").read_text().splitlines() for out in (fast_out, torch_out)]
    wall = csvs[0][0].split(",").index("wall_time")
    assert [r.split(",")[:wall] + r.split(",")[wall + 1:] for r in csvs[0]] == \
        [r.split(",")[:wall] + r.split(",")[wall + 1:] for r in csvs[1]]
