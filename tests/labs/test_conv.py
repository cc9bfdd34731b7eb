"""Convolution arithmetic checked against real torch layers (shapes, parameters, multiplies, values)."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nnlib.labs.conv import (
    LECTURE_INPUT,
    LECTURE_KERNEL,
    bottleneck_comparison,
    conv_multiplies,
    conv_output_shape,
    conv_output_size,
    conv_params,
    conv_walk,
    total_cost,
    transposed_output_size,
)

SETTINGS = [(w, f, s, p, d) for w, f, s, p, d in itertools.product((5, 7, 12), (1, 2, 3, 5), (1, 2, 3), (0, 1, 2),
                                                                   (1, 2))
            if d * (f - 1) + 1 <= w + 2 * p]


def test_output_size_and_params_match_conv2d_over_many_settings():
    assert len(SETTINGS) > 150
    for w, f, s, p, d in SETTINGS:
        layer = nn.Conv2d(3, 4, f, stride=s, padding=p, dilation=d)
        out = layer(torch.zeros(1, 3, w, w + 1))
        assert out.shape[2:] == conv_output_shape((w, w + 1), f, s, p, d), (w, f, s, p, d)
        assert out.shape[2] == conv_output_size(w, f, s, p, d)
        assert conv_params(f, 3, 4) == sum(t.numel() for t in layer.parameters())


def test_params_without_bias_and_with_groups_match_torch():
    layer = nn.Conv2d(8, 12, 3, groups=4, bias=False)
    assert conv_params(3, 8, 12, bias=False, groups=4) == layer.weight.numel()


def test_kernel_that_does_not_fit_is_a_clear_error():
    with pytest.raises(ValueError, match="does not fit"):
        conv_output_size(4, 5)


@pytest.mark.parametrize("dims,size,kernel,stride,padding", [
    (1, (50,), 5, 2, 1), (2, (28, 20), (3, 5), (1, 2), (1, 0)), (3, (8, 16, 16), 3, (1, 2, 2), 1)])
def test_1d_2d_3d_shapes_and_params_match_torch(dims, size, kernel, stride, padding):
    layer = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims](2, 6, kernel, stride=stride, padding=padding)
    out = layer(torch.zeros(1, 2, *size))
    assert out.shape[2:] == conv_output_shape(size, kernel, stride, padding)
    assert conv_params(kernel, 2, 6, dims=dims) == sum(t.numel() for t in layer.parameters())


@pytest.mark.parametrize("n,f,s,p,op", [(4, 3, 2, 1, 1), (7, 4, 2, 1, 0), (5, 3, 1, 0, 0), (3, 2, 3, 0, 2)])
def test_transposed_output_matches_conv_transpose2d(n, f, s, p, op):
    layer = nn.ConvTranspose2d(1, 1, f, stride=s, padding=p, output_padding=op)
    assert layer(torch.zeros(1, 1, n, n)).shape[-1] == transposed_output_size(n, f, s, p, op)
    assert transposed_output_size(n, f, s, p, op) == (n - 1) * s + f - 2 * p + op


def test_multiplies_equal_torch_flop_counter():
    layer = nn.Conv2d(6, 10, 3, stride=2, padding=1, bias=False)
    x = torch.zeros(1, 6, 15, 15)
    with FlopCounterMode(display=False) as counter:
        out = layer(x)
    assert 2 * conv_multiplies(out.shape[2:], 3, 6, 10) == counter.get_total_flops()


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 1, 1)])
def test_every_step_matches_conv2d(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x = rng.integers(-5, 6, size=(7, 6))
    kernel = rng.integers(-3, 4, size=(3, 3))
    walk = conv_walk(x, kernel, stride, padding, dilation, bias=2)
    as_4d = torch.tensor(x, dtype=torch.float64)[None, None]
    weight = torch.tensor(kernel, dtype=torch.float64)[None, None]
    torch_out = F.conv2d(as_4d, weight, torch.tensor([2.0], dtype=torch.float64),
                         stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()
    np.testing.assert_array_equal(walk.output, torch_out)
    assert len(walk.steps) == torch_out.size
    for step in walk.steps:
        assert step.value == torch_out[step.out_row, step.out_col]
        np.testing.assert_array_equal(step.products, step.window * kernel)
        assert step.top == step.out_row * stride and step.left == step.out_col * stride
        span = dilation * 2 + 1
        assert walk.padded[step.top + span - 1, step.left + span - 1] == step.window[-1, -1]


def test_lecture_worked_example():
    walk = conv_walk(LECTURE_INPUT, LECTURE_KERNEL)
    # First window by hand: [[1,0,2],[4,1,0],[3,2,1]] * kernel = 1+0+6 -16+7+0 +6-10+1 = -5
    assert walk.steps[0].value == -5
    # Every entry worked by hand the same way (e.g. (1, 1): 1+0+6 -8+7+0 +2-15+1 = -6).
    expected = np.array([[-5, 16, 36], [10, -6, 15], [13, 34, 13]])
    np.testing.assert_array_equal(walk.output, expected)
    torch_out = F.conv2d(torch.tensor(LECTURE_INPUT, dtype=torch.float64)[None, None],
                         torch.tensor(LECTURE_KERNEL, dtype=torch.float64)[None, None])[0, 0].numpy()
    np.testing.assert_array_equal(expected, torch_out)


def test_lecture_1x1_bottleneck_costs():
    costs = bottleneck_comparison(28, 28, 192, 32, 5, 16)
    assert total_cost(costs["direct"]) == (153_600, 120_422_400)
    assert total_cost(costs["bottleneck"]) == (15_872, 12_443_648)


def test_bottleneck_costs_match_torch_layers():
    direct = nn.Conv2d(24, 8, 3, padding=1, bias=False)
    reduce, conv = nn.Conv2d(24, 4, 1, bias=False), nn.Conv2d(4, 8, 3, padding=1, bias=False)
    x = torch.zeros(1, 24, 9, 9)
    costs = bottleneck_comparison(9, 9, 24, 8, 3, 4)
    for layers, modules in ((costs["direct"], [direct]), (costs["bottleneck"], [reduce, conv])):
        with FlopCounterMode(display=False) as counter:
            nn.Sequential(*modules)(x)
        params = sum(p.numel() for m in modules for p in m.parameters())
        assert total_cost(layers) == (params, counter.get_total_flops() // 2)
