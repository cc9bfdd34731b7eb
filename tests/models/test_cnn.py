"""The built CNN must be exactly the architecture the shape arithmetic (and so the summary) describes."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from nnlib.config import CONV_NORMS, CNNSpec, ConvBlock
from nnlib.models.cnn import build_cnn
from nnlib.models.shapes import ShapeError, cnn_layers
from nnlib.models.summary import check_against_module, summarize

DIGITS, MNIST, CIFAR = (1, 8, 8), (1, 28, 28), (3, 32, 32)


@pytest.mark.parametrize("kind", ["conv", "separable", "residual"])
@pytest.mark.parametrize("norm", CONV_NORMS)
@pytest.mark.parametrize("pool", ["max", "avg", "none"])
def test_block_kinds_match_summary(kind: str, norm: str, pool: str) -> None:
    blocks = (ConvBlock(kind=kind, out_channels=6, norm=norm, pool=pool, dropout=0.2),
              ConvBlock(kind=kind, out_channels=6, stride=2, norm=norm, pool="none"))  # same K, stride 2
    for head in ("flatten", "global_avg", "global_max"):
        spec = CNNSpec(blocks=blocks, head=head, dense=(12,), dense_dropout=0.1)
        assert check_against_module(spec, MNIST, 10, "relu") == []


@pytest.mark.parametrize("activation", ["prelu", "tanh", "gelu"])
def test_activations_with_parameters_are_counted(activation: str) -> None:
    spec = CNNSpec(blocks=(ConvBlock(kind="separable", out_channels=4, batch_norm=True),
                           ConvBlock(kind="residual", out_channels=8, activation="elu")), dense=(7, 5))
    assert check_against_module(spec, CIFAR, 3, activation) == []


def test_maxout_only_in_dense_layers() -> None:
    spec = CNNSpec(blocks=(ConvBlock(out_channels=4, activation="relu"),), dense=(6,))
    assert check_against_module(spec, DIGITS, 10, "maxout") == []
    with pytest.raises(ShapeError, match="block 1.*maxout"):
        build_cnn(dataclasses.replace(spec, blocks=(ConvBlock(out_channels=4),)), DIGITS, 10, "maxout")


def test_residual_skip_is_identity_only_when_shapes_agree() -> None:
    same = build_cnn(CNNSpec(blocks=(ConvBlock(out_channels=1), ConvBlock(kind="residual", out_channels=1,
                                                                           pool="none"))), DIGITS, 2, "relu")
    assert same.blocks[1].skip is None
    grown = build_cnn(CNNSpec(blocks=(ConvBlock(kind="residual", out_channels=4),)), DIGITS, 2, "relu")
    assert isinstance(grown.blocks[0].skip, torch.nn.Conv2d) and grown.blocks[0].skip.kernel_size == (1, 1)


def test_summary_spells_out_the_lecture_formula() -> None:
    rows = summarize(CNNSpec(), MNIST, 10, "relu")
    first = rows[1]
    assert first["layer"] == "block 1 (conv) conv 3x3"
    assert first["formula"] == "3 x 3 x 1 x 8 + 8 = 80" and first["params"] == 80
    assert first["output"] == "8 x 28 x 28" and first["size"] == "(28 - 3 + 2*1) / 1 + 1 = 28"
    assert first["macs"] == 3 * 3 * 1 * 8 * 28 * 28
    assert rows[0]["layer"] == "input" and rows[-1]["layer"] == "total"
    assert rows[-1]["params"] == sum(p.numel() for p in build_cnn(CNNSpec(), MNIST, 10, "relu").parameters())


@pytest.mark.parametrize(("spec", "shape", "block"), [
    # 8x8 -> pool 4 -> pool 2: a 5x5 filter without padding does not fit.
    (CNNSpec(blocks=(ConvBlock(), ConvBlock(), ConvBlock(kernel=5, padding=0))), DIGITS, "block 3 (conv)"),
    (CNNSpec(blocks=(ConvBlock(kind="residual", kernel=4, padding=2),)), MNIST, "block 1 (residual)"),
    (CNNSpec(blocks=(ConvBlock(kind="separable", kernel=5, padding=0, stride=4), ConvBlock(pool_size=4))),
     MNIST, "block 2 (conv) max pool"),
])
def test_invalid_specs_name_the_block(spec: CNNSpec, shape: tuple[int, int, int], block: str) -> None:
    with pytest.raises(ShapeError, match=block.replace("(", r"\(").replace(")", r"\)")):
        cnn_layers(spec, shape, 10)
    with pytest.raises(ShapeError, match="block"):
        build_cnn(spec, shape, 10, "relu")


def test_conv_layers_and_feature_maps_follow_the_summary() -> None:
    spec = CNNSpec(blocks=(ConvBlock(out_channels=4, pool="max"), ConvBlock(kind="separable", out_channels=6),
                           ConvBlock(kind="residual", out_channels=8, stride=2, pool="none")))
    model = build_cnn(spec, MNIST, 10, "relu")
    conv_rows = [r["layer"] for r in summarize(spec, MNIST, 10, "relu") if r["kind"] == "conv"]
    assert [n for n, _ in model.conv_layers()] == conv_rows
    assert all(isinstance(c, torch.nn.Conv2d) for _, c in model.conv_layers())
    with torch.no_grad():
        maps = model.feature_maps(torch.rand(3, *MNIST))
    assert [(n, tuple(t.shape)) for n, t in maps] == [("block 1 (conv)", (3, 4, 28, 28)),
                                                       ("block 2 (separable)", (3, 6, 14, 14)),
                                                       ("block 3 (residual)", (3, 8, 4, 4))]


def test_channels_last_gives_the_same_logits() -> None:
    torch.manual_seed(0)
    spec = CNNSpec(blocks=(ConvBlock(out_channels=8, batch_norm=True),
                           ConvBlock(kind="residual", out_channels=16),
                           ConvBlock(kind="separable", out_channels=16)), head="flatten")
    model = build_cnn(spec, CIFAR, 10, "relu").eval()
    x = torch.rand(4, *CIFAR)
    with torch.no_grad():
        ref = model(x)
        fast = model.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    torch.testing.assert_close(fast, ref, rtol=1e-4, atol=1e-5)


def test_gradients_reach_the_first_conv() -> None:
    spec = CNNSpec(blocks=(ConvBlock(kind="residual", out_channels=4, batch_norm=True),))
    model = build_cnn(spec, DIGITS, 3, "relu")
    model(torch.rand(5, *DIGITS)).sum().backward()
    assert model.conv_layers()[0][1].weight.grad.abs().sum() > 0
