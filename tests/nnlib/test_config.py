"""RunConfig: validation catches each kind of bad value with a sentence; every round trip is lossless."""

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.activations import ACTIVATIONS
from nnlib.config import CNNSpec, ConfigError, ConvBlock, RunConfig
from nnlib.initializers import INITIALIZERS
from nnlib.optimizers import OPTIMIZERS
from nnlib.schedules import SCHEDULES


def test_defaults_are_valid_and_tf_playground_like():
    cfg = RunConfig()
    assert cfg.validate() == []
    assert cfg.model.hidden == (4, 2) and cfg.model.activation == "tanh"
    assert cfg.train.lr == 0.03 and cfg.train.batch_size == 10 and cfg.data.n_samples == 500
    assert cfg.problem == "binary" and cfg.loss == "bce"


@pytest.mark.parametrize("change, needle", [
    ({"model": {"hidden": (4, 0)}}, "hidden layer 2 has 0 neurons; use 1 to 256"),
    ({"model": {"hidden": (300,)}}, "hidden layer 1 has 300 neurons"),
    ({"model": {"hidden": (4,) * 11}}, "11 hidden layers; use at most 10"),
    ({"data": {"noise": 80.0}}, "data.noise is 80.0; use 0 to 50"),
    ({"train": {"lr": 0.0}}, "train.lr is 0.0"),
    ({"train": {"batch_size": 0}}, "train.batch_size is 0"),
    ({"model": {"dropout": 1.0}}, "model.dropout is 1.0"),
    ({"model": {"activation": "swoosh"}}, "'swoosh' is not one of"),
    ({"train": {"optimizer": "lbfgs"}}, "'lbfgs' is not one of"),
    ({"train": {"loss": "mse"}}, "the mse loss does not fit a binary problem; use bce or cross_entropy"),
    ({"data": {"dataset": "plane"}, "train": {"loss": "bce"}}, "the bce loss does not fit a regression problem"),
    ({"data": {"features": ()}}, "pick at least one input feature"),
    ({"data": {"features": ("x1", "cos")}}, "'cos' is not one of"),
    ({"data": {"train_frac": 0.9, "val_frac": 0.3}}, "leave less than 5% for the test set"),
    ({"train": {"patience": 5}, "data": {"val_frac": 0.0}}, "early stopping watches the validation loss"),
    ({"model": {"hidden": (256,) * 10}, "train": {"epochs": 10000}, "data": {"n_samples": 100000}},
     "multiply-adds"),
    ({"model": {"cnn": CNNSpec()}}, "a CNN needs an image dataset"),
    ({"data": {"dataset": "csv"}}, "the csv dataset needs a file"),
    ({"data": {"dataset": "digits", "augment": ("flip",)}}, "horizontal flips change what a digit"),
])
def test_each_bad_value_gets_a_sentence(change, needle):
    errs = RunConfig().replace(**change).validate()
    assert any(needle in e for e in errs), errs


def test_all_problems_reported_at_once():
    errs = RunConfig().replace(model={"hidden": (0, 999)}, train={"lr": -1.0, "epochs": 0}).validate()
    assert len(errs) >= 4


def test_cnn_collapse_names_the_layer_and_formula():
    spec = CNNSpec(blocks=(ConvBlock(out_channels=8, kernel=5, padding=0),) * 3)
    errs = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": spec}).validate()
    assert any("block 2" in e and "(W - F + 2P) / S + 1" in e for e in errs), errs


def test_oversized_cnn_is_rejected():
    spec = CNNSpec(blocks=(ConvBlock(out_channels=256, pool="none"),) * 3, dense=(4096,))
    errs = RunConfig().replace(data={"dataset": "mnist_5k"}, model={"cnn": spec}).validate()
    assert any("parameters; the limit" in e for e in errs), errs


def test_image_subsets_too_small_for_the_classes_are_explained():
    errs = RunConfig().replace(data={"dataset": "digits", "n_samples": 3}).validate()
    assert any("3 images are too few for 10 classes" in e and "at least 100" in e for e in errs), errs
    assert not RunConfig().replace(data={"dataset": "digits", "n_samples": 100}).validate()
    assert not RunConfig().replace(data={"dataset": "digits", "n_samples": 0}).validate()  # 0 = all


def test_unknown_keys_and_wrong_types_are_errors():
    with pytest.raises(ConfigError) as e:
        RunConfig.from_dict({"data": {"noise": "lots", "colour": 1}, "model": {"hidden": 4}, "extra": {}})
    text = " | ".join(e.value.errors)
    assert "data.noise must be a number" in text
    assert "unknown setting 'data.colour'" in text
    assert "model.hidden must be a list" in text
    assert "unknown setting 'extra'" in text


def test_bad_json_and_bad_query_are_explained():
    with pytest.raises(ConfigError, match="not valid JSON"):
        RunConfig.from_json("{nope")
    with pytest.raises(ConfigError, match="train.lr: expected a number"):
        RunConfig.from_query("train.lr=fast")
    with pytest.raises(ConfigError, match="unknown setting 'model.colour'"):
        RunConfig.from_query("model.colour=red")
    with pytest.raises(ConfigError, match="finite"):
        RunConfig.from_query("train.lr=nan")


def test_cnn_spec_round_trips_through_query_and_json():
    spec = CNNSpec(blocks=(ConvBlock(kind="residual", out_channels=12, batch_norm=True), ConvBlock(pool="avg")),
                   head="global_avg", dense=(32, 16), dense_dropout=0.25)
    cfg = RunConfig().replace(data={"dataset": "digits", "augment": ("shift", "noise")}, model={"cnn": spec})
    assert RunConfig.from_query(cfg.to_query()) == cfg
    assert RunConfig.from_json(cfg.to_json()) == cfg
    assert RunConfig.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


names = st.sampled_from
configs = st.builds(
    lambda ds, hidden, act, init, opt, sch, lr, noise, bs, l1, l2, drop, bn, seed, feats: RunConfig().replace(
        data={"dataset": ds, "noise": noise, "features": feats, "seed": seed},
        model={"hidden": hidden, "activation": act, "initializer": init, "dropout": drop, "batch_norm": bn},
        train={"optimizer": opt, "schedule": sch, "lr": lr, "batch_size": bs, "l1": l1, "l2": l2, "seed": seed}),
    names(["circle", "xor", "gauss", "spiral", "moons", "spiral_multi", "blobs", "plane", "multi_gauss"]),
    st.lists(st.integers(-5, 400), max_size=12).map(tuple), names(ACTIVATIONS.names()),
    names(INITIALIZERS.names()), names(OPTIMIZERS.names()), names(SCHEDULES.names()),
    st.floats(-1, 20), st.floats(-10, 80), st.integers(-3, 5000), st.floats(0, 1.5),
    st.floats(0, 1.5), st.floats(0, 1.2), st.booleans(), st.integers(0, 2**31 - 1),
    st.lists(names(["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]), max_size=7).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(configs)
def test_any_config_round_trips_and_validates_without_crashing(cfg):
    assert RunConfig.from_query(cfg.to_query()) == cfg
    assert RunConfig.from_json(cfg.to_json()) == cfg
    errs = cfg.validate()
    assert all(isinstance(e, str) and e for e in errs)
    m, t = cfg.model, cfg.train
    bad = (any(not 1 <= w <= 256 for w in m.hidden) or len(m.hidden) > 10 or not 1e-5 <= t.lr <= 10
           or not 0 <= cfg.data.noise <= 50 or not 1 <= t.batch_size <= 4096 or t.l1 > 1 or t.l2 > 1
           or m.dropout > 0.9 or not cfg.data.features)
    if bad:
        assert errs, cfg


def test_import_nnlib_does_not_import_streamlit_or_torch():
    code = "import sys, nnlib, nnlib.config, nnlib.validation; nnlib.RunConfig().validate(); " \
           "print('streamlit' in sys.modules, 'torch' in sys.modules, 'plotly' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "False"]
