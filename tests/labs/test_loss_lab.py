"""The losses lab against known solutions: least squares, L1 (median) regression by linear programming, Huber by
scipy's BFGS, logit gradients by autograd, and the limits of the softmax temperature."""

import numpy as np
import pytest
import torch
from scipy.optimize import linprog, minimize

from nnlib.labs.loss_lab import fit_line, line_with_outliers, sigmoid_logit_gradients, softmax_temperature

DATA = line_with_outliers(n=40, slope=1.5, intercept=0.5, n_outliers=5, seed=0)
DESIGN = np.column_stack([DATA.x, np.ones_like(DATA.x)])


def _l1_regression():
    """Least absolute deviations as a linear program: min sum(u + v) with A w + u - v = y, u, v >= 0."""
    n = len(DATA.y)
    res = linprog(np.r_[0.0, 0.0, np.ones(2 * n)], A_eq=np.hstack([DESIGN, np.eye(n), -np.eye(n)]), b_eq=DATA.y,
                  bounds=[(None, None)] * 2 + [(0, None)] * (2 * n))
    return res.x[:2]


def _huber_regression(delta=1.0):
    def loss(w):
        r = np.abs(DATA.y - DESIGN @ w)
        return np.mean(np.where(r <= delta, 0.5 * r ** 2, delta * (r - 0.5 * delta)))

    return minimize(loss, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10}).x


def test_mse_fit_is_least_squares():
    expected = np.linalg.lstsq(DESIGN, DATA.y, rcond=None)[0]
    np.testing.assert_allclose(fit_line(DATA.x, DATA.y, "mse"), expected, atol=1e-6)


def test_l1_fit_is_the_median_regression():
    np.testing.assert_allclose(fit_line(DATA.x, DATA.y, "l1"), _l1_regression(), atol=2e-3)


def test_huber_fit_matches_scipy():
    np.testing.assert_allclose(fit_line(DATA.x, DATA.y, "huber", delta=1.0), _huber_regression(1.0), atol=1e-5)


def test_outliers_pull_mse_but_not_l1_or_huber():
    slopes = {loss: fit_line(DATA.x, DATA.y, loss)[0] for loss in ("mse", "l1", "huber")}
    assert abs(slopes["mse"] - 1.5) > 0.8  # tilted by five points out of forty
    assert abs(slopes["l1"] - 1.5) < 0.3 and abs(slopes["huber"] - 1.5) < 0.35
    clean = line_with_outliers(n_outliers=0, seed=0)
    assert fit_line(clean.x, clean.y, "mse")[0] == pytest.approx(1.5, abs=0.15)


def test_data_flags_its_outliers():
    assert DATA.outlier.sum() == 5 and DATA.outlier[-5:].all()
    with pytest.raises(ValueError, match="outliers"):
        line_with_outliers(n=5, n_outliers=5)


def test_logit_gradients_match_autograd():
    z_values = np.linspace(-10, 10, 41)
    for target in (0.0, 1.0):
        grads = sigmoid_logit_gradients(z_values, target)
        z = torch.tensor(z_values, requires_grad=True)
        p = torch.sigmoid(z)
        y = torch.full_like(p, target)
        torch.nn.functional.binary_cross_entropy(p, y, reduction="sum").backward()
        np.testing.assert_allclose(grads["cross_entropy"], z.grad.numpy(), atol=1e-9)
        z.grad = None
        ((torch.sigmoid(z) - y) ** 2).sum().backward()
        np.testing.assert_allclose(grads["mse"], z.grad.numpy(), atol=1e-12)


def test_confident_wrong_answer_cross_entropy_pushes_mse_barely_does():
    grads = sigmoid_logit_gradients(np.array([-10.0]), target=1.0)
    assert grads["cross_entropy"][0] == pytest.approx(-1.0, abs=1e-4)
    assert abs(grads["mse"][0]) < 1e-4


def test_softmax_temperature_and_its_limits():
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    plain = softmax_temperature(logits, 1.0)
    np.testing.assert_allclose(plain["probabilities"], torch.softmax(torch.tensor(logits), 0).numpy())
    cold, hot = softmax_temperature(logits, 1e-4), softmax_temperature(logits, 1e4)
    np.testing.assert_allclose(cold["probabilities"], [1, 0, 0, 0], atol=1e-12)
    assert cold["entropy"] < 1e-9
    np.testing.assert_allclose(hot["probabilities"], 0.25, atol=1e-3)
    assert hot["entropy"] == pytest.approx(np.log(4), abs=1e-4) and hot["max_entropy"] == pytest.approx(np.log(4))
    entropies = [softmax_temperature(logits, t)["entropy"] for t in (0.1, 0.5, 1, 2, 10)]
    assert entropies == sorted(entropies)
    with pytest.raises(ValueError, match="temperature"):
        softmax_temperature(logits, 0.0)
