"""The fast path must train the network that was built, layer by layer: its activations come from the torch
modules, and any layer it cannot reproduce sends the run to autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nnlib.config import RunConfig
from nnlib.models.build import build_model
from nnlib.train.fast_mlp import kernel_activations
from nnlib.train.trainer import Trainer


def run_both(**sections: dict) -> tuple[Trainer, Trainer]:
    cfg = RunConfig().replace(**sections)
    assert cfg.validate() == [], cfg.validate()
    fast, slow = Trainer(cfg, fast=True), Trainer(cfg, fast=False)
    fast.run()
    slow.run()
    return fast, slow


def assert_same_weights(a: Trainer, b: Trainer) -> None:
    for (name, pa), pb in zip(a.model.named_parameters(), b.model.parameters(), strict=True):
        np.testing.assert_allclose(pa.detach().numpy(), pb.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_layer_activations_override_the_model_activation_on_the_fast_path() -> None:
    """Issue 8: hidden=8,8 with layer_activations=relu,relu on the default tanh trained tanh in the kernel."""
    fast, slow = run_both(model={"hidden": (8, 8), "layer_activations": ("relu", "relu")}, train={"epochs": 30})
    assert fast.fast is not None and slow.fast is None
    assert_same_weights(fast, slow)
    assert fast.history.records[-1]["val_loss"] == pytest.approx(slow.history.records[-1]["val_loss"], rel=1e-4)


def test_different_activation_per_layer_trains_on_the_fast_path_like_autograd() -> None:
    fast, slow = run_both(model={"hidden": (6, 5, 4), "activation": "tanh",
                                 "layer_activations": ("relu", "", "softsign")},
                          train={"epochs": 20, "optimizer": "adam", "lr": 0.01})
    assert kernel_activations(fast.model) == ["relu", "tanh", "softsign"]
    assert_same_weights(fast, slow)


def test_activations_are_read_from_the_modules_not_the_config() -> None:
    cfg = RunConfig().replace(model={"hidden": (3, 3)})
    model = build_model(cfg, (2,), 2)
    assert kernel_activations(model) == ["tanh", "tanh"]
    model.hidden[1].act = nn.ReLU()
    assert kernel_activations(model) == ["tanh", "relu"]
    for unsupported in (nn.LeakyReLU(0.2), nn.ELU(alpha=0.5), nn.GELU(approximate="tanh"), nn.Softplus(beta=2.0),
                        nn.PReLU(), nn.Hardtanh()):
        model.hidden[1].act = unsupported
        assert kernel_activations(model) is None, unsupported
    model.hidden[1].act = nn.Tanh()
    model.hidden[0].norm = nn.BatchNorm1d(3)
    assert kernel_activations(model) is None
    model.hidden[0].norm = nn.Identity()
    model.hidden[0].drop = nn.Dropout(0.1)
    assert kernel_activations(model) is None


@pytest.mark.parametrize("model", [{"hidden": (4,), "layer_activations": ("prelu",)},
                                   {"hidden": (4, 4), "layer_activations": ("tanh", "maxout")},
                                   {"hidden": (4,), "batch_norm": True}, {"hidden": (4,), "dropout": 0.2}])
def test_layers_the_kernel_cannot_reproduce_go_to_autograd(model: dict) -> None:
    cfg = RunConfig().replace(model=model, train={"epochs": 1})
    assert Trainer(cfg).fast is None
    with pytest.raises(ValueError, match="fast path"):
        Trainer(cfg, fast=True)


def test_fast_path_builds_no_torch_optimizer() -> None:
    """The kernel holds the optimizer state and gets its rate from the schedule: no shadow torch optimizer."""
    cfg = RunConfig().replace(train={"epochs": 3, "schedule": "exponential", "lr_gamma": 0.5, "lr": 0.1})
    t = Trainer(cfg, fast=True)
    t.run()
    assert t.optimizer is None
    assert [r["lr"] for r in t.history.records] == pytest.approx([0.1, 0.05, 0.025])
    assert t.fast.lr == pytest.approx(0.025)
    assert isinstance(Trainer(cfg, fast=False).optimizer, torch.optim.SGD)
