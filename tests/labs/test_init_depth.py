"""The lecture's initialization results as assertions on a 10 x 500 MLP fed random inputs."""

import numpy as np
import pytest

from nnlib.labs.init_depth import compare_initializers, deep_mlp, depth_run


@pytest.fixture(scope="module")
def tanh_runs():
    return {r.initializer: r for r in compare_initializers("tanh")}


def test_xavier_keeps_tanh_spread_while_small_weights_collapse(tanh_runs):
    xavier, small = tanh_runs["xavier_normal"].stds, tanh_runs["small_normal"].stds
    assert len(xavier) == 10
    assert np.all((xavier > 0.15) & (xavier < 0.8))
    assert small[-1] < 1e-3 and np.all(np.diff(small) < 0)


def test_large_weights_saturate_tanh(tanh_runs):
    for layer in tanh_runs["large_normal"].layers:
        assert layer.saturated > 0.8  # most units at tanh' < 0.05
    xavier = [layer.saturated for layer in tanh_runs["xavier_normal"].layers]
    assert xavier[0] < 0.05 and all(share < 0.01 for share in xavier[1:])  # the N(0, 1) input's tails at layer 1


def test_zeros_never_break_symmetry(tanh_runs):
    zeros = tanh_runs["zeros"]
    assert all(layer.std == 0 and layer.zero == 1 and layer.weight_grad_std == 0 for layer in zeros.layers)


def test_he_keeps_relu_alive_where_xavier_fades():
    he, xavier = (depth_run(name, "relu").stds for name in ("he_normal", "xavier_normal"))
    assert he[-1] / he[0] > 0.5
    assert xavier[-1] / xavier[0] < 0.1


def test_relu_does_not_saturate_its_failure_is_scale_and_off_units():
    """With ReLU the page said "large normal saturated 53%, he normal 25%": it counted |a| > 0.99 (large outputs,
    slope 1) as saturation, which the page defines as f' ~ 0. ReLU has no saturated share; what shows is the std
    exploding with large weights and about half the units off (a = 0, f' = 0) whatever the initializer."""
    runs = {r.initializer: r for r in compare_initializers("relu", ("large_normal", "he_normal"))}
    for run in runs.values():
        assert all(layer.saturated is None for layer in run.layers)
        assert all(0.35 < layer.zero < 0.65 for layer in run.layers)
    large, he = runs["large_normal"].stds, runs["he_normal"].stds
    assert np.all(np.diff(np.log(large)) > 2) and 0.5 < he[-1] / he[0] < 2


def test_saturation_is_slope_near_zero_for_sigmoid_too():
    """Sigmoid saturates at 0 as well as at 1: |a| > 0.99 missed the lower end (a ~ 0, f' ~ 0)."""
    layer = depth_run("large_normal", "sigmoid", depth=2, width=200, batch=50).layers[-1]
    assert layer.saturated is not None and layer.saturated > 0.6


def test_histograms_share_edges_and_count_every_value(tanh_runs):
    run = tanh_runs["xavier_normal"]
    assert run.edges[0] == -run.edges[-1] and run.edges[-1] <= 1
    for layer in run.layers:
        assert layer.hist.sum() == 200 * 500 and layer.grad_hist.sum() == 200 * 500
    assert run.layers[0].grad_std > run.layers[-1].grad_std * 0.1


def test_same_seed_same_numbers_and_caps():
    assert depth_run("he_normal", depth=3, width=50, batch=20).stds.tolist() == \
        depth_run("he_normal", depth=3, width=50, batch=20).stds.tolist()
    with pytest.raises(ValueError, match="CPU cap"):
        deep_mlp(50, 500, "tanh", "he_normal")
    with pytest.raises(ValueError, match="choose one of"):
        depth_run("magic")
    with pytest.raises(ValueError, match="changes the layer width"):
        depth_run("he_normal", "maxout", depth=2, width=10, batch=10)
