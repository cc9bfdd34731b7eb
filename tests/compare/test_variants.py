"""variants / config_diff / knobs: one field differs, every problem is a sentence, the diff names what differs."""

from __future__ import annotations

import pytest

from nnlib.compare import KNOBS, VariantError, config_diff, knobs_for, variant_labels, variants
from nnlib.config import CNNSpec, RunConfig

BASE = RunConfig().replace(train={"epochs": 5, "until_paused": False})


def test_dropout_variants_differ_in_dropout_only() -> None:
    vs = variants(BASE, "dropout", ["0", "0.2", 0.5])
    assert [v.model.dropout for v in vs] == [0.0, 0.2, 0.5]
    assert config_diff(vs) == ["model.dropout"]
    assert all(v.train.seed == BASE.train.seed and v.data == BASE.data for v in vs)
    assert variant_labels("dropout", vs) == ["Dropout = 0", "Dropout = 0.2", "Dropout = 0.5"]


def test_knob_path_and_choices() -> None:
    vs = variants(BASE, "train.optimizer", ["sgd", "momentum", "adam"])
    assert [v.train.optimizer for v in vs] == ["sgd", "momentum", "adam"]
    assert config_diff(vs) == ["train.optimizer"]


def test_width_and_depth_reshape_hidden_layers() -> None:
    cfg = BASE.replace(model={"hidden": (4, 2)})
    assert [v.model.hidden for v in variants(cfg, "width", [2, 8])] == [(2, 2), (8, 8)]
    assert [v.model.hidden for v in variants(cfg, "depth", [1, 3])] == [(4,), (4, 4, 4)]
    assert [v.model.hidden for v in variants(cfg, "hidden", ["8,8", "none"])] == [(8, 8), ()]


def test_every_problem_is_a_sentence() -> None:
    with pytest.raises(VariantError) as e:
        variants(BASE, "dropout", ["0.2", "abc", "0.2", "0.95"])
    text = " | ".join(e.value.problems)
    assert "'abc' is not a number" in text
    assert "listed twice" in text
    with pytest.raises(VariantError) as e:
        variants(BASE, "dropout", ["0.1", "0.95"])
    assert any(p.startswith("Dropout = 0.95:") for p in e.value.problems)
    with pytest.raises(VariantError, match="2 to 6 values"):
        variants(BASE, "lr", [0.1])
    with pytest.raises(VariantError, match="2 to 6 values"):
        variants(BASE, "lr", [0.1 * i for i in range(1, 9)])
    with pytest.raises(VariantError, match="not a knob"):
        variants(BASE, "train.nonsense", [1, 2])
    with pytest.raises(VariantError, match="not one of"):
        variants(BASE, "optimizer", ["sgd", "lion"])


def test_knobs_for_conv_nets() -> None:
    cnn = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": CNNSpec()})
    names = [k.name for k in knobs_for(cnn)]
    assert "dense_dropout" in names and "width" not in names and "dropout" not in names
    assert "dense_dropout" not in [k.name for k in knobs_for(BASE)]
    vs = variants(cnn.replace(train={"epochs": 2}), "dense_dropout", [0, 0.5])
    assert [v.model.cnn.dense_dropout for v in vs] == [0.0, 0.5]
    assert config_diff(vs) == ["cnn.dense_dropout"]  # its own field, not the whole spec ("custom" = "custom")
    with pytest.raises(VariantError, match="does not apply"):
        variants(cnn, "width", [2, 4])


def test_every_knob_has_help_and_its_suggestions_make_valid_variants() -> None:
    cnn = RunConfig().replace(data={"dataset": "digits", "n_samples": 300}, model={"cnn": CNNSpec()},
                              train={"epochs": 2})
    momentum = BASE.replace(train={"optimizer": "momentum"})  # plain sgd ignores momentum: no knob for it there
    for knob in KNOBS.values():
        assert knob.help.strip(), knob.name
        cfg = cnn if knob.cnn_only else momentum
        assert knob in knobs_for(cfg), knob.name
        assert len(variants(cfg, knob.name, list(knob.suggested))) == len(knob.suggested)


def test_config_diff_of_dicts_and_nothing() -> None:
    a, b = BASE.to_dict(), BASE.replace(train={"lr": 0.1}, data={"noise": 10.0}).to_dict()
    assert config_diff([a, b]) == ["data.noise", "train.lr"]
    assert config_diff([a]) == [] and config_diff([]) == []


def test_every_knobs_variant_label_names_it_as_the_page_does() -> None:
    """The Compare legend read "dense_dropout = 0.25" for the CNN head's dropout: a run's label is the knob's label
    (what Change one knob lists) and the value as a person writes it, for every knob."""
    cnn = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": CNNSpec()},
                              train={"until_paused": False, "epochs": 2})
    dense = RunConfig().replace(model={"hidden": (8, 8)}, train={"until_paused": False})
    for knob in KNOBS.values():
        base = cnn if knob.cnn_only else dense
        configs = [knob.set(base, knob.parse(v)) for v in knob.suggested[:2]]
        labels = variant_labels(knob.name, configs)
        assert labels == [f"{knob.label} = {knob.shown(v)}" for v in knob.suggested[:2]], knob.name
    assert variant_labels("dense_dropout", [KNOBS["dense_dropout"].set(cnn, 0.25)]) == ["Dropout (dense head) = 0.25"]


def test_a_field_every_run_ignores_is_no_difference_and_one_some_ignore_says_which() -> None:
    """Two plain-SGD runs with other momenta train the same (same seed, same data); so do two constant-rate runs
    with other LR steps. A comparison that highlighted momentum would teach that momentum made the curves differ."""
    from nnlib.compare.variants import ignored_in, same_effect

    sgd_a, sgd_b = BASE.replace(train={"optimizer": "sgd", "momentum": 0.9}), BASE.replace(
        train={"optimizer": "sgd", "momentum": 0.5})
    heavy = BASE.replace(train={"optimizer": "momentum", "momentum": 0.5})
    assert config_diff([sgd_a, sgd_b]) == [] and config_diff([sgd_a.to_dict(), sgd_b.to_dict()]) == []
    assert same_effect([sgd_a, sgd_b]) == [[0, 1]] and same_effect([sgd_a, heavy]) == []
    assert config_diff([sgd_a, sgd_b, heavy]) == ["train.optimizer", "train.momentum"]
    assert ignored_in([sgd_a, sgd_b, heavy]) == [{"train.momentum": "Optimizer sgd"}] * 2 + [{}]
    constant = BASE.replace(train={"schedule": "constant", "lr_step": 5})
    assert config_diff([BASE.replace(train={"schedule": "constant"}), constant]) == []
    stepped = constant.replace(train={"schedule": "step"})
    assert config_diff([BASE, stepped]) == ["train.schedule", "train.lr_step"]
    assert ignored_in([BASE, stepped])[0] == {"train.lr_step": "LR schedule constant"}
    assert config_diff([sgd_a, sgd_b.replace(train={"lr": 0.1})]) == ["train.lr"]  # a used field still differs


def test_a_config_missing_fields_keeps_its_differences() -> None:
    """A class preset's hidden fields are removed before a student sees a run: with the optimizer hidden, filling
    it with the default (sgd) would call momentum idle in runs that used it. Nothing is called idle then."""
    from nnlib.classroom.presets import redact

    runs = [BASE.replace(train={"optimizer": "momentum", "momentum": m}).to_dict() for m in (0.9, 0.5)]
    redacted = [redact(r, frozenset({"train.optimizer"})) for r in runs]
    assert config_diff(redacted) == ["train.momentum"]


def test_cnn_spec_is_compared_field_by_field_and_named_as_the_page_names_it() -> None:
    """Walkthrough: three dense-dropout variants of the CNN page's "tiny" on shapes highlighted one column, CNN
    layers = "custom" in every row, and showed no dropout at all. The spec's fields are now fields of their own and
    the architecture is the preset the page's picker named."""
    from nnlib.compare.variants import architecture, flat_fields
    from nnlib.models.presets import preset_spec

    tiny = RunConfig().replace(data={"dataset": "shapes"}, model={"cnn": preset_spec("tiny", (1, 28, 28))},
                               train={"epochs": 8, "until_paused": False})
    vs = variants(tiny, "dense_dropout", [0, 0.25, 0.5])
    assert config_diff(vs) == ["cnn.dense_dropout"]
    assert [flat_fields(v)["cnn.dense_dropout"] for v in vs] == [0.0, 0.25, 0.5]
    assert {flat_fields(v)["model.cnn"] for v in vs} == {"tiny"}
    lenet = tiny.replace(model={"cnn": preset_spec("lenet5", (1, 28, 28))})
    assert flat_fields(lenet)["model.cnn"] == "LeNet-5"
    assert config_diff([tiny, lenet])[:1] == ["model.cnn"] and "cnn.dense" in config_diff([tiny, lenet])
    edited = tiny.replace(model={"cnn": CNNSpec(dense=(7,))})
    assert flat_fields(edited)["model.cnn"] == "custom"
    assert architecture(None, "shapes") == "MLP (no CNN)"  # the page's baseline: no conv layers
    assert flat_fields(RunConfig())["model.cnn"] is None  # a Playground run has no architecture to name
