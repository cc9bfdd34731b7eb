"""Every preset must build on every offline image size and agree with its summary."""

from __future__ import annotations

import pytest

from nnlib.models.presets import CNN_PRESETS, DEFAULT_PRESET, preset_names, preset_spec
from nnlib.models.summary import check_against_module, summarize

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
@pytest.mark.parametrize("name", [n for n in CNN_PRESETS if n != "mlp"])
def test_preset_builds_and_matches_summary(name: str, shape: tuple[int, int, int]) -> None:
    spec = preset_spec(name, shape)
    assert spec is not None
    assert check_against_module(spec, shape, 10, "relu") == []
    assert summarize(spec, shape, 10, "relu")[-1]["params"] < 300_000  # classroom-sized


def test_registry_contents() -> None:
    assert preset_names()[0] == DEFAULT_PRESET == "tiny"
    assert {"tiny", "lenet5", "small_vgg", "small_resnet", "mobilenet", "mlp"} <= set(CNN_PRESETS)
    for entry in CNN_PRESETS.values():
        assert entry.description.endswith(".") and entry.description.count(". ") == 0


def test_mlp_preset_means_no_cnn() -> None:
    assert preset_spec("mlp", (1, 28, 28)) is None


def test_lenet5_is_the_classic_on_32x32() -> None:
    spec = preset_spec("lenet5", (3, 32, 32))
    assert spec is not None
    rows = {r["layer"]: r for r in summarize(spec, (3, 32, 32), 10, "tanh")}
    assert rows["block 1 (conv) conv 5x5"]["output"] == "6 x 28 x 28"
    assert rows["flatten"]["output"] == "400" and spec.dense == (120, 84)


def test_mobilenet_is_cheaper_than_vgg() -> None:
    cifar = (3, 32, 32)
    cost = {n: summarize(preset_spec(n, cifar), cifar, 10, "relu")[-1] for n in ("mobilenet", "small_vgg")}
    assert cost["mobilenet"]["params"] < cost["small_vgg"]["params"]
    assert cost["mobilenet"]["macs"] < cost["small_vgg"]["macs"]


def test_unknown_preset() -> None:
    with pytest.raises(KeyError, match="tiny"):
        preset_spec("alexnet", (1, 28, 28))
