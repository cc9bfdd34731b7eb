"""Every initializer, activation and loss of the registries checked against an independent oracle: the formula its
registry entry shows the student (std of a wide layer's initial weights, the activation's values computed by hand),
or a problem the loss is meant for that it must actually fit."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nnlib.activations import ACTIVATIONS
from nnlib.config import RunConfig
from nnlib.initializers import INITIALIZERS
from nnlib.losses import LOSSES
from nnlib.models.build import build_model
from nnlib.train.trainer import Trainer

FAN_IN, FAN_OUT = 256, 128  # a Linear 256 -> 128 (32,768 samples); unequal fans tell fan_in from fan_out apart


def wide_layer_weights(initializer: str) -> tuple[np.ndarray, np.ndarray]:
    """The middle Linear (256 -> 128) of a model built from a config, as the Trainer builds it."""
    torch.manual_seed(0)
    cfg = RunConfig().replace(model={"hidden": (FAN_IN, FAN_OUT), "initializer": initializer})
    model = build_model(cfg, (2,), 2)
    lin = model.hidden[1].linear
    return lin.weight.detach().numpy().astype(np.float64), lin.bias.detach().numpy()


# (std the registry's formula implies, largest |w| it allows or None): w ~ U(-a, a) has std a / sqrt(3)
EXACT = {"zeros": 0.0, "constant": 0.1}  # every weight equal to this
STD_ORACLE = {
    "small_normal": (0.01, None),
    "large_normal": (1.0, None),
    "uniform": (0.5 / math.sqrt(3), 0.5),
    "xavier_uniform": (math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3), math.sqrt(6 / (FAN_IN + FAN_OUT))),
    "xavier_normal": (math.sqrt(2 / (FAN_IN + FAN_OUT)), None),
    "he_uniform": (math.sqrt(6 / FAN_IN) / math.sqrt(3), math.sqrt(6 / FAN_IN)),
    "he_normal": (math.sqrt(2 / FAN_IN), None),
    "lecun_normal": (math.sqrt(1 / FAN_IN), None),
    "orthogonal": (math.sqrt(1 / FAN_IN), None),  # rows of unit norm: each weight has variance 1/fan_in
}


def test_every_initializer_has_an_oracle():
    assert set(STD_ORACLE) | set(EXACT) == set(INITIALIZERS.names())


@pytest.mark.parametrize("name", INITIALIZERS.names())
def test_initial_weights_follow_the_registry_formula(name):
    w, b = wide_layer_weights(name)
    assert not b.any()  # biases start at 0
    if name in EXACT:
        assert np.all(w == np.float32(EXACT[name]))
        return
    std, bound = STD_ORACLE[name]
    # the sample std of 32,768 draws has a standard error of 0.4% (1 / sqrt(2n)); 3% is > 7 standard errors
    assert w.std() == pytest.approx(std, rel=0.03, abs=1e-12), f"{name}: {INITIALIZERS[name].formula}"
    assert abs(w.mean()) < 0.02 * std + 1e-12
    if bound is not None:
        assert np.abs(w).max() <= bound + 1e-6 and np.abs(w).max() > 0.99 * bound
    if name == "orthogonal":  # the registry's W^T W = I; with fewer rows than columns the rows are orthonormal
        np.testing.assert_allclose(w @ w.T, np.eye(FAN_OUT), atol=1e-4)


# ---------------------------------------------------------------- activations

def _erf_phi(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


# the formula each registry entry shows, written out independently in numpy
FORMULAS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(0, x),
    "leaky_relu": lambda x: np.maximum(0.01 * x, x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507 * np.where(x > 0, x, 1.6733 * np.expm1(x)),
    "gelu": lambda x: x * _erf_phi(x),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "tanh": lambda x: (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x)),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
}
HAND_CHECKED = {"prelu", "maxout"}  # learned parameters or several inputs per neuron: tested by hand below


def hidden_layer(activation: str, width: int, n_in: int = 2):
    """The first hidden layer of a model built from a config with this activation."""
    cfg = RunConfig().replace(model={"hidden": (width,), "activation": activation})
    return build_model(cfg, (n_in,), 2).hidden[0]


def test_every_activation_has_an_oracle():
    assert set(FORMULAS) | HAND_CHECKED == set(ACTIVATIONS.names())


@pytest.mark.parametrize("name", sorted(FORMULAS))
def test_activation_computes_its_registry_formula(name):
    x = np.linspace(-6, 6, 241, dtype=np.float64)
    act = hidden_layer(name, 4).act
    got = act(torch.as_tensor(x, dtype=torch.float32)[:, None].expand(-1, 4).contiguous()).detach().numpy()
    want = FORMULAS[name](x)
    for col in got.T:  # every neuron of the layer applies the same function
        np.testing.assert_allclose(col, want, rtol=2e-4, atol=2e-6, err_msg=ACTIVATIONS[name].formula)


def test_prelu_slope_is_per_neuron_starts_at_a_quarter_and_is_learned():
    layer = hidden_layer("prelu", 3)
    slopes = layer.act.weight
    assert slopes.shape == (3,) and torch.all(slopes == 0.25)
    with torch.no_grad():
        slopes.copy_(torch.tensor([0.25, 0.5, -1.0]))
    x = torch.tensor([[-2.0, -2.0, -2.0], [3.0, 3.0, 3.0], [-0.4, 0.0, -1.0]])
    expected = torch.tensor([[-0.5, -1.0, 2.0],  # a x for x < 0, slope of each neuron
                             [3.0, 3.0, 3.0],    # x for x > 0
                             [-0.1, 0.0, 1.0]])
    assert torch.equal(layer.act(x), expected)
    t = Trainer(RunConfig().replace(model={"hidden": (4,), "activation": "prelu"}, train={"epochs": 3}))
    before = t.model.hidden[0].act.weight.detach().clone()
    t.run()
    assert not torch.equal(t.model.hidden[0].act.weight, before)  # a is a parameter the optimizer moves


def test_maxout_keeps_the_larger_of_each_neurons_two_linear_pieces():
    layer = hidden_layer("maxout", 2)  # 2 neurons: a Linear 2 -> 4, pieces (0, 1) and (2, 3)
    assert tuple(layer.linear.weight.shape) == (4, 2)
    with torch.no_grad():
        layer.linear.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, -1.0]]))
        layer.linear.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 0.5]))
    x = torch.tensor([[2.0, -3.0], [-1.0, 4.0], [0.25, 0.25]])
    # neuron 1: max(x1, x2); neuron 2: max(x1 + x2, 0.5 - x1 - x2)
    expected = torch.tensor([[2.0, 1.5], [4.0, 3.0], [0.25, 0.5]])
    assert torch.equal(layer(x), expected)


# ---------------------------------------------------------------- losses

DATASET = {"regression": {"dataset": "plane", "noise": 0.0}, "binary": {"dataset": "circle", "noise": 0.0},
           "multiclass": {"dataset": "blobs", "n_classes": 4}}
FITTED = {"regression": ("val_r2", 0.95), "binary": ("val_accuracy", 0.95), "multiclass": ("val_accuracy", 0.9)}
CASES = [(name, problem) for name in LOSSES.names() for problem in LOSSES[name].params["problems"]]


@pytest.mark.parametrize(("name", "problem"), CASES)
def test_every_loss_fits_a_problem_it_is_meant_for(name, problem):
    cfg = RunConfig().replace(data=DATASET[problem], model={"hidden": (8,)},
                              train={"loss": name, "optimizer": "adam", "lr": 0.03, "epochs": 40})
    assert cfg.validate() == [] and cfg.problem == problem, cfg.validate()
    t = Trainer(cfg)
    t.run()
    metric, threshold = FITTED[problem]
    first, last = t.history.records[0], t.history.records[-1]
    assert last[metric] >= threshold, (name, problem, last[metric])
    assert last["val_loss"] < 0.5 * first["val_loss"], (name, problem, first["val_loss"], last["val_loss"])
