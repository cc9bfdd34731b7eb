"""The training labs' figures take every number from the group snapshot: one curve per run and split in a fixed
order, the schedules' used rates, the sweep's end points and its star on the lowest validation loss."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ui.labs.train_plots import (
    PATCHERS,
    filled,
    overlay_figure,
    overlay_patch,
    rate_figure,
    rate_patch,
    remedies_figure,
    remedies_patch,
    sweep_figure,
    sweep_patch,
    waiting_figure,
)

RUNS = [{"label": "a", "history": {"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.9],
                                   "lr": [0.3, 0.3, 0.15]}},
        {"label": "b", "history": {"epoch": [1, 2], "train_loss": [2.0, None], "val_loss": [2.1, 1.9], "lr": [1, 1]}}]


def test_overlay_traces_are_run_major_and_carry_the_history():
    fig = overlay_figure("t", ["a", "b"], ("train", "val"))
    assert [t["name"] for t in fig["data"]] == ["a", "a", "b", "b"]  # one legend entry per run, its lines grouped
    assert [t["showlegend"] for t in fig["data"]] == [True, False, True, False]
    assert "a · validation" in fig["data"][1]["hovertemplate"]  # the hover still says which line it is
    patch = overlay_patch(RUNS, ("train", "val"))
    assert list(patch[1]["y"]) == [1.1, np.float32(0.7), np.float32(0.9)]
    assert list(patch[2]["x"]) == [1, 2] and math.isnan(patch[2]["y"][1])  # a diverged epoch is a gap
    assert overlay_figure("t", ["a"], log_y=True)["layout"]["yaxis"]["type"] == "log"


def test_overlay_dash_per_run_keeps_lines_that_coincide_visible():
    labels = [f"run {i}" for i in range(7)]
    dashes = [t["line"]["dash"] for t in overlay_figure("t", labels, dash_runs=True)["data"]]
    assert len(set(dashes[:6])) == 6 and dashes[6] == dashes[0]  # six patterns, then they repeat
    assert {t["line"]["dash"] for t in overlay_figure("t", labels)["data"]} == {"solid"}  # off: the split's dash
    with pytest.raises(ValueError, match="single split"):
        overlay_figure("t", labels, ("train", "val"), dash_runs=True)  # there the dash means train vs validation


def test_rates_shown_are_the_plan_until_the_run_used_its_own():
    fig = rate_figure(["a", "b"], [[0.3, 0.3, 0.3], [1.0, 1.0]])
    assert fig["layout"]["showlegend"] and [t["name"] for t in fig["data"]] == ["a", "b"]  # which curve is which
    assert all(t.get("showlegend", True) for t in fig["data"])
    assert list(fig["data"][0]["y"]) == [np.float32(0.3)] * 3
    done = filled({"lr": fig}, {"lr": rate_patch(RUNS[:1])})
    assert list(done["lr"]["data"][0]["y"]) == [np.float32(0.3), np.float32(0.3), np.float32(0.15)]
    assert list(fig["data"][0]["y"]) == [np.float32(0.3)] * 3  # `filled` copies
    assert rate_patch([{"history": {}}]) == {}


def test_sweep_points_and_star():
    fig = sweep_figure("t", [1, 4], "width")
    assert len(fig["data"]) == 3 and fig["layout"]["xaxis"]["type"] == "log"
    assert fig["layout"]["xaxis"]["ticktext"] == ["1", "4"]  # the compared values, not the log axis' minor labels
    patch = sweep_patch(RUNS, [1, 4])
    assert list(patch[0]["y"]) == [np.float32(0.25), np.float32(2.0)]  # last known training loss of each run
    assert list(patch[1]["y"]) == [np.float32(0.9), np.float32(1.9)]
    assert patch[2] == {"x": [1.0], "y": [np.float32(0.9)]}
    live = PATCHERS["lab_sweep"]({"runs": RUNS}, {"xs": "1,4"})
    assert set(live) == {"loss", "sweep"} and live["sweep"][2]["x"] == [1.0]


def test_remedies_are_small_multiples_over_the_baseline_on_one_log_scale():
    """One panel per remedy with the baseline behind it (the one crowded chart of twelve lines squeezed the remedies
    under the baseline's validation spike): every panel gets the baseline's curves, each remedy only its own."""
    runs = [RUNS[0], RUNS[1], {"label": "c", "history": {"epoch": [1], "train_loss": [0.4], "val_loss": [0.6]}}]
    fig = remedies_figure("t", ["baseline", "b", "c"])
    baseline = ["baseline · train", "baseline · validation"]
    assert [t["name"] for t in fig["data"]] == [*baseline, "b · train", "b · validation",
                                                *baseline, "c · train", "c · validation"]
    assert [t["yaxis"] for t in fig["data"]] == ["y"] * 4 + ["y2"] * 4
    assert fig["layout"]["yaxis"]["type"] == "log" and fig["layout"]["yaxis2"]["matches"] == "y"
    assert [a["text"] for a in fig["layout"]["annotations"]] == ["<b>b</b>", "<b>c</b>"]
    patch = remedies_patch(runs)
    assert sorted(patch) == list(range(8))
    for panel in (0, 4):
        assert list(patch[panel]["y"]) == [1.0, 0.5, 0.25]  # the baseline's training curve in both panels
    assert list(patch[6]["y"]) == [np.float32(0.4)] and list(patch[7]["y"]) == [np.float32(0.6)]
    assert PATCHERS["lab_remedies"]({"runs": runs}, {})["loss"].keys() == patch.keys()


def test_a_chart_with_nothing_to_draw_waits_with_a_note_instead_of_empty_axes():
    """Before Train the loss and sweep charts showed axes like -1..6 or 0..1 with no data (walkthrough)."""
    labels = ["width = 1", "width = 4", "width = 16", "width = 128", "width = 256", "width = 512"]
    for fig in (overlay_figure("t", labels, ("train", "val")), sweep_figure("t", [1, 4], "width")):
        waiting = waiting_figure(fig, labels)
        axes = [v for k, v in waiting["layout"].items() if k.startswith(("xaxis", "yaxis"))]
        assert len(axes) == 2 and all(a["visible"] is False for a in axes)
        [note] = waiting["layout"]["annotations"]
        assert "Press <b>Train</b>" in note["text"] and "6 runs" in note["text"]
        assert "width = 1 · width = 4" in note["text"] and "width = 512" in note["text"]
        assert all(len(line) < 70 for line in note["text"].split("<br>"))  # a few runs to a line, not one long one
        assert "annotations" not in fig["layout"] and fig["layout"]["xaxis"].get("visible") is not False
    planned = rate_figure(["a"], [[0.3, 0.3]])  # the schedules' planned rates are data before Train: drawn
    assert waiting_figure(planned, ["a"]) is planned
