"""Device choice (the CUDA path, exercised on CPU) and safetensors checkpoints."""

import pytest
import torch

from nnlib.config import RunConfig
from nnlib.train.callbacks import Checkpoint
from nnlib.train.trainer import Trainer, resolve_device


def test_auto_uses_cuda_only_when_torch_sees_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(RuntimeError, match="no CUDA GPU is available"):
        resolve_device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda"
    assert resolve_device("cpu").type == "cpu"


def test_fast_path_is_cpu_only_and_autograd_path_is_device_generic():
    t = Trainer(RunConfig().replace(train={"epochs": 1, "device": "cpu"}))
    assert t.fast is not None
    t = Trainer(RunConfig().replace(model={"dropout": 0.1}, train={"epochs": 1}))
    assert t.fast is None and t.splits["train"][0].device == t.device


def test_checkpoint_writes_safetensors_with_the_config(tmp_path):
    cfg = RunConfig().replace(train={"epochs": 4})
    t = Trainer(cfg, callbacks=[Checkpoint(str(tmp_path), every=2)])
    t.run()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["epoch_00002.safetensors", "epoch_00004.safetensors", "model.safetensors"]
    from safetensors import safe_open

    with safe_open(str(tmp_path / "model.safetensors"), "pt") as f:
        assert RunConfig.from_json(f.metadata()["config"]) == cfg
        restored = {k: f.get_tensor(k) for k in f.keys()}
    for k, v in t.model.state_dict().items():
        assert torch.equal(restored[k], v)
