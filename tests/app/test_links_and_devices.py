"""Shared links keep every usable setting (unknown parameters ignored, numbers clamped, bad choices dropped, one
notice listing them) and only the devices the server has are offered, on both pages."""

from __future__ import annotations

import os

import pytest
from streamlit.testing.v1 import AppTest

PAGES = os.path.join(os.path.dirname(__file__), "..", "..", "pages")


def _has_gpu() -> bool:
    import torch

    return bool(torch.cuda.is_available())


NO_GPU = pytest.mark.skipif(_has_gpu(), reason="this server has a CUDA GPU, so cuda is a valid device")


def page(name: str, **query: str) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, name), default_timeout=90)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    return at.run()


def notices(at: AppTest) -> str:
    return " ".join(w.value for w in at.warning)


def test_playground_link_with_tracking_and_out_of_range_values_keeps_the_rest():
    at = page("playground.py", data__dataset="xor", hide="controls", utm_source="lms", train__epochs="20000",
              model__activation="no_such", model__hidden="8,300", data__features="x1,x2,x1*x2,x9")
    assert not at.exception
    assert at.selectbox(key="pg.data.dataset").value == "xor"
    assert at.number_input(key="pg.train.epochs").value == 10_000
    assert at.selectbox(key="pg.model.activation").value == "tanh"
    assert [at.number_input(key=f"pg.width.{i}").value for i in range(2)] == [8, 256]
    assert at.session_state["pg.data.features"] == ["x1", "x2", "x1*x2"]
    assert len(at.warning) == 1
    text = notices(at)
    for part in ("'hide'", "'utm_source'", "train.epochs=20000", "so 10,000 is used", "model.activation='no_such'",
                 "'x9'", "model.hidden=8,300"):
        assert part in text, part
    assert at.query_params["data.dataset"] == "xor" and "utm_source" not in at.query_params


def test_cnn_link_with_unknown_parameters_and_a_2d_dataset_keeps_the_rest():
    at = page("cnn.py", train__epochs="20000", utm_medium="email", data__dataset="xor", train__lr="0.01",
              arch="lenet5")
    assert not at.exception
    assert at.selectbox(key="cnn.data.dataset").value == "digits"
    assert at.number_input(key="cnn.train.epochs").value == 10_000
    assert at.select_slider(key="cnn.train.lr").value == 0.01
    text = notices(at)
    assert "'utm_medium'" in text and "not an image dataset" in text and "train.epochs=20000" in text
    assert "arch" not in text  # a parameter of the page itself is no unknown setting


def test_lenient_config_clamps_floats_and_reports_nothing_for_a_clean_link():
    from nnlib.config import RunConfig
    from ui.links import lenient_config

    cfg, notes = lenient_config([("data.noise", "80"), ("train.lr", "0.1")], RunConfig())
    assert cfg.data.noise == 50.0 and cfg.train.lr == 0.1 and len(notes) == 1
    assert lenient_config([("train.lr", "0.1")], RunConfig())[1] == []


@NO_GPU
@pytest.mark.parametrize("name,prefix", [("playground.py", "pg"), ("cnn.py", "cnn")])
def test_a_cuda_link_on_a_cpu_server_becomes_auto_with_a_notice(name, prefix):
    at = page(name, train__device="cuda")
    assert not at.exception and not at.error
    device = at.selectbox(key=f"{prefix}.train.device")
    assert device.value == "auto"
    assert "cuda" not in device.options
    assert "no CUDA GPU" in device.help
    assert "cuda" in notices(at) and "'auto'" in notices(at)
    if prefix == "cnn":
        assert any("Device: **cpu**" in c.value for c in at.caption)
    else:
        assert len(at.get("plotly_chart")) == 5  # the charts, not a traceback


def test_a_note_about_a_setting_the_setup_ignores_says_it_has_no_effect():
    """A constant rate reads no LR step (the page does not even show it): "lr_step=0 ... so 1 is used" alone sent
    a student looking for it. A setting the setup uses gets no such remark."""
    from nnlib.config import RunConfig
    from ui.links import lenient_config

    _, notes = lenient_config([("train.lr_step", "0"), ("train.momentum", "2")], RunConfig())  # constant, sgd
    assert notes == ["train.lr_step=0 is out of range (1 to 10,000), so 1 is used (it has no effect now: LR "
                     "schedule constant)", "train.momentum=2 is out of range (0 to 0.999), so 0.999 is used (it has "
                     "no effect now: Optimizer sgd)"]
    _, notes = lenient_config([("train.schedule", "step"), ("train.lr_step", "0"), ("train.optimizer", "momentum"),
                               ("train.momentum", "2")], RunConfig())
    assert notes == ["train.lr_step=0 is out of range (1 to 10,000), so 1 is used",
                     "train.momentum=2 is out of range (0 to 0.999), so 0.999 is used"]


def share_code(at: AppTest) -> str:
    """The share link the page shows (the first st.code holding a query)."""
    return next(c.value for c in at.code if "?" in c.value)


def test_playground_view_toggles_travel_in_the_address_and_the_share_link():
    """'Show test data' and 'Discretize output' were lost on a reload and missing from the share link (walkthrough
    40_settings.png vs 43_after_reload.png): a friend's link showed the plane without the test points."""
    at = page("playground.py", data__dataset="spiral")
    assert not at.toggle(key="pg.show_test").value and "view.show_test" not in at.query_params
    at.toggle(key="pg.show_test").set_value(True).run()
    at.toggle(key="pg.discretize").set_value(True).run()
    assert not at.exception
    assert at.query_params["view.show_test"] == "1" and at.query_params["view.discretize"] == "1"  # a reload's URL
    link = share_code(at)
    assert "view.show_test=1" in link and "view.discretize=1" in link and "data.dataset=spiral" in link
    again = page("playground.py", **{k.replace(".", "__"): at.query_params[k] for k in at.query_params})
    assert not again.exception and not again.warning  # no "unknown link parameter"
    assert again.toggle(key="pg.show_test").value and again.toggle(key="pg.discretize").value
    assert again.selectbox(key="pg.data.dataset").value == "spiral"
    again.toggle(key="pg.show_test").set_value(False).run()
    assert "view.show_test" not in again.query_params and "view.show_test" not in share_code(again)


def test_a_bad_view_toggle_in_a_link_gets_a_sentence_and_the_rest_is_applied():
    at = page("playground.py", data__dataset="xor", view__show_test="maybe", view__discretize="off")
    assert not at.exception
    assert not at.toggle(key="pg.show_test").value and not at.toggle(key="pg.discretize").value
    assert at.selectbox(key="pg.data.dataset").value == "xor"
    text = notices(at)
    assert len(at.warning) == 1 and "view.show_test='maybe' is not 1 (on) or 0 (off), so it is ignored" in text
    assert "unknown" not in text
