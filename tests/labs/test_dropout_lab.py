"""One dropout layer checked against nn.Dropout with the same seed, and Monte-Carlo dropout's mean and spread."""

import numpy as np
import pytest
import torch
from torch import nn

from nnlib.labs.dropout_lab import dropout_pass, mc_dropout_predict, mean_of_dropout_passes

X = np.arange(1, 61, dtype=np.float32).reshape(6, 10)


@pytest.mark.parametrize("p,seed", [(0.5, 0), (0.2, 7), (0.8, 123), (0.0, 1)])
def test_mask_and_scaling_match_nn_dropout(p, seed):
    demo = dropout_pass(X, p, seed)
    torch.manual_seed(seed)
    layer = nn.Dropout(p)
    expected_train = layer.train()(torch.tensor(X))
    np.testing.assert_array_equal(demo.train_output, expected_train.numpy())
    np.testing.assert_array_equal(demo.mask, (expected_train != 0).numpy().astype(np.float32))
    np.testing.assert_array_equal(demo.eval_output, layer.eval()(torch.tensor(X)).numpy())
    kept = demo.mask == 1
    np.testing.assert_allclose(demo.train_output[kept], X[kept] / (1 - p), rtol=1e-6)
    assert demo.scale == pytest.approx(1 / (1 - p))


def test_drop_rate_and_no_global_random_state_change():
    before = torch.random.get_rng_state()
    demo = dropout_pass(np.ones((200, 200)), 0.3, seed=5)
    assert torch.equal(before, torch.random.get_rng_state())
    assert 1 - demo.mask.mean() == pytest.approx(0.3, abs=0.01)


def test_scaled_passes_average_to_the_input():
    means = mean_of_dropout_passes(X, 0.5, 1000, seed=0)
    assert means.shape == (1000, *X.shape)
    np.testing.assert_allclose(means[-1], X, rtol=0.15)
    assert np.abs(means[-1] - X).mean() < np.abs(means[9] - X).mean()


@pytest.mark.parametrize("p,seed", [(0.5, 0), (0.2, 7), (0.8, 123)])
def test_first_averaged_pass_is_the_pass_shown(p, seed):
    """The page draws one pass ("train: x * mask * 2") and right below it the average after 1 pass: they must be
    the same pass (a different first mask showed other cells dropped), and the later passes differ from it."""
    x = np.random.default_rng(seed).normal(0.0, 1.0, (4, 6)).round(2)
    shown = dropout_pass(x, p, seed)
    means = mean_of_dropout_passes(x, p, 5, seed)
    np.testing.assert_allclose(means[0], shown.train_output, rtol=1e-6, atol=1e-6)
    second = 2 * means[1] - means[0]
    assert not np.allclose(second, shown.train_output)


def _net(p, with_bn=False):
    torch.manual_seed(0)
    layers = [nn.Linear(3, 16), nn.ReLU()]
    if with_bn:
        layers.append(nn.BatchNorm1d(16))
    return nn.Sequential(*layers, nn.Dropout(p), nn.Linear(16, 2))


def test_mc_dropout_mean_tends_to_the_eval_prediction_with_a_spread():
    net = _net(0.3, with_bn=True)
    net.train()
    running_mean = net[2].running_mean.clone()
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    pred = mc_dropout_predict(net, x, n=1000, seed=0)
    assert pred.samples.shape == (1000, 5, 2)
    # dropout feeds a linear layer, so the expectation of a pass is exactly the eval prediction
    np.testing.assert_allclose(pred.mean, pred.eval_output, atol=4 * pred.std.max() / np.sqrt(1000))
    assert (pred.std > 0).all()
    assert net.training and net[3].training  # modes restored
    assert torch.equal(running_mean, net[2].running_mean)  # batch norm stayed in eval mode
    again = mc_dropout_predict(net, x, n=1000, seed=0)
    np.testing.assert_array_equal(pred.samples, again.samples)


def test_mc_dropout_without_dropping_has_no_spread():
    net = _net(0.0)
    x = torch.randn(4, 3)
    pred = mc_dropout_predict(net, x, n=20)
    for sample in pred.samples:
        np.testing.assert_array_equal(sample, pred.eval_output)
    assert pred.std.max() < 1e-12
    with pytest.raises(ValueError, match="no dropout"):
        mc_dropout_predict(nn.Linear(3, 1), x)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        dropout_pass(X, 1.0)
