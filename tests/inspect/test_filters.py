"""Filters and feature maps come out with the right shapes and in a cheap, browser-ready uint8 tiling."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnlib.config import CNNSpec, ConvBlock
from nnlib.inspect.filters import feature_maps, first_layer_filters, layer_filters, to_uint8_grid
from nnlib.models.cnn import build_cnn


@pytest.fixture
def model() -> torch.nn.Module:
    torch.manual_seed(0)
    spec = CNNSpec(blocks=(ConvBlock(out_channels=16, kernel=5, padding=2), ConvBlock(kind="separable",
                                                                                      out_channels=8)))
    return build_cnn(spec, (3, 32, 32), 10, "relu")


def test_first_layer_filters_are_normalised_per_filter(model: torch.nn.Module) -> None:
    f = first_layer_filters(model)
    assert f.shape == (16, 3, 5, 5) and f.dtype == np.float32
    np.testing.assert_allclose(f.reshape(16, -1).min(1), 0.0, atol=1e-6)
    np.testing.assert_allclose(f.reshape(16, -1).max(1), 1.0, atol=1e-6)


def test_layer_filters_by_name(model: torch.nn.Module) -> None:
    names = [n for n, _ in model.conv_layers()]
    assert layer_filters(model, names[1]).shape == (16, 1, 3, 3)  # depthwise: one channel per filter
    assert layer_filters(model, names[2]).shape == (8, 16, 1, 1)
    with pytest.raises(KeyError, match="block 1"):
        layer_filters(model, "nope")


def test_feature_maps_of_one_image(model: torch.nn.Module) -> None:
    model.train()
    maps = feature_maps(model, np.random.rand(3, 32, 32))
    assert [(n, m.shape) for n, m in maps] == [("block 1 (conv)", (16, 32, 32)),
                                               ("block 2 (separable)", (8, 16, 16))]
    assert model.training  # mode restored
    grey = build_cnn(CNNSpec(), (1, 8, 8), 10, "relu")
    assert feature_maps(grey, torch.rand(8, 8))[0][1].shape == (8, 8, 8)


def test_grid_layout_and_separators() -> None:
    tiles = np.arange(5 * 2 * 3, dtype=np.float32).reshape(5, 2, 3)
    g = to_uint8_grid(tiles, ncols=3, separator=7)
    assert g.shape == (2 * 3 - 1, 3 * 4 - 1) and g.dtype == np.uint8
    assert (g[2, :] == 7).all() and (g[:, 3] == 7).all() and (g[:, 7] == 7).all()
    assert g[0, 0] == 0 and g[1, 2] == 255  # per-tile min-max
    assert (g[3:, 8:] == 7).all()  # the empty 6th cell


def test_grid_rgb_and_channel_rows(model: torch.nn.Module) -> None:
    rgb = to_uint8_grid(first_layer_filters(model), normalize="none")
    assert rgb.shape == (4 * 6 - 1, 4 * 6 - 1, 3)
    per_channel = to_uint8_grid(layer_filters(model, model.conv_layers()[2][0]))
    assert per_channel.shape == (8 * 2 - 1, 16 * 2 - 1)  # 8 rows (filters) x 16 columns (input channels)




def test_activation_grids_keep_zero_dark() -> None:
    """Feature maps: a silent channel (all zeros after ReLU) is dark, not mid-grey; zero is the darkest value."""
    maps = np.zeros((3, 1, 2, 2), np.float32)
    maps[1, 0] = [[0.0, 1.0], [2.0, 4.0]]
    maps[2, 0] = 3.0  # uniformly active
    g = to_uint8_grid(maps, ncols=3, normalize="activation")
    assert (g[:, :2] == 0).all()  # the dead channel
    assert g[0, 3] == 0 and g[1, 4] == 255 and 60 < g[0, 4] < 68  # 0 -> dark; 1, a quarter of the max -> 64
    assert (g[:, 6:] == 255).all()  # a constant positive map is fully on
    assert (to_uint8_grid(maps, ncols=3)[:, :2] == 127).all() or (to_uint8_grid(maps, ncols=3)[:, :2] == 128).all()
