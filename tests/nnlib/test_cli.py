"""`python -m nnlib`: train learns XOR and writes its files; validate and list speak plainly."""

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def nnlib(*args, cwd=None):
    env = {**os.environ, "PYTHONPATH": ROOT, "NNLIB_ALLOW_DOWNLOAD": "0"}
    return subprocess.run([sys.executable, "-m", "nnlib", *args], capture_output=True, text=True, cwd=cwd or ROOT,
                          env=env, timeout=120)


@pytest.mark.slow
def test_train_learns_xor_and_writes_history_and_weights(tmp_path):
    out = tmp_path / "run"
    r = nnlib("train", "--config", os.path.join(ROOT, "examples/xor.json"), "--out", str(out), "--quiet")
    assert r.returncode == 0, r.stderr
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 100
    for key in ("epoch", "train_loss", "val_loss", "val_accuracy", "lr", "wall_time"):
        assert key in history[-1]
    assert history[-1]["val_accuracy"] >= 0.95
    assert (out / "history.csv").read_text().startswith("epoch,")
    from safetensors.torch import load_file

    state = load_file(out / "model.safetensors")
    assert any(k.endswith("weight") for k in state)


def test_validate_prints_every_problem_and_fails(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"model": {"hidden": [4, 0]}, "train": {"lr": 50, "optimizer": "newton"}}))
    r = nnlib("validate", "--config", str(bad))
    assert r.returncode == 1
    assert "hidden layer 2 has 0 neurons" in r.stdout and "train.lr is 50" in r.stdout and "'newton'" in r.stdout
    assert nnlib("validate", "--config", os.path.join(ROOT, "examples/spiral.json")).returncode == 0


def test_every_example_config_is_valid():
    from nnlib.config import RunConfig

    for name in os.listdir(os.path.join(ROOT, "examples")):
        with open(os.path.join(ROOT, "examples", name)) as f:
            assert RunConfig.from_json(f.read()).validate() == [], name


def test_list_json_has_every_registry_with_params():
    r = nnlib("list", "--json")
    regs = json.loads(r.stdout)
    for kind in ("datasets", "activations", "initializers", "losses", "optimizers", "schedules", "regularizers"):
        assert regs[kind], kind
    names = {e["name"] for e in regs["activations"]}
    assert {"relu", "tanh", "maxout", "prelu", "gelu", "silu"} <= names
    assert all(e["description"] for e in regs["activations"])
    assert next(e for e in regs["datasets"] if e["name"] == "digits")["params"]["classes"] == 10


def test_offline_download_gives_the_fetch_command(tmp_path):
    r = nnlib("download", "mnist", "--root", str(tmp_path))
    assert r.returncode == 3
    assert "python -m nnlib download mnist" in r.stderr
