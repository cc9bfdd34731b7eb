"""Activation curves against hand formulas, saturation intervals against their closed forms, and dead ReLU units
counted on a hand-built net whose dead units are known."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from nnlib.activations import ACTIVATIONS
from nnlib.labs.activation_lab import activation_curve, all_activation_curves, dead_relu_fraction

STEP = 0.01  # grid spacing of activation_curve(-6, 6, 1201)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


HAND = {
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.01 * x), lambda x: np.where(x > 0, 1.0, 0.01)),
}


@pytest.mark.parametrize("name", list(HAND))
def test_values_and_derivatives_match_hand_formulas(name):
    curve = activation_curve(name, -6, 6, 1201)
    f, df = HAND[name]
    away_from_kink = np.abs(curve.x) > 1e-9
    np.testing.assert_allclose(curve.value, f(curve.x), atol=1e-12)
    np.testing.assert_allclose(curve.derivative[away_from_kink], df(curve.x)[away_from_kink], atol=1e-12)


def test_saturation_intervals_match_closed_forms():
    # tanh: 1 - tanh^2 < 0.05  <=>  |x| > atanh(sqrt(0.95))
    edge = math.atanh(math.sqrt(0.95))
    (left, right) = activation_curve("tanh").saturated
    assert left[0] == -6 and right[1] == 6
    assert left[1] == pytest.approx(-edge, abs=STEP) and right[0] == pytest.approx(edge, abs=STEP)
    # sigmoid: s (1 - s) < 0.05 * 0.25  <=>  s < (1 - sqrt(0.95)) / 2
    s = (1 - math.sqrt(0.95)) / 2
    edge = math.log(1 / s - 1)
    (left, right) = activation_curve("sigmoid").saturated
    assert left[1] == pytest.approx(-edge, abs=STEP) and right[0] == pytest.approx(edge, abs=STEP)
    # relu: flat for every x < 0, never for x > 0; a linear unit never saturates
    ((start, end),) = activation_curve("relu").saturated
    assert start == -6 and end == pytest.approx(0, abs=STEP)
    assert f"{end:.2f}" == "0.00"  # the page read "x in [-6.00, -0.00]": a grid point at -1.2e-16
    assert activation_curve("linear").saturated == []


def test_every_registry_activation_has_a_finite_curve():
    curves = all_activation_curves(-4, 4, 201)
    assert [c.name for c in curves] == list(ACTIVATIONS)
    for c in curves:
        assert c.value.shape == c.derivative.shape == (201,)
        assert np.isfinite(c.value).all() and np.isfinite(c.derivative).all(), c.name
        assert c.formula == ACTIVATIONS[c.name].formula
    maxout = activation_curve("maxout", -2, 2, 5)
    np.testing.assert_allclose(maxout.value, [1, 0.5, 0, 1, 2])
    assert "example pieces" in maxout.note


def test_bad_range_is_a_clear_error():
    with pytest.raises(ValueError, match="lo < hi"):
        activation_curve("relu", 1, -1)


def _hand_built_net(act=nn.ReLU):
    """Layer 1: units 1 and 3 can never fire on inputs in [-1, 1]^2; layer 2: unit 0 (bias -1, no weights) and
    unit 2 (fed only by the dead unit 1) never fire."""
    net = nn.Sequential(nn.Linear(2, 4), act(), nn.Linear(4, 3), act(), nn.Linear(3, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        net[0].bias.copy_(torch.tensor([0.0, -10.0, 0.0, -1.0]))
        net[2].weight.copy_(torch.tensor([[0.0, 0, 0, 0], [1.0, 0, 0, 0], [0.0, 1, 0, 0]]))
        net[2].bias.copy_(torch.tensor([-1.0, 0.0, 0.0]))
    return net


def test_dead_relu_fraction_on_a_hand_built_net():
    grid = torch.cartesian_prod(torch.linspace(-1, 1, 11), torch.linspace(-1, 1, 11))
    net = _hand_built_net()
    net.train()
    fractions = dead_relu_fraction(net, grid)
    assert fractions == {"1": 0.5, "3": pytest.approx(2 / 3), "all": pytest.approx(4 / 7)}
    assert net.training  # the model's mode is restored
    leaky = _hand_built_net(nn.LeakyReLU)
    assert dead_relu_fraction(leaky, grid, kinds=(nn.LeakyReLU,))["1"] == 0.5
    with pytest.raises(ValueError, match="no ReLU"):
        dead_relu_fraction(leaky, grid)
