"""A whole run (config + history + weights) exported as one safetensors file and imported back on both pages:
the controls come back and the final view is computed from the weights; tampered files get a sentence."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from safetensors.numpy import save
from streamlit.testing.v1 import AppTest

from nnlib.config import CNNSpec, ConvBlock, DataConfig, ModelConfig, RunConfig, TrainConfig
from ui.run_file import MAX_RUN_FILE, RunFileError, _header, export_run, imported_view, read_run

PAGES = os.path.join(os.path.dirname(__file__), "..", "..", "pages")
PG_CFG = RunConfig(data=DataConfig(dataset="xor", noise=5.0), model=ModelConfig(hidden=(5, 3), activation="relu"),
                   train=TrainConfig(epochs=15, lr=0.1, seed=3, until_paused=False))
CNN_CFG = RunConfig(data=DataConfig(dataset="digits", n_samples=400, train_frac=0.7, val_frac=0.15),
                    model=ModelConfig(activation="relu", initializer="he_uniform",
                                      cnn=CNNSpec(blocks=(ConvBlock(out_channels=4), ConvBlock(out_channels=6)),
                                                  dense=(16,))),
                    train=TrainConfig(optimizer="adam", lr=0.003, batch_size=32, epochs=2))


def trained_file(cfg: RunConfig) -> tuple[bytes, dict]:
    """Train for real (no page), export the way the page does; returns (file, the run's final snapshot)."""
    from nnlib.train.job import payload_builder
    from nnlib.train.trainer import Trainer

    trainer = Trainer(cfg)
    trainer.run()
    snap = payload_builder(cfg)(trainer, True)
    weights = {k: v.detach().cpu().numpy() for k, v in trainer.model.state_dict().items()}
    return export_run(cfg, snap, weights), snap


@pytest.fixture(scope="module")
def pg_run() -> tuple[bytes, dict]:
    return trained_file(PG_CFG)


def page(name: str) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, name), default_timeout=120)
    return at.run()


def upload(at: AppTest, prefix: str, data: bytes, name: str = "run.safetensors") -> AppTest:
    return at.file_uploader(key=f"{prefix}.import_file").upload(name, data, "application/octet-stream").run()


def loss_points(at: AppTest) -> list:
    for c in at.get("plotly_chart"):
        fig = json.loads(c.proto.spec)
        if fig["layout"].get("title", {}).get("text", "").startswith("Loss"):
            return fig["data"][0]["y"]
    raise AssertionError("no loss chart")


def test_playground_run_round_trip_restores_controls_curves_and_the_trained_boundary(pg_run):
    data, snap = pg_run
    at = upload(page("playground.py"), "pg", data)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Run imported: 15 epochs" in s.value for s in at.success)
    assert at.selectbox(key="pg.data.dataset").value == "xor"
    assert at.selectbox(key="pg.model.activation").value == "relu"
    assert [at.number_input(key=f"pg.width.{i}").value for i in range(2)] == [5, 3]
    assert at.number_input(key="pg.train.epochs").value == 15
    view = at.session_state["imported_playground"]
    np.testing.assert_allclose(np.asarray(view.snapshot["grid"]["prob"], np.float32),
                               np.asarray(snap["grid"]["prob"], np.float32), atol=2e-3)  # the trained weights' boundary
    assert len(loss_points(at)) == 15
    bar = at.get("progress")[0].proto
    assert bar.value == 100 and "imported from a file" in bar.text
    assert any(d.label == "Run (safetensors)" for d in at.get("download_button"))  # it can be exported again
    at.button(key="pg.reset").click().run()  # Reset forgets the imported run
    assert not at.get("progress") and "imported_playground" not in at.session_state


def test_a_run_for_another_network_is_refused_with_a_sentence(pg_run):
    data, _ = pg_run
    header = _header(data)
    meta = dict(header["__metadata__"])
    meta["config"] = PG_CFG.replace(model={"hidden": (8, 8)}).to_json(indent=None)  # tampered: other shapes
    from safetensors.numpy import load

    tampered = save(load(data), metadata=meta)
    at = upload(page("playground.py"), "pg", tampered)
    assert not at.exception
    assert any("wrong shapes" in e.value and "expected" in e.value for e in at.error), [e.value for e in at.error]
    assert at.number_input(key="pg.width.0").value == 4  # nothing was applied


@pytest.mark.parametrize("mutate,sentence", [
    (lambda d: b"not a safetensors file at all", "not a safetensors run file"),
    (lambda d: d + b"\0" * MAX_RUN_FILE, "the limit is 2 MB"),
    (lambda d: save({"w": np.zeros(2, np.float32)}), "not a run exported by this app"),
])
def test_broken_files_get_a_sentence(pg_run, mutate, sentence):
    with pytest.raises(RunFileError, match=sentence):
        read_run(mutate(pg_run[0]), image_page=False)


def _with_meta(data: bytes, **changes: str) -> bytes:
    from safetensors.numpy import load

    meta = {**_header(data)["__metadata__"], **changes}
    return save(load(data), metadata=meta)


@pytest.mark.parametrize("changes,sentence", [
    ({"config": '{"train": {"epochs": 0}}'}, "config cannot be used"),
    ({"history": '{"train_loss": ["x"]}'}, "not a number"),
    ({"history": '{"secret": [1.0]}'}, "unknown metrics"),
    ({"history": json.dumps({"train_loss": [0.1] * 16})}, "one value per epoch"),
])
def test_tampered_metadata_is_refused(pg_run, changes, sentence):
    with pytest.raises(RunFileError, match=sentence):
        read_run(_with_meta(pg_run[0], **changes), image_page=False)


def test_missing_or_extra_tensors_and_nan_weights_are_refused(pg_run):
    from safetensors.numpy import load

    data = pg_run[0]
    meta = _header(data)["__metadata__"]
    tensors = load(data)
    first = next(iter(tensors))
    fewer = save({k: v for k, v in tensors.items() if k != first}, metadata=meta)
    with pytest.raises(RunFileError, match=f"missing {first}"):
        imported_view(read_run(fewer, image_page=False))
    nan = save({**tensors, first: np.full_like(tensors[first], np.nan)}, metadata=meta)
    with pytest.raises(RunFileError, match="NaN"):
        imported_view(read_run(nan, image_page=False))


def test_a_run_of_the_other_page_says_where_it_belongs(pg_run):
    with pytest.raises(RunFileError, match="import it on the Playground"):
        read_run(pg_run[0], image_page=True)


@pytest.mark.slow
def test_cnn_run_round_trip_shows_filters_confusion_and_predictions():
    data, snap = trained_file(CNN_CFG)
    at = upload(page("cnn.py"), "cnn", data)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.number_input(key="cnn.train.epochs").value == 2
    assert at.number_input(key="cnn.spec.1.out_channels").value == 6
    assert at.text_input(key="cnn.spec.dense").value == "16"
    titles = [json.loads(c.proto.spec)["layout"].get("title", {}).get("text", "") for c in at.get("plotly_chart")]
    assert any(t.startswith("Confusion") for t in titles) and any(t.startswith("First-layer filters") for t in titles)
    assert any(t.startswith("Class probabilities") for t in titles)  # predictions from the imported weights
    view = at.session_state["imported_cnn"]
    np.testing.assert_array_equal(view.snapshot["confusion"], snap["confusion"])
    assert len(loss_points(at)) == 2


def test_config_import_sets_the_controls_and_clears_the_link_notice():
    at = AppTest.from_file(os.path.join(PAGES, "playground.py"), default_timeout=120)
    at.query_params["utm_source"] = "lms"
    at.run()
    assert at.warning  # the link's notice ...
    cfg = PG_CFG.replace(train={"device": "cuda"} if not _has_gpu() else {})
    at = upload(at, "pg", cfg.to_json().encode(), "run_config.json")
    assert not at.exception and not at.error
    assert not at.warning  # ... is gone: the page shows the imported setup now
    assert at.selectbox(key="pg.model.activation").value == "relu"
    assert at.selectbox(key="pg.train.device").value in ("auto", "cuda")
    assert any(s.value.startswith("Config imported") for s in at.success)


def test_a_2d_config_on_the_cnn_page_is_refused_with_a_sentence():
    at = upload(page("cnn.py"), "cnn", PG_CFG.to_json().encode(), "run_config.json")
    assert not at.exception
    assert any("import it on the Playground" in e.value for e in at.error)
    assert at.selectbox(key="cnn.data.dataset").value == "digits"


def _has_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def test_a_run_trained_until_paused_past_its_epochs_imports():
    """The default Playground run goes past `epochs` until the student stops it; its file must import (it was refused:
    'history columns must have one value per epoch (at most 100)', found by a student walkthrough)."""
    from nnlib.train.job import payload_builder
    from nnlib.train.trainer import Trainer

    cfg = PG_CFG.replace(train={"epochs": 5, "until_paused": True})
    trainer = Trainer(cfg.replace(train={"epochs": 12}))  # what the job runner does: train to the server's horizon
    trainer.run()
    snap = payload_builder(cfg, open_ended=True)(trainer, True)
    data = export_run(cfg, snap, {k: v.detach().cpu().numpy() for k, v in trainer.model.state_dict().items()})
    at = upload(page("playground.py"), "pg", data)
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("Run imported: 12 epochs" in s.value for s in at.success)
    bar = at.get("progress")[0].proto
    assert bar.value == 100 and "Epoch 12 ·" in bar.text and "/ 5" not in bar.text


def test_a_partial_config_keeps_the_settings_it_does_not_mention():
    """A config file naming only some settings changes only those (a student imported one with dataset, layers,
    activation, lr and epochs: "Until I pause" flipped back on, so the next run went past the 60 epochs shown)."""
    at = page("playground.py")
    at.toggle(key="pg.train.until_paused").set_value(False).run()
    at.selectbox(key="pg.train.optimizer").set_value("adam").run()
    partial = {"data": {"dataset": "xor"}, "model": {"hidden": [5, 3], "activation": "relu"},
               "train": {"lr": 0.1, "epochs": 60}}
    at = upload(at, "pg", json.dumps(partial).encode(), "run_config.json")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(s.value.startswith("Config imported") for s in at.success)
    assert at.toggle(key="pg.train.until_paused").value is False  # kept, not the RunConfig default (on)
    assert at.selectbox(key="pg.train.optimizer").value == "adam"
    assert at.selectbox(key="pg.model.activation").value == "relu"  # ... and what the file names is applied
    assert at.selectbox(key="pg.data.dataset").value == "xor"
    assert at.session_state["pg.train.epochs"] == 60


def test_a_partial_config_merges_over_the_current_setup():
    from ui.share_panel import config_over

    base = PG_CFG.replace(train={"optimizer": "adam", "until_paused": False}, model={"norm": "layer"})
    cfg = config_over(base, '{"train": {"lr": 0.5}, "model": {"activation": "sigmoid"}}')
    assert cfg == base.replace(train={"lr": 0.5}, model={"activation": "sigmoid"})
    # a file from before `norm` existed: its batch_norm says what it meant, whatever the page shows now
    assert config_over(base, '{"model": {"batch_norm": true}}').model.norm == "batch"
    assert config_over(base, '{"model": {"batch_norm": false}}').model.norm == "none"
    # the page's per-layer activations belong to its layers: a file naming other layers or one activation wins
    per_layer = base.replace(model={"layer_activations": ("relu", "tanh")})
    assert config_over(per_layer, '{"model": {"hidden": [4, 4, 4]}}').model.layer_activations == ()
    assert config_over(per_layer, '{"train": {"lr": 0.5}}').model.layer_activations == ("relu", "tanh")
