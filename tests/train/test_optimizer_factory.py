"""One optimizer table: `configure_optimizer` and the fast kernel read the same hyper-parameters, each TrainConfig
field an optimizer declares reaches it, and AdamW decays weight matrices only (like L1/L2), never biases."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from nnlib.config import RunConfig, TrainConfig
from nnlib.models.build import build_model
from nnlib.optimizers import OPTIMIZERS, configure_optimizer, optimizer_settings
from nnlib.train.trainer import Trainer, weight_tensors

HYPER_FIELDS = ("momentum", "beta1", "beta2", "weight_decay")
CHANGED = {"momentum": 0.5, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.2}


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_declared_field_reaches_the_optimizer_and_no_other(name: str) -> None:
    base = TrainConfig(optimizer=name)
    uses = OPTIMIZERS[name].params.get("uses", ())
    for f in HYPER_FIELDS:
        changed = optimizer_settings(dataclasses.replace(base, **{f: CHANGED[f]}))
        assert (changed != optimizer_settings(base)) == (f in uses), f


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_configure_optimizer_builds_the_registered_torch_class(name: str) -> None:
    t = TrainConfig(optimizer=name, lr=0.02, **CHANGED)
    model = build_model(RunConfig().replace(model={"hidden": (3,)}), (2,), 2)
    opt = configure_optimizer(model, t)
    cls, hyper = optimizer_settings(t)
    assert type(opt) is getattr(torch.optim, cls)
    assert sum(len(g["params"]) for g in opt.param_groups) == len(list(model.parameters()))
    for key, value in hyper.items():
        if key != "weight_decay":
            assert all(g[key] == value for g in opt.param_groups), key


def test_adamw_decays_weights_but_not_biases() -> None:
    """With zero gradients an AdamW step is the decay alone: weights shrink by (1 - lr wd), biases stay."""
    t = TrainConfig(optimizer="adamw", lr=0.1, weight_decay=0.5)
    model = build_model(RunConfig().replace(model={"hidden": (4, 3)}), (2,), 2)
    with torch.no_grad():
        for p in model.parameters():
            p.uniform_(-1.0, 1.0)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = configure_optimizer(model, t)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    opt.step()
    weight_ids = {id(w) for w in weight_tensors(model)}
    for n, p in model.named_parameters():
        expected = before[n] * (1 - 0.1 * 0.5) if id(p) in weight_ids else before[n]
        assert torch.allclose(p.detach(), expected), n


@pytest.mark.parametrize("fast", [True, False])
def test_adamw_leaves_biases_undecayed_in_the_trainer(fast: bool) -> None:
    """One full-batch step from the same start: AdamW's bias update must equal Adam's (same gradient, no decay),
    while its weights differ from Adam's by the decay."""
    cfg = RunConfig().replace(train={"optimizer": "adamw", "weight_decay": 1.0, "lr": 0.05, "epochs": 1,
                                     "batch_size": 1000}, data={"n_samples": 100})
    adam = RunConfig().replace(train={**dataclasses.asdict(cfg.train), "optimizer": "adam"},
                               data={"n_samples": 100})
    a, b = Trainer(cfg, fast=fast), Trainer(adam, fast=fast)
    for t in (a, b):  # biases start at 0, where a decay is invisible: give both runs the same non-zero biases
        with torch.no_grad():
            for i, lin in enumerate(t.model.linears()):
                lin.bias.copy_(torch.linspace(-1.0, 1.0, len(lin.bias)) + i)
    a.run()
    b.run()
    weight_ids = {id(w) for w in weight_tensors(a.model)}
    for (n, pa), pb in zip(a.model.named_parameters(), b.model.parameters(), strict=True):
        if id(pa) in weight_ids:
            assert not torch.equal(pa, pb), n  # decayed by 5% on top of the Adam step
        else:
            assert torch.equal(pa, pb), n  # one full-batch step: a bias's update is the same Adam step
