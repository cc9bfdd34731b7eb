"""Settings survive page switches, hidden widgets and finished runs; the run bar comes from one place.

These drive app.py (st.navigation) in AppTest, which drops the widget keys of a page that was not rendered
exactly as a real server does.
"""

from __future__ import annotations

import os
import time

import pytest
from streamlit.testing.v1 import AppTest

from nnlib.config import RunConfig

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
APP = os.path.join(ROOT, "app.py")
PG = "pages/playground.py"
CNN = "pages/cnn.py"


def app(page: str = PG, **query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    at.run()
    if page != PG:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def widget(at: AppTest, key: str):
    """The rendered widget with this key, whatever its type."""
    for kind in ("selectbox", "number_input", "slider", "select_slider", "toggle", "checkbox", "text_input"):
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise AssertionError(f"no widget {key!r} on the page")


def assert_widgets_show(at: AppTest, prefix: str, cfg: RunConfig, fields: dict[str, tuple[str, ...]]) -> None:
    for section, names in fields.items():
        for name in names:
            want = getattr(getattr(cfg, section), name)
            got = widget(at, f"{prefix}.{section}.{name}").value
            assert got == want or (isinstance(want, tuple) and tuple(got) == want), (section, name, got, want)


PG_LINK = {"data__dataset": "xor", "data__noise": "10.0", "model__hidden": "5,3", "model__activation": "relu",
           "model__initializer": "he_normal", "model__dropout": "0.1", "train__epochs": "30", "train__lr": "0.1",
           "train__batch_size": "5", "train__optimizer": "momentum", "train__momentum": "0.5", "train__seed": "7",
           "train__l2": "0.001", "train__until_paused": "0"}
PG_FIELDS = {"data": ("dataset", "noise"), "model": ("activation", "initializer", "dropout"),
             "train": ("epochs", "lr", "batch_size", "optimizer", "momentum", "seed", "l2")}


def wait_finished(at: AppTest, slot: str, timeout: float = 120.0) -> AppTest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        progress = at.get("progress")
        if progress and any(s in progress[0].proto.text for s in ("finished", "stopped", "failed")):
            return at
        time.sleep(0.5)
        at.run()
    raise AssertionError(f"the {slot} job did not finish in time")


@pytest.mark.slow
def test_playground_settings_survive_page_switches_and_a_finished_run():
    at = app(**PG_LINK)
    linked = RunConfig.from_query({k.replace("__", "."): v for k, v in PG_LINK.items()})
    at.switch_page(CNN).run()
    at.switch_page(PG).run()  # the KeyError 'pg.data.dataset' of issue 8 came here
    assert not at.exception, at.exception
    assert_widgets_show(at, "pg", linked, PG_FIELDS)
    at.button(key="pg.train").click().run()
    wait_finished(at, "playground")
    ran = RunConfig.from_json(at.session_state["pg.job_cfg"][1])
    assert ran == linked  # the job ran exactly the linked setup ...
    assert_widgets_show(at, "pg", ran, PG_FIELDS)  # ... and the finished page still shows it
    assert [widget(at, f"pg.width.{i}").value for i in range(2)] == [5, 3]
    at.switch_page(CNN).run()
    at.switch_page(PG).run()
    assert_widgets_show(at, "pg", ran, PG_FIELDS)


def test_a_hidden_widget_keeps_its_value():
    at = app(train__optimizer="momentum", train__momentum="0.5")
    at.selectbox(key="pg.train.optimizer").set_value("adam").run()  # the momentum field is not rendered now
    at.selectbox(key="pg.train.optimizer").set_value("momentum").run()
    assert at.number_input(key="pg.train.momentum").value == 0.5


CNN_FIELDS = {"data": ("dataset", "n_samples", "train_frac"), "model": ("initializer", "activation"),
              "train": ("epochs", "lr", "batch_size", "optimizer", "l2")}


@pytest.mark.slow
def test_cnn_settings_and_spec_editor_survive_page_switches_and_a_finished_run():
    at = app(CNN)
    at.number_input(key="cnn.train.epochs").set_value(2).run()
    at.number_input(key="cnn.data.n_samples").set_value(400).run()
    at.selectbox(key="cnn.model.activation").set_value("tanh").run()
    at.button(key="cnn.spec.add").click().run()  # three blocks
    at.number_input(key="cnn.spec.2.out_channels").set_value(12).run()
    at.text_input(key="cnn.spec.dense").set_value("32, 16").run()
    spec_keys = [f"cnn.spec.{i}.{f}" for i in range(3) for f in ("kind", "out_channels", "kernel", "pool")]
    shown = {k: widget(at, k).value for k in spec_keys + ["cnn.spec.dense", "cnn.spec.preset"]}
    at.switch_page(PG).run()
    at.switch_page(CNN).run()
    assert not at.exception, at.exception
    assert {k: widget(at, k).value for k in shown} == shown
    at.button(key="cnn.train").click().run()
    wait_finished(at, "cnn")
    ran = RunConfig.from_json(at.session_state["cnn.job_cfg"][1])
    assert len(ran.model.cnn.blocks) == 3 and ran.model.cnn.blocks[2].out_channels == 12
    assert ran.model.cnn.dense == (32, 16) and ran.model.activation == "tanh" and ran.data.n_samples == 400
    at.switch_page(PG).run()
    at.switch_page(CNN).run()
    assert_widgets_show(at, "cnn", ran, CNN_FIELDS)
    assert {k: widget(at, k).value for k in shown} == shown
    assert any(m.value == "**3 conv blocks**" for m in at.markdown)


def test_cnn_mlp_baseline_layers_survive_a_page_switch():
    at = app(CNN)
    at.selectbox(key="cnn.spec.preset").set_value("mlp").run()
    at.button(key="cnn.add_layer").click().run()
    at.number_input(key="cnn.width.1").set_value(24).run()
    at.switch_page(PG).run()
    at.switch_page(CNN).run()
    assert at.selectbox(key="cnn.spec.preset").value == "mlp"
    assert at.number_input(key="cnn.width.1").value == 24
    assert at.query_params["model.hidden"] in ("64,24", ["64,24"])


@pytest.mark.slow
def test_a_run_ended_by_early_stopping_shows_a_full_bar_and_no_stop_button():
    at = app(data__noise="50.0", train__patience="1", train__epochs="400", train__lr="1.0", train__until_paused="0",
             train__speed="fast")
    at.button(key="pg.train").click().run()
    wait_finished(at, "playground")
    bar = at.get("progress")[0].proto
    assert "finished" in bar.text and "early-stopped" in bar.text, bar.text
    assert not bar.text.startswith("Epoch 400 ")  # it did end early ...
    assert bar.value == 100  # ... and the bar is full all the same
    assert at.button(key="pg.stop").disabled and at.button(key="pg.pause").disabled
