"""The normalization choice on the Playground (batch or layer norm) and per conv block on the CNN page: the widget
shows the formula, drives the link, and an old link with batch_norm=true opens with batch norm selected."""

from __future__ import annotations

import json
import os

from streamlit.testing.v1 import AppTest

PAGES = os.path.join(os.path.dirname(__file__), "..", "..", "pages")


def app(page: str, **query: str) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, page), default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_playground_layer_norm_goes_into_the_link_and_comes_back():
    at = app("playground.py")
    box = at.selectbox(key="pg.model.norm")
    assert box.options == ["none", "batch", "layer"]
    assert "sqrt(var + eps)" in box.help
    box.set_value("layer").run()
    assert not at.exception
    assert at.query_params["model.norm"] == "layer"
    again = app("playground.py", **{"model.norm": "layer"})
    assert again.selectbox(key="pg.model.norm").value == "layer"


def test_playground_old_batch_norm_link_selects_batch_norm_and_can_be_turned_off():
    at = app("playground.py", **{"model.batch_norm": "true"})
    assert not at.exception and not at.warning
    assert at.selectbox(key="pg.model.norm").value == "batch"
    at.selectbox(key="pg.model.norm").set_value("none").run()
    assert at.selectbox(key="pg.model.norm").value == "none"
    assert "model.norm" not in at.query_params and "model.batch_norm" not in at.query_params


def test_cnn_block_norm_choice_changes_the_summary_and_the_link():
    at = app("cnn.py")
    box = at.selectbox(key="cnn.spec.0.norm")
    assert box.options == ["none", "batch", "layer", "instance", "group"]
    assert "(C, H, W)" in box.help and "sqrt(var + eps)" in box.help
    box.set_value("instance").run()
    assert not at.exception
    layers = list(at.dataframe[0].value["layer"])
    assert any("instance norm" in name for name in layers)
    spec = json.loads(at.query_params["model.cnn"])
    assert spec["blocks"][0]["norm"] == "instance"
