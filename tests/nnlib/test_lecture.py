"""Tests that prove the lecture: each building block does what the course says it does."""

import math

import numpy as np
import pytest
import torch

from nnlib.config import RunConfig
from nnlib.data.bundle import load_data
from nnlib.optimizers import OPTIMIZERS
from nnlib.schedules import SCHEDULES
from nnlib.train.trainer import Trainer, weight_tensors


def train(fast=None, **sections):
    cfg = RunConfig().replace(**sections)
    assert cfg.validate() == [], cfg.validate()
    t = Trainer(cfg, fast=fast)
    t.run()
    return t


def last(t, key):
    return t.history.records[-1][key]


XOR = {"dataset": "xor", "noise": 0.0}


@pytest.mark.parametrize("fast", [True, False])
def test_xor_is_learned_by_one_hidden_tanh_layer(fast):
    t = train(fast=fast, data=XOR, model={"hidden": (8,), "activation": "tanh"}, train={"lr": 0.1, "epochs": 100})
    assert last(t, "val_accuracy") >= 0.95


def test_a_linear_model_cannot_learn_xor():
    t = train(data=XOR, model={"hidden": (8, 8), "activation": "linear"}, train={"lr": 0.1, "epochs": 100})
    assert last(t, "val_accuracy") < 0.75


def test_xor_becomes_linear_with_the_product_feature():
    t = train(data={**XOR, "features": ("x1*x2",)}, model={"hidden": ()}, train={"lr": 0.3, "epochs": 60})
    assert last(t, "val_accuracy") >= 0.95


def _weights(t):
    return torch.cat([w.detach().flatten() for w in weight_tensors(t.model)])


BASE = {"data": {"dataset": "circle", "noise": 20.0},
        "model": {"hidden": (16, 16), "activation": "tanh"}}


def test_l2_lowers_the_weight_norm():
    none = train(**BASE, train={"lr": 0.1, "epochs": 60})
    l2 = train(**BASE, train={"lr": 0.1, "epochs": 60, "l2": 0.01})
    assert _weights(l2).norm() < 0.8 * _weights(none).norm()
    assert last(l2, "train_penalty") > 0 and last(none, "train_penalty") == 0


def test_l1_drives_more_weights_to_zero():
    none = train(**BASE, train={"lr": 0.1, "epochs": 60})
    l1 = train(**BASE, train={"lr": 0.1, "epochs": 60, "l1": 0.003})
    small = lambda t: float((_weights(t).abs() < 1e-2).float().mean())  # noqa: E731
    assert small(l1) > small(none) + 0.15


def test_dropout_is_active_in_train_mode_and_off_in_eval():
    cfg = RunConfig().replace(model={"hidden": (64,), "dropout": 0.5})
    t = Trainer(cfg)
    x = torch.as_tensor(t.data.x_test[:32])
    t.model.train()
    a, b = t.model(x), t.model(x)
    assert not torch.equal(a, b)
    t.model.eval()
    assert torch.equal(t.model(x), t.model(x))
    assert t.fast is None  # dropout needs the autograd path


def test_early_stopping_stops_and_restores_the_best_epoch():
    t = train(data={"dataset": "circle", "noise": 50.0, "n_samples": 120},
              model={"hidden": (64, 64), "activation": "relu", "initializer": "he_normal"},
              train={"optimizer": "adam", "lr": 0.02, "epochs": 400, "patience": 15})
    assert t.status == "early_stopped" and t.epoch < 400
    val = [r["val_loss"] for r in t.history.records]
    best = int(np.argmin(val)) + 1
    assert t.best_epoch == best and t.epoch == best + 15
    assert f"epoch {best}" in t.stop_reason
    assert math.isclose(t.evaluate("val")["val_loss"], val[best - 1], rel_tol=1e-4)


def test_absurd_learning_rate_is_stopped_as_divergent():
    t = train(data={"dataset": "plane"}, model={"hidden": (8, 8), "activation": "relu"},
              train={"lr": 10.0, "epochs": 50})
    assert t.status == "diverged" and t.epoch < 50
    assert "learning rate" in t.stop_reason and "too large" in t.stop_reason


def test_regression_reports_rmse_and_r2():
    t = train(data={"dataset": "plane", "noise": 0.0}, model={"hidden": (4,)}, train={"lr": 0.03, "epochs": 40})
    assert last(t, "val_r2") > 0.95 and last(t, "val_rmse") < 0.2


def test_softmax_cross_entropy_on_multiclass():
    t = train(data={"dataset": "blobs", "n_classes": 4}, model={"hidden": (8,)},
              train={"optimizer": "adam", "lr": 0.02, "epochs": 40})
    assert t.loss_name == "cross_entropy" and last(t, "val_accuracy") > 0.9


@pytest.mark.parametrize("fast", [True, False])
def test_seeded_runs_are_bit_identical(fast):
    kw = dict(data={"dataset": "spiral", "noise": 10.0}, model={"hidden": (8, 8)},
              train={"epochs": 15, "optimizer": "adam", "lr": 0.01, "seed": 7})
    a, b = train(fast=fast, **kw), train(fast=fast, **kw)
    strip = lambda t: [{k: v for k, v in r.items() if k != "wall_time"} for r in t.history.records]  # noqa: E731
    assert strip(a) == strip(b)
    c = train(fast=fast, **{**kw, "train": {**kw["train"], "seed": 8}})
    assert strip(a) != strip(c)


def test_fast_and_autograd_paths_agree():
    kw = dict(data={"dataset": "circle"}, model={"hidden": (4, 2)}, train={"epochs": 20, "l2": 0.001})
    a, b = train(fast=True, **kw), train(fast=False, **kw)
    for wa, wb in zip(weight_tensors(a.model), weight_tensors(b.model), strict=True):
        torch.testing.assert_close(wa, wb, rtol=1e-3, atol=1e-4)
    assert abs(last(a, "val_loss") - last(b, "val_loss")) < 1e-4


def test_history_has_every_documented_column():
    t = train(data={"dataset": "circle"}, train={"epochs": 3})
    rec = t.history.records[-1]
    for key in ("epoch", "train_loss", "train_penalty", "train_accuracy", "val_loss", "val_accuracy", "test_loss",
                "test_accuracy", "lr", "wall_time", "weight_norms", "grad_norms"):
        assert key in rec, key
    assert len(rec["weight_norms"]) == 3 and len(rec["grad_norms"]) == 3
    times = [r["wall_time"] for r in t.history.records]
    assert times == sorted(times) and times[0] > 0


def test_run_is_steppable_stoppable_and_resumable():
    cfg = RunConfig().replace(train={"epochs": 10})
    t = Trainer(cfg)
    t.train_epoch()
    assert t.epoch == 1
    t.run(epochs=3)
    assert t.epoch == 4 and t.status == "paused"
    gate_calls = []

    def gate():
        gate_calls.append(1)
        return len(gate_calls) <= 2

    t.run(gate=gate)
    assert t.epoch == 6 and t.status == "stopped"
    t.run()
    assert t.epoch == 10 and t.status == "finished"


# every activation, initializer and loss against its registry formula or a problem it must fit:
# tests/nnlib/test_registry_oracles.py


def test_zero_init_never_breaks_symmetry():
    t = train(model={"hidden": (4,), "initializer": "zeros"}, train={"epochs": 5})
    w = t.model.hidden[0].linear.weight
    assert torch.allclose(w, w[:1].expand_as(w))


@pytest.mark.parametrize("name", OPTIMIZERS.names())
def test_every_optimizer_lowers_the_loss(name):
    t = train(data={"dataset": "gauss"}, model={"hidden": (4,)}, train={"optimizer": name, "lr": 0.01,
                                                                          "epochs": 8})
    losses = [r["train_loss"] for r in t.history.records]
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", SCHEDULES.names())
def test_every_schedule_runs_and_changes_lr_as_described(name):
    t = train(train={"schedule": name, "epochs": 12, "lr": 0.1, "lr_step": 5, "lr_gamma": 0.5, "lr_patience": 1})
    lrs = [r["lr"] for r in t.history.records]
    if name == "constant":
        assert set(lrs) == {0.1}
    elif name == "step":
        assert lrs[3] == 0.1 and math.isclose(lrs[5], 0.05)
    elif name in ("exponential", "cosine"):
        assert all(a > b for a, b in zip(lrs, lrs[1:], strict=False))
    else:  # the validation loss improves every epoch here, so the plateau rule never fires
        assert name == "plateau" and lrs == plateau_rule([r["val_loss"] for r in t.history.records], 0.1, 0.5, 1)
        assert lrs == [0.1] * 12


def plateau_rule(val_losses, lr, gamma, patience, threshold=1e-4):
    """The learning rate of each epoch under 'reduce on plateau', written out independently (torch's documented
    rule): an epoch improves when its validation loss is below best * (1 - threshold); after more than `patience`
    epochs in a row without improvement the rate is multiplied by gamma, from the next epoch on."""
    best, bad, lrs = math.inf, 0, []
    for v in val_losses:
        lrs.append(lr)
        if v < best * (1 - threshold):
            best, bad = v, 0
        else:
            bad += 1
        if bad > patience:
            lr, bad = lr * gamma, 0
    return lrs


def test_plateau_decays_exactly_when_the_validation_loss_stalls():
    t = train(data={"dataset": "spiral", "noise": 30.0},
              train={"schedule": "plateau", "epochs": 40, "lr": 0.3, "lr_gamma": 0.5, "lr_patience": 2})
    lrs = [r["lr"] for r in t.history.records]
    expected = plateau_rule([r["val_loss"] for r in t.history.records], 0.3, 0.5, 2)
    assert lrs == pytest.approx(expected, rel=1e-12)
    decays = [i + 1 for i in range(1, len(lrs)) if lrs[i] < lrs[i - 1]]
    assert len(decays) >= 3 and all(lrs[e - 1] == pytest.approx(lrs[e - 2] * 0.5) for e in decays)


def test_batch_norm_and_per_layer_activations_build():
    t = train(model={"hidden": (8, 8), "batch_norm": True, "layer_activations": ("relu", "prelu")},
              train={"epochs": 2})
    assert t.fast is None and math.isfinite(last(t, "val_loss"))


def test_data_split_is_standardized_with_training_statistics():
    data = load_data(RunConfig())
    assert abs(data.x_train.mean()) < 1e-5
    assert len(data.x_train) == 250 and len(data.x_val) == 125 and len(data.x_test) == 125
