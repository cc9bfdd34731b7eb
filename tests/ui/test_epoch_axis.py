"""The static Playground curves over few epochs (ui.epoch_axis; ui/live.js applies the same rule live)."""

from __future__ import annotations

from ui.epoch_axis import CURVES, FEW_EPOCHS, fit_epoch_axis
from ui.plots import playground_figures


def figures(epochs: int) -> dict:
    hist = {"epoch": list(range(1, epochs + 1)), "train_loss": [0.5] * epochs, "val_loss": [0.6] * epochs,
            "train_accuracy": [0.8] * epochs, "val_accuracy": [0.7] * epochs, "train_penalty": [0.0] * epochs}
    return playground_figures({"history": hist}, {}, (-6, 6, -6, 6), ["x1", "x2"], False, False, 2)


def test_a_one_epoch_curve_gets_a_marker_and_whole_epoch_ticks() -> None:
    figs = figures(1)
    for fid in CURVES:
        fit_epoch_axis(figs[fid])
        curves = [t for t in figs[fid]["data"] if len(t["x"]) == 1 and "lines" in t["mode"]]
        assert curves and all(t["mode"] == "lines+markers" for t in curves), fid
        assert figs[fid]["layout"]["xaxis"]["dtick"] == 1, fid
    assert figs["loss"]["data"][3]["mode"] == "markers"  # the best-epoch star stays a marker


def test_longer_curves_are_lines_and_a_long_run_keeps_plotlys_ticks() -> None:
    few, many = figures(3), figures(FEW_EPOCHS + 1)
    fit_epoch_axis(few["loss"])
    fit_epoch_axis(many["loss"])
    assert few["loss"]["data"][0]["mode"] == "lines" and few["loss"]["layout"]["xaxis"]["dtick"] == 1
    assert many["loss"]["data"][0]["mode"] == "lines" and "dtick" not in many["loss"]["layout"]["xaxis"]
    empty = fit_epoch_axis(figures(0)["loss"])  # the untrained network's empty chart: as plotly draws it
    assert "dtick" not in empty["layout"]["xaxis"] and empty["data"][0]["mode"] == "lines"
