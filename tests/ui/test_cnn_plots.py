"""CNN plot builders: figures and live patches from snapshot-shaped plain data (no torch), compact on the wire."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
from PIL import Image

from nnlib.inspect.filters import to_uint8_grid
from ui import cnn_plots as CP
from ui.plots import encode

NAMES = [str(i) for i in range(10)]
RNG = np.random.default_rng(0)


def fake_snapshot(rgb: bool = False, epochs: int = 4) -> dict:
    c = 3 if rgb else 1
    filters = RNG.random((8, c, 3, 3)).astype(np.float32)
    maps1, maps2 = RNG.random((8, 8, 8)), RNG.random((16, 4, 4))
    cm = np.diag(np.full(10, 5)) + (RNG.random((10, 10)) < 0.1)
    return {
        "status": "running", "epoch": epochs, "epochs": 10, "elapsed": 1.0, "device": "cpu",
        "history": {"epoch": list(range(1, epochs + 1)), "train_loss": [2.0 / e for e in range(1, epochs + 1)],
                    "val_loss": [2.1 / e for e in range(1, epochs + 1)],
                    "train_accuracy": [0.2 * e for e in range(1, epochs + 1)],
                    "val_accuracy": [0.19 * e for e in range(1, epochs + 1)]},
        "filters": to_uint8_grid(filters), "filters_shape": list(filters.shape),
        "feature_maps": [("block 1 (conv)", to_uint8_grid(maps1[:, None])),
                         ("block 2 (conv)", to_uint8_grid(maps2[:, None]))],
        "confusion": cm,
        "per_class": {"precision": [0.9] * 10, "recall": [0.8] * 10, "f1": [0.85] * 10, "support": [5] * 10,
                      "macro_f1": 0.85, "accuracy": 0.9},
        "mistakes": [{"index": i, "true": 1, "pred": 7, "top3": [(7, 0.8), (1, 0.15), (4, 0.05)]} for i in range(5)],
        "probe": 0,
    }


def pixels(trace: dict) -> np.ndarray:
    """The picture an image trace carries as a PNG data URI (palette indices for palette PNGs)."""
    assert trace["type"] == "image" and trace["source"].startswith("data:image/png;base64,")
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(trace["source"].split(",", 1)[1]))))


def test_retile_turns_a_column_into_a_square():
    col = to_uint8_grid(RNG.random((16, 1, 4, 4)))
    assert col.shape == (16 * 5 - 1, 4)  # the snapshot's single column
    sq = CP.retile(col, 4, 4, 16)
    assert sq.shape == (4 * 5 - 1, 4 * 5 - 1)
    assert np.array_equal(sq[:4, 5:9], np.minimum(col[5:9, :4], 254))  # tile 1 moved to row 0, column 1
    assert sq[4, 0] == CP.SEP and sq.max() == CP.SEP  # separators keep their own value
    assert CP.retile(np.zeros((7, 7), np.uint8), 4, 4, 16).shape == (7, 7)  # unexpected tiling: unchanged


def test_figures_hold_the_snapshot():
    snap = fake_snapshot()
    images = RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8)
    figs = CP.cnn_figures(snap, NAMES, images)
    assert set(figs) == {"loss", "metric", "filters", "fmap1", "fmap2", "confusion", "prf", "mistakes"}
    filt = pixels(figs["filters"]["data"][0])
    assert filt.shape == (11, 11) and filt[3, 0] == CP.SEP  # 8 filters of 3x3, 3 per row, separators kept
    assert pixels(figs["fmap2"]["data"][0]).shape == (19, 19)  # 16 maps of 4x4, 4 per row
    conf = figs["confusion"]["data"][0]
    assert conf["x"] == NAMES and conf["text"].sum() == snap["confusion"].sum()
    assert [t["name"] for t in figs["prf"]["data"]] == ["precision", "recall", "f1"]
    gallery = figs["mistakes"]["data"]
    assert len(gallery) == CP.MAX_MISTAKES + 1 and np.array_equal(pixels(gallery[0]), CP.cap(images[0, 0]))
    assert "true 1<br>→ 7" in gallery[-1]["text"][0] and "7: 80%" in gallery[-1]["text"][0]
    assert CP.cnn_rows(figs) == [["loss", "metric", "filters"], ["fmap1", "fmap2"], ["confusion", "prf"],
                                 ["mistakes"]]
    json.dumps(encode(figs), allow_nan=False)


def test_finished_gallery_takes_only_the_rows_it_fills():
    snap = fake_snapshot()  # 5 mistakes: one row of 6
    images = RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8)
    height = lambda **kw: CP.mistakes_figure({**snap, **kw}, images, NAMES)["layout"]["height"]  # noqa: E731
    live, final = height(), height(final=True)
    assert final < live
    assert height(final=True, mistakes=[]) == final  # no mistakes still keeps one (empty) row
    two_rows = height(final=True, mistakes=snap["mistakes"] * 2)  # 10 mistakes: two rows of 6
    assert two_rows == live  # the live gallery keeps room for all 12 (two rows)
    assert two_rows - final == final - 50  # exactly one row more; 50 px is the title's margin


def test_rgb_filters_are_colour_images():
    snap = fake_snapshot(rgb=True)
    assert pixels(CP.filters_figure(snap)["data"][0]).shape == (11, 11, 3)
    assert "(RGB)" in CP.filters_figure(snap)["layout"]["title"]["text"]
    assert "weights as images" in CP.filters_figure(snap, dense=True)["layout"]["title"]["text"]


def test_palette_follows_the_colorscale_and_keeps_the_separator_colour():
    pal = np.array(CP.palette(CP.MAPS)).reshape(256, 3)
    assert pal[0].tolist() == [0x44, 0x01, 0x54] and pal[254].tolist() == [0xfd, 0xe7, 0x25]  # viridis ends
    assert pal[255].tolist() == [0xc9, 0xd3, 0xdf]  # the separator colour, not a blend


def test_live_patches_are_small():
    snap = fake_snapshot(epochs=30)
    images = RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8)
    CP.register_test_images("k1", images, NAMES)
    patches = CP.live_patcher(snap, {"data": "k1", "have": "28"})  # no turn: every picture
    assert patches["loss"][0]["extend"] and list(patches["loss"][0]["x"]) == [29, 30]  # only the new epochs
    assert patches["filters"][0]["source"].startswith("data:image/png;base64,")
    assert set(patches) == {"loss", "metric", "filters", "fmap1", "fmap2", "confusion", "prf", "mistakes"}
    body = json.dumps(encode(patches), allow_nan=False)
    assert '"bdata"' in body and len(body) < 20_000
    unknown = CP.live_patcher(snap, {"data": "nope", "have": "x"})  # server restarted: no images, still works
    assert list(unknown["loss"][0]["x"])[0] == 1 and len(unknown["prf"][0]["y"]) == 10


def test_heavy_pictures_go_round_within_the_budget():
    """A deep net's many feature-map grids: each update stays within the budget, the continuations of one snapshot
    bring each picture once, and the next snapshot's round starts where this one stopped."""
    snap = fake_snapshot(epochs=30)
    snap["feature_maps"] = [(f"block {i}", to_uint8_grid(RNG.random((32, 1, 28, 28)))) for i in range(1, 7)]
    images = RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8)
    CP.register_test_images("k2", images, NAMES)
    everything = {"filters", "mistakes", *(f"fmap{i}" for i in range(1, 7))}

    def pictures(patches: dict) -> list[str]:
        return [k for k in patches if k in everything]

    first = CP.live_patcher(snap, {"data": "k2", "have": "30", "turn": "0"})
    assert {"loss", "metric", "confusion", "prf"} <= set(first)  # a new snapshot: the numbers come first
    sent, sweep = pictures(first), first[CP.SWEEP]
    assert sent and 0 < sweep["left"] < len(everything) and sweep["next"] == len(sent)
    while sweep["left"]:
        more = CP.live_patcher(snap, {"data": "k2", "have": "30", "turn": str(sweep["next"]),
                                      "left": str(sweep["left"])})
        assert "loss" not in more and "confusion" not in more  # a continuation carries only pictures
        got = pictures(more)
        assert got and (len(got) == 1 or sum(len(v["source"]) for k in got for v in more[k].values()
                                             if "source" in v) <= CP.PICTURE_BUDGET)
        sent += got
        sweep = more[CP.SWEEP]
    assert sorted(sent) == sorted(everything)  # every picture once
    again = CP.live_patcher(snap, {"data": "k2", "have": "30", "turn": str(sweep["next"])})
    assert pictures(again)[0] == sent[0]  # all went round: the next round starts where this one did
    final = CP.live_patcher({**snap, "final": True}, {"data": "k2", "have": "30", "turn": "3"})
    assert everything <= set(final) and CP.SWEEP not in final  # the final update completes every picture


def test_prediction_figures():
    fig = CP.probabilities_figure(np.array([0.1, 0.7, 0.2]), ["a", "b", "c"], true=2)
    assert "predicted b (70.0%)" in fig["layout"]["title"]["text"]
    aug = CP.augmentation_figure(RNG.random((8, 1, 8, 8)).astype(np.float32), "aug")
    assert pixels(aug["data"][0]).shape == (8, 8 * 9 - 1)


def test_the_test_loss_measured_once_at_the_end_is_drawn_as_a_point():
    """An image run measures the test split only when it ends: a 'lines' trace cannot draw that single point."""
    snap = {**fake_snapshot(epochs=3), "final": True}
    snap["history"]["test_loss"] = [None, None, 0.25]
    test = next(t for t in CP.cnn_figures(snap, NAMES, None)["loss"]["data"] if t["name"] == "test")
    assert "markers" in test["mode"] and test["y"] == [None, None, 0.25] and test["x"] == [1, 2, 3]
    every_epoch = {**snap, "history": {**snap["history"], "test_loss": [0.5, 0.4, 0.25]}}  # a Playground run
    assert next(t for t in CP.cnn_figures(every_epoch, NAMES, None)["loss"]["data"]
                if t["name"] == "test")["mode"] == "lines"


def test_the_test_split_measured_at_the_end_is_on_both_curve_charts_and_in_their_titles():
    """The CNN page's loss chart had a 'test' marker under the title "Loss: train vs validation", and the accuracy
    chart had no test point at all though the status line says the test accuracy (walkthrough 23c_crop.png)."""
    snap = {**fake_snapshot(epochs=3), "final": True}
    snap["history"].update(test_loss=[None, None, 0.25], test_accuracy=[None, None, 0.9])
    figs = CP.cnn_figures(snap, NAMES, None)
    assert figs["loss"]["layout"]["title"]["text"] == "Loss: train, validation and test"
    assert figs["metric"]["layout"]["title"]["text"] == "Accuracy: train, validation and test"
    test = next(t for t in figs["metric"]["data"] if t["name"] == "test accuracy")
    assert "markers" in test["mode"] and test["y"] == [None, None, 0.9] and test["showlegend"]
    assert CP.cnn_patches(snap, NAMES, None)["metric"][2]["y"][-1] == np.float32(0.9)  # live too


def test_every_figure_carries_the_one_chart_style():
    """The style travels with the figure (ui.plots.TEMPLATE), so plotly.js while training and st.plotly_chart
    (theme=None) after the run draw the same chart; prediction figures share it."""
    from ui.plots import TEMPLATE

    figs = CP.cnn_figures(fake_snapshot(), NAMES, RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8))
    figs["probabilities"] = CP.probabilities_figure(np.full(len(NAMES), 0.1), NAMES, 1)
    figs["picture"] = CP.picture_figure(np.zeros((8, 8), np.uint8), "input")
    assert {fid: f["layout"].get("template") for fid, f in figs.items()} == dict.fromkeys(figs, TEMPLATE)


def test_before_the_first_epoch_the_panels_say_they_are_waiting_and_the_first_data_clears_that():
    """While a run prepares, the confusion matrix was a full grid of 0s and the filter / feature-map panels blank
    grey squares: a student read "the model predicts nothing". Before data: blank cells, hidden pictures and a
    note; the live patches that bring the data show the pictures and hide the notes (as live.js applies them)."""
    images = RNG.integers(0, 255, (20, 1, 8, 8), dtype=np.uint8)
    figs = CP.cnn_figures({"filters_shape": [8, 1, 3, 3]}, NAMES, images, n_blocks=2)
    heat, note = figs["confusion"]["data"]
    assert {t for row in heat["text"] for t in row} == {""}  # no 0s
    assert note["visible"] and "after the first epoch" in note["text"][0]
    for fid in ("filters", "fmap1", "fmap2"):
        picture, note = figs[fid]["data"]
        assert not picture["visible"] and note["visible"] and "after the first epoch" in note["text"][0], fid
    assert "after the first epoch" in figs["mistakes"]["data"][-1]["text"][0]
    json.dumps(encode(figs), allow_nan=False)

    patches = CP.cnn_patches(fake_snapshot(), NAMES, images)
    for fid in ("confusion", "filters", "fmap1", "fmap2", "mistakes"):
        for idx, values in patches[fid].items():
            figs[fid]["data"][idx].update(values)
    for fid in ("confusion", "filters", "fmap1", "fmap2"):
        first, note = figs[fid]["data"]
        assert first.get("visible", True) and not note["visible"], fid
    assert "true 1" in figs["mistakes"]["data"][-1]["text"][0]
    done = CP.cnn_figures(fake_snapshot(), NAMES, images, n_blocks=2)  # a finished run: no notes at all
    assert not any(t["visible"] for f in ("confusion", "filters", "fmap1") for t in done[f]["data"][1:])
