"""The training labs' figures take every number from the group snapshot: one curve per run and split in a fixed
order, the schedules' used rates, the sweep's end points and its star on the lowest validation loss."""

from __future__ import annotations

import math

import numpy as np

from ui.labs.train_plots import (
    PATCHERS,
    filled,
    overlay_figure,
    overlay_patch,
    rate_figure,
    rate_patch,
    sweep_figure,
    sweep_patch,
)

RUNS = [{"label": "a", "history": {"epoch": [1, 2, 3], "train_loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.9],
                                   "lr": [0.3, 0.3, 0.15]}},
        {"label": "b", "history": {"epoch": [1, 2], "train_loss": [2.0, None], "val_loss": [2.1, 1.9], "lr": [1, 1]}}]


def test_overlay_traces_are_run_major_and_carry_the_history():
    fig = overlay_figure("t", ["a", "b"], ("train", "val"))
    assert [t["name"] for t in fig["data"]] == ["a · train", "a · validation", "b · train", "b · validation"]
    patch = overlay_patch(RUNS, ("train", "val"))
    assert list(patch[1]["y"]) == [1.1, np.float32(0.7), np.float32(0.9)]
    assert list(patch[2]["x"]) == [1, 2] and math.isnan(patch[2]["y"][1])  # a diverged epoch is a gap
    assert overlay_figure("t", ["a"], log_y=True)["layout"]["yaxis"]["type"] == "log"


def test_rates_shown_are_the_plan_until_the_run_used_its_own():
    fig = rate_figure(["a", "b"], [[0.3, 0.3, 0.3], [1.0, 1.0]])
    assert list(fig["data"][0]["y"]) == [np.float32(0.3)] * 3
    done = filled({"lr": fig}, {"lr": rate_patch(RUNS[:1])})
    assert list(done["lr"]["data"][0]["y"]) == [np.float32(0.3), np.float32(0.3), np.float32(0.15)]
    assert list(fig["data"][0]["y"]) == [np.float32(0.3)] * 3  # `filled` copies
    assert rate_patch([{"history": {}}]) == {}


def test_sweep_points_and_star():
    fig = sweep_figure("t", [1, 4], "width")
    assert len(fig["data"]) == 3 and fig["layout"]["xaxis"]["type"] == "log"
    patch = sweep_patch(RUNS, [1, 4])
    assert list(patch[0]["y"]) == [np.float32(0.25), np.float32(2.0)]  # last known training loss of each run
    assert list(patch[1]["y"]) == [np.float32(0.9), np.float32(1.9)]
    assert patch[2] == {"x": [1.0], "y": [np.float32(0.9)]}
    live = PATCHERS["lab_sweep"]({"runs": RUNS}, {"xs": "1,4"})
    assert set(live) == {"loss", "sweep"} and live["sweep"][2]["x"] == [1.0]
