"""Plot builders: figures and live patches from a real snapshot, small enough for the wire."""

import json

import numpy as np
import pytest

from nnlib.config import RunConfig
from nnlib.inspect.snapshot import playground_snapshot
from nnlib.train.trainer import Trainer
from ui.plots import TEMPLATE, encode, playground_figures, playground_patches, to_u8
from ui.status_line import status_text


@pytest.fixture(scope="module")
def trained():
    t = Trainer(RunConfig().replace(model={"hidden": (8, 8, 8, 8, 8, 8)}, train={"epochs": 5}))
    t.run()
    return t, playground_snapshot(t, True)


def points(t):
    d = t.data
    return {"train": (d.points_train[:, 0], d.points_train[:, 1], d.y_train),
            "test": (d.points_test[:, 0], d.points_test[:, 1], d.y_test)}


def test_every_figure_carries_the_one_chart_style(trained):
    """The live view (plotly.js) and the static charts (st.plotly_chart, theme=None) draw the figure's own style."""
    t, snap = trained
    figs = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], True, False, 2)
    assert {fid: f["layout"].get("template") for fid, f in figs.items()} == dict.fromkeys(figs, TEMPLATE)
    assert TEMPLATE["layout"]["title"]["xanchor"] == "left" and TEMPLATE["layout"]["colorway"][:2] == [
        "#f59322", "#0877bd"]  # the class colours first


def test_figures_hold_the_run(trained):
    t, snap = trained
    figs = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], True, False, 2)
    assert set(figs) == {"boundary", "network", "loss", "metric", "penalty"}
    loss = figs["loss"]["data"]
    assert loss[0]["y"] == snap["history"]["train_loss"] and len(loss[1]["y"]) == 5
    heat = figs["boundary"]["data"][0]
    assert heat["type"] == "heatmap" and heat["z"].shape == (100, 100) and heat["z"].dtype == np.uint8
    assert figs["boundary"]["data"][2]["visible"] is True  # test points on
    n_heat = sum(tr["type"] == "heatmap" for tr in figs["network"]["data"])
    assert n_heat == 2 + 6 * 8 + 1  # inputs + hidden neurons + output
    json.dumps(encode(figs))  # JSON-ready


def test_discretize_makes_the_boundary_two_coloured(trained):
    t, snap = trained
    figs = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], False, True, 2)
    assert set(np.unique(figs["boundary"]["data"][0]["z"])) <= {0, 255}


def test_patches_are_small_and_index_the_same_traces(trained):
    t, snap = trained
    patches = playground_patches(snap, [], False)
    figs = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], False, False, 2)
    for fid, patch in patches.items():
        for idx in patch:
            assert idx < len(figs[fid]["data"])
    body = json.dumps(encode(patches), separators=(",", ":"))
    assert len(body) < 30_000  # TF Playground's largest net (6 x 8): 51 thumbnails + boundary
    later = playground_patches(snap, [], False, have=4)
    assert later["loss"][0]["extend"] and later["loss"][0]["x"] == [5]  # only the epoch the browser lacks
    assert later["boundary"][0]["z"].shape == (50, 50)


def test_default_net_refresh_is_small():
    t = Trainer(RunConfig().replace(train={"epochs": 3}))
    t.run()
    snap = playground_snapshot(t, False)
    body = json.dumps(encode(playground_patches(snap, [], False, have=2)), separators=(",", ":"))
    assert len(body) < 12_000, len(body)


def test_typed_array_encoding_round_trips():
    a = to_u8(np.linspace(-1, 1, 12).reshape(3, 4), -1, 1)
    spec = encode(a)
    import base64

    assert spec["dtype"] == "u1" and spec["shape"] == "3,4"
    assert np.frombuffer(base64.b64decode(spec["bdata"]), np.uint8).tolist() == a.ravel().tolist()
    assert encode(float("nan")) is None


def test_status_text():
    info = status_text({"epoch": 3, "epochs": 10, "history": {"val_loss": [1.0, 0.5]}}, "running", None)
    assert info["epoch"] == 3 and info["val_loss"] == 0.5


def wide_snapshot(widths: list[int]) -> dict:
    """A snapshot of a dense net with these layer widths (inputs first), random weights and thumbnails."""
    rng = np.random.default_rng(0)
    return {"weights": [{"weight": rng.normal(size=(b, a)).astype(np.float32), "bias": np.zeros(b, np.float32)}
                        for a, b in zip(widths, widths[1:], strict=False)],
            "inputs": rng.random((widths[0], 6, 6)).astype(np.float32),
            "neurons": [rng.random((n, 6, 6)).astype(np.float16) for n in widths[1:-1]],
            "grid": {"prob": rng.random((20, 20)).astype(np.float32), "xs": np.arange(20.0), "ys": np.arange(20.0)}}


@pytest.mark.parametrize("widths", [[2, 1], [2, 8, 1], [2, 9, 1], [7, 32, 32, 32, 1], [2, 256, 3, 1], [3, 64, 10]])
def test_network_diagram_height_is_bounded_for_any_width(widths):
    from ui.plots import MAX_SHOWN, network_figure

    snap = wide_snapshot(widths)
    fig = network_figure(snap, [f"f{i}" for i in range(widths[0])])
    assert fig["layout"]["height"] <= 40 * MAX_SHOWN + 60  # three layers of 32 were 1,532 px: curves off-screen
    y0, y1 = fig["layout"]["yaxis"]["range"]
    assert y1 - y0 <= MAX_SHOWN + 1
    thumbs = [t for t in fig["data"] if t["type"] == "heatmap"]
    assert all(-(MAX_SHOWN + 1) < t["y0"] < 1 for t in thumbs)  # every thumbnail inside the drawn range
    drawn = [min(n, MAX_SHOWN - 1) if n > MAX_SHOWN else n for n in widths[:-1]]
    assert len(thumbs) == sum(drawn) + (1 if widths[-1] == 1 else 0)
    more = sorted(a["text"] for a in fig["layout"]["annotations"] if "more" in a["text"])
    assert more == sorted(f"+{n - MAX_SHOWN + 1}<br>more" for n in widths if n > MAX_SHOWN)
    patch = playground_patches(snap, [], False)["network"]  # the live patches address the same traces
    assert set(patch) == set(range(len(fig["data"])))


def test_the_output_chart_is_titled_by_the_task(trained):
    """A regression has a predicted surface, not a decision boundary (a walkthrough read the regression's chart
    titled "Output: decision boundary"); the title comes from the task even before the first grid (a cold draw)."""
    t, snap = trained
    titles = {k: playground_figures(s, points(t), t.data.domain, ["x1", "x2"], False, False, k, k == 1)["boundary"]
              ["layout"]["title"]["text"] for k, s in ((2, snap), (1, {}), (3, snap))}  # a regression: 1 output
    assert titles[2] == titles[3] == "Output: decision boundary"
    assert "boundary" not in titles[1] and "predicted value" in titles[1]
    cold = playground_figures({}, points(t), t.data.domain, ["x1", "x2"], False, False, 1, True)
    assert cold["boundary"]["data"][0]["colorbar"]["title"]["text"] == "ŷ"  # a value, not P(blue)
    # the metric chart a regression run is drawn with before its first epoch (then only patched): RMSE, not accuracy
    assert cold["metric"]["layout"]["title"]["text"].startswith("RMSE") and "range" not in cold["metric"]["layout"][
        "yaxis"] and [tr["name"] for tr in cold["metric"]["data"]] == ["train rmse", "validation rmse", "test rmse"]


def _legend(traces):
    return [tr["name"] for tr in traces if tr.get("showlegend", True) and tr.get("visible", True) is not False]


def test_the_test_loss_is_neither_drawn_nor_announced_without_show_test(trained):
    """With "Show test data" off the loss chart's legend said "test": in the first figure and in every live patch
    (the route builds them from the page's options: ui.live's patcher and the worker's ready pictures' curves)."""
    from ui.live import PATCHERS, poll_arguments

    t, snap = trained
    assert any(v is not None for v in snap["history"]["test_loss"])  # the run measured it
    off = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], False, False, 2)["loss"]["data"]
    on = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], True, False, 2)["loss"]["data"]
    assert "test" not in _legend(off) and len(off[2]["y"]) == 0
    assert "test" in _legend(on) and len(on[2]["y"]) == 5
    opts = poll_arguments({"have": "2", "disc": "0", "test": "0"})[3]
    patch = PATCHERS["playground"](snap, opts)["loss"][2]
    assert len(patch["y"]) == 0 and patch["showlegend"] is False
    shown = PATCHERS["playground"](snap, {**opts, "test": "1"})["loss"][2]
    assert len(shown["y"]) == 3 and shown["showlegend"] is True


def test_the_accuracy_chart_shows_the_test_curve_with_the_loss_chart_and_both_titles_say_so(trained):
    """With "Show test data" on the loss chart drew a dotted test line and the accuracy chart next to it none, under
    titles that both said (or implied) "train vs validation" (walkthrough 61_after_switch.png): the two charts draw the
    same splits, in the first figure and in the live patches, and their titles name them."""
    from ui.live import PATCHERS

    t, snap = trained
    assert any(v is not None for v in snap["history"]["test_accuracy"])  # the run measured it
    for show in (True, False):
        figs = playground_figures(snap, points(t), t.data.domain, ["x1", "x2"], show, False, 2)
        loss, metric = figs["loss"], figs["metric"]
        assert ("test" in _legend(loss["data"])) is show
        assert ("test accuracy" in _legend(metric["data"])) is show
        words = "train, validation and test" if show else "train vs validation"
        assert loss["layout"]["title"]["text"] == f"Loss: {words}"
        assert metric["layout"]["title"]["text"] == f"Accuracy: {words}"
        patch = PATCHERS["playground"](snap, {"have": "2", "disc": "0", "test": "1" if show else "0"})["metric"]
        assert len(patch[2]["y"]) == (3 if show else 0) and patch[2]["showlegend"] is show
    cold = playground_figures({}, points(t), t.data.domain, ["x1", "x2"], True, False, 2)  # then only patched
    assert cold["metric"]["layout"]["title"]["text"] == "Accuracy: train, validation and test"
    stored = playground_figures({"history": {k: v for k, v in snap["history"].items() if not k.startswith("test")}},
                                points(t), t.data.domain, ["x1", "x2"], True, False, 2)  # a history without test
    assert stored["loss"]["layout"]["title"]["text"] == "Loss: train vs validation"
