"""The architecture zoo against torch itself: parameter counts against numel(), multiply-adds against torch's
FlopCounterMode and the conv formula, the quoted figures, and the two blocks' savings against built modules."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from nnlib.labs.zoo import (
    INPUT_SHAPE,
    ZOO,
    depthwise_separable,
    depthwise_separable_cost,
    layer_macs,
    residual_block_params,
    zoo_summary,
    zoo_table,
)


def _numel(module):
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("name", ["alexnet", "resnet18", "mobilenet_v1", "googlenet"])
def test_params_and_macs_match_numel_and_torch_flop_counter(name):
    table = zoo_table(name)
    with torch.device("meta"):
        model = ZOO[name].build().eval()
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.zeros(INPUT_SHAPE))
    assert table.params == _numel(model)
    assert sum(r.params for r in table.rows) == table.params  # no layer with weights is missing from the table
    assert 2 * table.macs == counter.get_total_flops()


def test_single_conv_layer_macs_equal_the_formula():
    conv = nn.Conv2d(16, 32, 5, stride=2, padding=2, groups=2)
    out = conv(torch.zeros(1, 16, 20, 20))
    assert out.shape[2:] == (10, 10)
    assert layer_macs(conv, out) == 10 * 10 * 32 * 5 * 5 * (16 // 2)


def test_lecture_figures():
    summary = {row["net"]: row for row in zoo_summary()}
    assert list(summary) == list(ZOO)
    assert summary["alexnet"]["params"] == pytest.approx(60e6, rel=0.03)
    assert summary["vgg16"]["params"] == pytest.approx(138e6, rel=0.01)
    for row in summary.values():  # every net within 10% of what its paper quotes
        assert row["params"] == pytest.approx(row["quoted_params"], rel=0.1), row["net"]
        assert row["macs"] == pytest.approx(row["quoted_macs"], rel=0.1), row["net"]


def test_table_rows_read_like_the_lecture():
    first = zoo_table("vgg16").rows[0]
    assert (first.layer, first.kind, first.output, first.params) == ("features.0", "Conv2d", "64 x 224 x 224",
                                                                     3 * 3 * 3 * 64 + 64)
    assert zoo_table("vgg16").rows[-1].output == "1000"
    with pytest.raises(ValueError, match="choose one of"):
        zoo_table("lenet")


def test_residual_block_savings_match_built_blocks():
    c, mid = 256, 64
    basic = nn.Sequential(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.Conv2d(c, c, 3, padding=1, bias=False))
    bottleneck = nn.Sequential(nn.Conv2d(c, mid, 1, bias=False), nn.Conv2d(mid, mid, 3, padding=1, bias=False),
                               nn.Conv2d(mid, c, 1, bias=False))
    counts = residual_block_params(c)
    assert counts == {"basic": _numel(basic), "bottleneck": _numel(bottleneck), "skip": 0}
    assert (counts["basic"], counts["bottleneck"]) == (1_179_648, 69_632)


def test_depthwise_separable_savings_match_built_blocks():
    cost = depthwise_separable_cost(64, 128, 3, h=14, w=14)
    block = depthwise_separable(64, 128)
    convs = [m for m in block if isinstance(m, nn.Conv2d)]
    assert cost["separable_params"] == sum(_numel(m) for m in convs)
    assert cost["standard_params"] == _numel(nn.Conv2d(64, 128, 3, bias=False))
    assert cost["ratio"] == pytest.approx(1 / 128 + 1 / 9)
    with FlopCounterMode(display=False) as counter:
        nn.Sequential(*convs)(torch.zeros(1, 64, 14, 14))
    assert 2 * cost["separable_macs"] == counter.get_total_flops()
