"""Device choice and safetensors checkpoints.

What runs where: `resolve_device` is checked against what torch reports on this machine, and its 'auto -> cuda'
decision by telling it a GPU exists (that test only checks the decision, it moves nothing); every tensor a run
touches is checked to live on the run's device; a real CUDA run, compared with the same run on the CPU, is skipped
with its reason on machines where torch sees no GPU.
"""

import pytest
import torch

from nnlib.config import RunConfig
from nnlib.models.presets import preset_spec
from nnlib.train.callbacks import Checkpoint
from nnlib.train.trainer import Trainer, resolve_device

NO_GPU = "torch sees no CUDA GPU on this machine (torch.cuda.is_available() is False): the CUDA run cannot happen"


def test_resolve_device_follows_what_torch_reports_here():
    has_gpu = torch.cuda.is_available()
    assert resolve_device("auto").type == ("cuda" if has_gpu else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")
    if has_gpu:
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="no CUDA GPU is available"):
            resolve_device("cuda")


def test_auto_decides_for_cuda_only_when_torch_reports_a_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto").type == "cuda" and resolve_device("cpu").type == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto").type == "cpu"


def image_cfg(device: str, epochs: int = 2) -> RunConfig:
    return RunConfig().replace(
        data={"dataset": "digits", "train_frac": 0.7, "val_frac": 0.15, "augment": ("shift", "noise")},
        model={"cnn": preset_spec("tiny", (1, 8, 8)), "activation": "relu", "initializer": "he_uniform"},
        train={"optimizer": "adam", "lr": 0.01, "epochs": epochs, "batch_size": 64, "device": device})


def assert_run_lives_on(t: Trainer, device: torch.device) -> None:
    assert t.device == device
    assert all(p.device.type == device.type for p in t.model.parameters())
    assert all(b.device.type == device.type for b in t.model.buffers())
    for name, split in t.splits.items():
        assert split is not None, name
        assert split[0].device.type == device.type and split[1].device.type == device.type, name
    assert t.aug_generator.device.type == device.type  # augmentation draws on the device, no host round trip
    assert t.predict(t.data.x_test[:3]).device.type == device.type


def test_every_tensor_of_a_cpu_run_lives_on_the_cpu():
    t = Trainer(image_cfg("cpu"))
    t.run()
    assert_run_lives_on(t, torch.device("cpu"))
    assert t.status == "finished" and 0 <= t.history.records[-1]["test_accuracy"] <= 1


def test_fast_path_is_cpu_only_and_autograd_path_is_device_generic():
    t = Trainer(RunConfig().replace(train={"epochs": 1, "device": "cpu"}))
    assert t.fast is not None
    t = Trainer(RunConfig().replace(model={"dropout": 0.1}, train={"epochs": 1}))
    assert t.fast is None and t.splits["train"][0].device == t.device


@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_GPU)
def test_a_real_cuda_run_trains_on_the_gpu_and_matches_the_cpu_run():
    gpu = Trainer(image_cfg("cuda", epochs=3))
    assert gpu.fast is None
    gpu.run()
    assert_run_lives_on(gpu, torch.device("cuda"))
    cpu = Trainer(RunConfig().replace(model={"hidden": (8,)}, train={"epochs": 5, "device": "cpu"}), fast=False)
    cuda = Trainer(RunConfig().replace(model={"hidden": (8,)}, train={"epochs": 5, "device": "cuda"}))
    cpu.run()
    cuda.run()
    assert cuda.fast is None and next(cuda.model.parameters()).is_cuda
    for a, b in zip(cpu.history.records, cuda.history.records, strict=True):  # same seed, same batches
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-3)


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
