"""AppTest of what the Playground's charts show after a run: the run only while the controls still equal its config,
otherwise the current setup's data and untrained network with a note (issue 8: "the picture goes stale")."""

import json
import os
import time

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nnlib.config import RunConfig
from nnlib.data.bundle import load_data

PAGE = os.path.join(os.path.dirname(__file__), "..", "..", "pages", "playground.py")
pytestmark = pytest.mark.slow


def app(**query: str) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    return at.run()


def figures(at: AppTest) -> dict[str, dict]:
    """The static charts by their title's first word: 'Output', 'Network', 'Loss', 'Accuracy', 'RMSE', 'Data'."""
    out = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        out[spec["layout"]["title"]["text"].split()[0].rstrip(":")] = spec
    return out


def train_to_the_end(at: AppTest) -> None:
    at.button(key="pg.train").click().run()
    deadline = time.time() + 90
    while time.time() < deadline:
        time.sleep(0.5)
        at.run()
        if at.get("progress") and "finished" in at.get("progress")[0].proto.text:
            return
    raise AssertionError("the run did not finish within 90 s")


def decoded(values: object) -> np.ndarray:
    """A plotly array from the chart spec: a plain list, or base64 {'dtype', 'bdata'}."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=np.float32)


def shown_train_points(at: AppTest) -> np.ndarray:
    trace = next(t for t in figures(at)["Output"]["data"] if t.get("name") == "train points")
    return np.stack([decoded(trace["x"]), decoded(trace["y"])], axis=1).astype(np.float32)


def expected_train_points(cfg: RunConfig) -> np.ndarray:
    return load_data(cfg).points_train.astype(np.float32)


def notes(at: AppTest) -> str:
    return " ".join(i.value for i in at.info)


def test_a_new_dataset_after_a_regression_run_shows_the_new_data_untrained():
    at = app(data__dataset="plane", train__epochs="20", train__until_paused="0")
    untrained = figures(at)  # a regression's charts say so before any epoch (the history is empty)
    assert "RMSE" in untrained and "predicted value" in untrained["Output"]["layout"]["title"]["text"], untrained
    assert at.toggle(key="pg.discretize").disabled  # a number has no classes to paint
    train_to_the_end(at)
    assert "RMSE" in figures(at) and len(figures(at)["Loss"]["data"][0]["y"]) == 20

    at.segmented_control(key="pg.problem").set_value("classification").run()
    at.selectbox(key="pg.data.dataset").set_value("xor").run()
    at.slider(key="pg.data.noise").set_value(30.0).run()
    assert not at.exception and not at.error
    figs = figures(at)
    assert "Accuracy" in figs and "RMSE" not in figs  # the new problem's metric, not the old run's
    assert figs["Output"]["layout"]["title"]["text"] == "Output: decision boundary"
    assert not at.toggle(key="pg.discretize").disabled
    assert not figs["Loss"]["data"][0]["y"]  # untrained: no curve yet
    want = expected_train_points(RunConfig().replace(data={"dataset": "xor", "noise": 30.0}))
    np.testing.assert_allclose(shown_train_points(at), want, atol=1e-5)
    assert not at.get("progress")  # no "Epoch 20 / 20 · finished" above a picture that is not that run
    assert "used other settings" in notes(at) and "dataset plane → xor" in notes(at)


def test_the_finished_run_comes_back_when_the_controls_equal_its_config_again():
    at = app(train__epochs="15", train__until_paused="0")
    train_to_the_end(at)
    run_points = shown_train_points(at)

    at.slider(key="pg.data.noise").set_value(20.0).run()  # another setup: its preview, with the note
    assert "noise 0.0 → 20.0" in notes(at) and not at.get("progress")
    assert not figures(at)["Loss"]["data"][0]["y"]

    at.slider(key="pg.data.noise").set_value(0.0).run()  # the run's own setup again: the run, marked finished
    assert not notes(at)
    assert "finished" in at.get("progress")[0].proto.text
    assert len(figures(at)["Loss"]["data"][0]["y"]) == 15
    np.testing.assert_allclose(shown_train_points(at), run_points)


def test_new_data_and_a_wider_network_show_the_untrained_preview():
    at = app(train__epochs="10", train__until_paused="0")
    train_to_the_end(at)
    at.button(key="pg.regen").click().run()  # New data: another sample of the same dataset
    seed = at.session_state["pg.data.seed"]
    want = expected_train_points(RunConfig().replace(data={"seed": seed}))
    np.testing.assert_allclose(shown_train_points(at), want, atol=1e-5)
    assert "seed" in notes(at)

    at.number_input(key="pg.width.0").set_value(6).run()
    thumbnails = [t for t in figures(at)["Network"]["data"] if t["type"] == "heatmap"]
    assert len(thumbnails) == 2 + 6 + 2 + 1  # the new network's diagram (inputs, 6 + 2 neurons, output), not 4 + 2


def test_every_optimizer_and_schedule_extra_gets_a_widget_in_the_narrow_column():
    at = app(train__optimizer="adamw", train__schedule="plateau")
    for name in ("beta1", "beta2", "weight_decay", "lr_gamma", "lr_patience"):
        assert at.number_input(key=f"pg.train.{name}").help, name


def test_a_cold_server_draws_the_data_first_then_the_untrained_network():
    from ui import playground_views

    playground_views._warm.clear()  # as right after a server start, before torch is imported...
    playground_views.preview_snapshot.clear()  # ... and before any preview is cached
    at = app()
    assert not at.exception and not at.error
    figs = figures(at)
    assert set(figs) == {"Output", "Loss", "Network", "Accuracy", "Data"}  # the data-only draw was replaced
    assert any(t["type"] == "heatmap" for t in figs["Network"]["data"])
    assert playground_views.is_warm()
