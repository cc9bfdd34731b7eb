"""The transfer-learning lab's numbers: what freezing leaves to train (against requires_grad numel), that frozen
layers keep their pretrained weights through training while the others move, the safetensors cache of the
pretraining, and that the output layer is never transferred."""

from __future__ import annotations

import os

import pytest
import torch

from nnlib.compare.group import group_payload, run_group
from nnlib.compare.variants import VariantError
from nnlib.labs import transfer_lab as T
from nnlib.models.build import build_model
from nnlib.models.freeze import freeze, layer_table, trainable_count


class RecordingControl:
    """The job control a worker hands a job function, reduced to what run_group calls; keeps the last snapshot."""

    stop_requested = False

    def __init__(self) -> None:
        self.last: dict = {}

    def configure(self, **_: object) -> None: ...

    def publish(self, snap: dict, force: bool = False) -> None:
        self.last = snap

    def offer(self, make: object) -> None: ...

    def should_stop(self) -> bool:
        return False

    def epoch_gate(self) -> bool:
        return True


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(T, "_CACHE", {})
    return tmp_path


def small_pretraining() -> dict:
    """A quicker pretraining than the lab's (500 digits, 1 epoch): the same code path."""
    return T.pretrain_config(epochs=1).replace(data={"n_samples": 500}).to_dict()


def test_frozen_counts_equal_the_numel_of_parameters_that_require_grad():
    cfg = T.target_config(5)
    for variant in T.VARIANTS:
        model = freeze(build_model(cfg, T.IMAGE_SHAPE, T.TARGET_CLASSES), variant.freeze)
        expected = sum(p.numel() for p in model.parameters() if p.requires_grad)
        assert trainable_count(model) == expected
        rows = layer_table(model)
        assert sum(r.parameters for r in rows if r.trainable) == expected
        assert sum(r.parameters for r in rows) == sum(p.numel() for p in model.parameters())
    frozen = freeze(build_model(cfg, T.IMAGE_SHAPE, T.TARGET_CLASSES), "conv")
    conv = sum(p.numel() for p in frozen.blocks.parameters())
    assert conv == (8 * 9 + 8) + (16 * 8 * 9 + 16)  # two 3x3 conv layers with biases
    assert trainable_count(frozen) == 16 * 7 * 7 * 6 + 6  # only the new output layer
    assert [r.trainable for r in layer_table(frozen)] == [False, False, True]


def test_freeze_rejects_unknown_parts_and_non_cnns():
    model = build_model(T.target_config(5), T.IMAGE_SHAPE, T.TARGET_CLASSES)
    with pytest.raises(ValueError, match="unknown part"):
        freeze(model, "dense")
    with pytest.raises(ValueError, match="only a CNN"):
        freeze(torch.nn.Sequential(torch.nn.Linear(2, 2)), "conv")


def test_frozen_layers_keep_the_pretrained_weights_through_training(data_dir):
    configs, labels, options = T.transfer_group(2, epochs=3, noise=0.0)
    options["pretrain"] = small_pretraining()
    ctl = RecordingControl()
    run_group(group_payload(configs, labels, lab="transfer", lab_options=options), ctl)
    weights = T.pretrained_weights(T.RunConfig.from_dict(options["pretrain"]))
    frozen, finetuned, scratch = ctl.last["transfer"]
    assert frozen["conv_unchanged"] and not finetuned["conv_unchanged"] and not scratch["conv_unchanged"]
    assert frozen["trained"] == 16 * 7 * 7 * 6 + 6 and finetuned["trained"] == scratch["trained"] == frozen["total"]
    assert [r["status"] for r in ctl.last["runs"]] == ["finished"] * 3
    assert all(len(r["history"]["val_accuracy"]) == 3 for r in ctl.last["runs"])
    assert "blocks.0.conv.weight" in weights and "out.weight" in weights


def test_pretraining_is_cached_as_safetensors_keyed_by_its_config(data_dir):
    cfg = T.RunConfig.from_dict(small_pretraining())
    first = T.pretrained_weights(cfg)
    path = os.path.join(data_dir, "pretrained", f"transfer-{T.config_key(cfg)}.safetensors")
    assert os.path.exists(path)
    with open(path, "rb") as f:
        assert f.read(2) != b"\x80\x04"  # not a pickle
    T._CACHE.clear()
    again = T.pretrained_weights(cfg)  # from the file
    assert all(torch.equal(first[k], again[k]) for k in first)
    assert T.config_key(cfg) != T.config_key(cfg.replace(train={"seed": 1}))


def test_the_output_layer_is_never_transferred():
    cfg = T.target_config(5)
    model = build_model(cfg, T.IMAGE_SHAPE, T.TARGET_CLASSES)
    source = build_model(T.pretrain_config(), T.IMAGE_SHAPE, 10)
    before = model.out.weight.detach().clone()
    copied = T.load_pretrained(model, source.state_dict())
    assert copied == sorted(k for k in source.state_dict() if k.startswith("blocks."))
    assert torch.equal(model.out.weight, before)
    assert torch.equal(model.blocks[0].conv.weight, source.blocks[0].conv.weight)


def test_unknown_lab_hooks_are_refused():
    configs, labels, _ = T.transfer_group(2)
    with pytest.raises(VariantError, match="unknown lab experiment"):
        group_payload(configs, labels, lab="nonsense")


@pytest.mark.parametrize("per_class", [1, 2, 5, 50])
def test_every_allowed_number_of_labels_gives_a_valid_group(per_class):
    configs, _, _ = T.transfer_group(per_class)
    assert configs[0].validate() == []
    assert round(configs[0].data.n_samples * configs[0].data.train_frac) == per_class * T.TARGET_CLASSES
