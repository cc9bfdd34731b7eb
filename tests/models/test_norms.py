"""Normalization as a model option (#13 item 12): each kind normalizes over the axes the lecture says, the summary
counts its parameters, old `batch_norm=true` links and run files still open, and the fast path stays off."""

from __future__ import annotations

import json

import pytest
import torch

from nnlib.config import CONV_NORMS, CNNSpec, ConvBlock, RunConfig, mlp_param_count
from nnlib.models.build import build_model
from nnlib.models.cnn import build_cnn
from nnlib.models.norms import group_count, norm1d, norm2d
from nnlib.train.trainer import Trainer

# axes that share one mean and variance, for a [N, C, H, W] input (group: C is split in channel groups)
SHARED_AXES = {"batch": (0, 2, 3), "layer": (1, 2, 3), "instance": (2, 3)}


@pytest.mark.parametrize("kind", ["batch", "layer", "instance"])
def test_each_norm_makes_its_groups_mean_zero_variance_one(kind: str) -> None:
    torch.manual_seed(0)
    x = torch.randn(6, 4, 5, 5) * 3 + 2
    y = norm2d(kind, 4).train()(x)
    mean = y.mean(dim=SHARED_AXES[kind])
    var = y.var(dim=SHARED_AXES[kind], unbiased=False)
    assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-5)
    assert torch.allclose(var, torch.ones_like(var), atol=1e-3)
    # ... and the axes it does not share are not normalized together: e.g. layer norm leaves channel means apart
    if kind != "batch":
        assert y.mean(dim=(0, 2, 3)).abs().max() > 0.01 or kind == "instance"


def test_group_norm_normalizes_each_group_of_channels_of_each_image() -> None:
    torch.manual_seed(1)
    x = torch.randn(3, 8, 4, 4) * 2 - 1
    y = norm2d("group", 8)(x)
    groups = y.reshape(3, 4, 2 * 4 * 4)  # G = 4 groups of 2 channels
    assert torch.allclose(groups.mean(-1), torch.zeros(3, 4), atol=1e-5)
    assert torch.allclose(groups.var(-1, unbiased=False), torch.ones(3, 4), atol=1e-3)


@pytest.mark.parametrize(("channels", "groups"), [(8, 4), (6, 3), (4, 4), (2, 2), (5, 1), (9, 3), (1, 1)])
def test_group_count_divides_the_channels(channels: int, groups: int) -> None:
    assert group_count(channels) == groups
    assert norm2d("group", channels).num_groups == groups


def test_per_example_norms_do_not_depend_on_the_batch() -> None:
    """Layer, instance and group norm give one image the same output alone or in a batch, in train or eval mode;
    batch norm does not (the reason it misbehaves with tiny batches)."""
    torch.manual_seed(2)
    x = torch.randn(5, 4, 3, 3)
    for kind in ("layer", "instance", "group"):
        layer = norm2d(kind, 4).train()
        assert torch.allclose(layer(x)[:1], layer(x[:1]), atol=1e-6)
        assert torch.allclose(layer.eval()(x), layer.train()(x))
    bn = norm2d("batch", 4).train()
    assert not torch.allclose(bn(x)[:2], bn(x[:2]), atol=1e-3)


def test_mlp_layer_norm_normalizes_each_example() -> None:
    torch.manual_seed(3)
    h = torch.randn(7, 10) * 4 + 1
    y = norm1d("layer", 10)(h)
    assert torch.allclose(y.mean(1), torch.zeros(7), atol=1e-5)
    assert torch.allclose(y.var(1, unbiased=False), torch.ones(7), atol=1e-3)
    with pytest.raises(ValueError, match="dense layer"):
        norm1d("instance", 10)
    with pytest.raises(ValueError, match="unknown normalization"):
        norm2d("weird", 4)


@pytest.mark.parametrize("norm", CONV_NORMS)
def test_cnn_builds_the_chosen_norm_in_every_block_kind(norm: str) -> None:
    spec = CNNSpec(blocks=(ConvBlock(kind="conv", out_channels=6, norm=norm),
                           ConvBlock(kind="separable", out_channels=8, norm=norm),
                           ConvBlock(kind="residual", out_channels=8, norm=norm, pool="none")), dense=(10,))
    model = build_cnn(spec, (1, 28, 28), 10, "relu")
    expected = {"none": torch.nn.Identity, "batch": torch.nn.BatchNorm2d}.get(norm, torch.nn.GroupNorm)
    norms = [model.blocks[0].bn, model.blocks[1].bn1, model.blocks[1].bn2, model.blocks[2].bn1, model.blocks[2].bn2]
    assert all(type(n) is expected for n in norms)
    if norm == "instance":
        assert model.blocks[1].bn1.num_groups == 6 and model.blocks[2].bn2.num_groups == 8
    if norm == "layer":
        assert all(n.num_groups == 1 for n in norms)


def test_playground_mlp_with_layer_norm_trains_off_the_fast_path() -> None:
    cfg = RunConfig().replace(model={"hidden": (6, 4), "norm": "layer"}, train={"epochs": 3, "until_paused": False})
    assert not cfg.validate()
    model = build_model(cfg, (2,))
    assert type(model.hidden[0].norm) is torch.nn.LayerNorm
    assert sum(p.numel() for p in model.parameters()) == mlp_param_count(cfg, 2)
    trainer = Trainer(cfg)
    assert trainer.fast is None
    trainer.run()
    assert len(trainer.history.records) == 3


def test_old_links_and_run_files_with_batch_norm_true_still_build_batch_norm() -> None:
    cfg = RunConfig.from_query("model.batch_norm=true&model.hidden=4")
    assert cfg.model.norm == "batch" and not cfg.model.batch_norm
    old_spec = {"blocks": [{"out_channels": 4, "batch_norm": True}, {"out_channels": 4}]}
    cfg = RunConfig.from_query({"data.dataset": "digits", "model.cnn": json.dumps(old_spec)})
    assert [b.norm for b in cfg.model.cnn.blocks] == ["batch", "none"]
    old_file = {"model": {"batch_norm": True}, "train": {"epochs": 2}}
    assert RunConfig.from_json(json.dumps(old_file)).model.norm == "batch"
    # an explicit norm wins over the old flag
    assert RunConfig.from_dict({"model": {"batch_norm": True, "norm": "layer"}}).model.norm == "layer"


def test_new_norm_fields_round_trip_through_links_and_run_files() -> None:
    spec = CNNSpec(blocks=(ConvBlock(out_channels=4, norm="group"), ConvBlock(out_channels=6, norm="instance"),
                           ConvBlock(out_channels=8, norm="layer", pool="none")))
    cfg = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": spec, "norm": "layer"})
    assert not cfg.validate()
    query = cfg.to_query()
    assert "model.batch_norm" not in query  # the old flag is never written, only read
    assert RunConfig.from_query(query) == cfg
    assert RunConfig.from_json(cfg.to_json()) == cfg


def test_an_unknown_norm_is_a_sentence() -> None:
    problems = RunConfig().replace(model={"norm": "group"}).validate()
    assert any("norm" in p for p in problems)
