"""Monte-Carlo dropout's numbers: the mean of T stochastic passes tends to the eval-mode prediction as T grows,
a net without dropout (p = 0) has std 0, and the lab's hooks return the maps and errors of trained nets."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from nnlib.compare.group import group_payload, run_group
from nnlib.labs.dropout_lab import mc_dropout_predict
from nnlib.labs.mc_dropout import GRID, ensemble_errors, mc_group, pass_counts, predict_passes
from tests.labs.test_transfer_lab import RecordingControl


def one_layer_net(p: float) -> nn.Module:
    """Linear -> ReLU -> Dropout(p) -> Linear: the expected output of the masked nets is exactly the eval output."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Dropout(p), nn.Linear(32, 1))


def test_mc_mean_tends_to_the_eval_prediction_as_passes_grow():
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(1))
    mc = mc_dropout_predict(one_layer_net(0.5), x, 1000, seed=3)
    few, many = ensemble_errors(mc.samples, mc.eval_output, [10, 1000])
    assert many < few / 4  # ~ 1/sqrt(T): 10x fewer draws, ~3.2x the error (one draw's noise is 1/sqrt(10) of it)
    spread = float(mc.std.mean())  # one pass's deviation; the mean of 1000 deviates ~ spread / sqrt(1000)
    assert spread > 0.01 and many < 0.06 * spread
    assert np.all(np.abs(mc.mean - mc.eval_output) <= 5 * mc.std / np.sqrt(1000) + 1e-6)  # within 5 standard errors


def test_std_is_zero_without_dropout():
    x = torch.randn(16, 2)
    mc = mc_dropout_predict(one_layer_net(0.0), x, 20)
    assert np.all(mc.std == 0.0)
    plain = predict_passes(nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)), x, 20)
    assert np.all(plain.std == 0.0) and plain.samples.shape == (20, 16, 1)
    assert ensemble_errors(plain.samples, plain.eval_output, [1, 20]) == [0.0, 0.0]


def test_pass_counts_end_at_the_requested_number():
    assert pass_counts(200) == [1, 2, 5, 10, 20, 50, 100, 200]
    assert pass_counts(50) == [1, 2, 5, 10, 20, 50]


def test_the_job_returns_maps_and_errors_of_both_trained_nets():
    configs, labels, options = mc_group(0.5, "moons", epochs=15, passes=40)
    ctl = RecordingControl()
    run_group(group_payload(configs, labels, lab="mc_dropout", lab_options=options), ctl)
    drop, plain = ctl.last["mc"]
    assert drop["label"] == "dropout p 0.5" and plain["label"] == "no dropout"
    std = np.asarray(drop["std"])
    assert std.shape == (GRID, GRID) and std.max() > 0.05
    assert np.asarray(plain["std"]).max() == 0.0
    assert np.allclose(plain["mean"], plain["eval"], atol=1e-4)
    assert drop["counts"][-1] == 40 and drop["err_logit"][-1] < drop["err_logit"][0]
    assert len(drop["points"]) == len(drop["labels"]) > 0


def test_patches_draw_two_std_and_leave_rounding_errors_as_gaps():
    from ui.labs.mc_plots import mc_patches

    std = np.full((2, 2), 0.25)
    run = {"label": "a", "axis": [0.0, 1.0], "std": std.tolist(), "eval": [[0, 1], [0, 1]], "mean": [[0, 1], [0, 1]],
           "counts": [1, 2], "err_logit": [0.5, 0.0], "err_prob": [1e-17, 0.2], "points": [[0.0, 0.0]], "labels": [1]}
    patches = mc_patches({"mc": [run]})
    assert patches["map0"][0]["z"] == [[0.5, 0.5], [0.5, 0.5]]
    assert patches["ensemble"][0]["y"] == [0.5, None] and patches["ensemble"][1]["y"] == [None, 0.2]
    assert mc_patches({"runs": []}) == {}  # while training: nothing to draw yet
