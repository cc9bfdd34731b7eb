"""Inspection of a 2D run: boundary grid, neuron maps, weights, statistics and the snapshot a page plots."""

import numpy as np

from nnlib.config import RunConfig
from nnlib.inspect.grid import input_grids, neuron_grids, output_grid
from nnlib.inspect.snapshot import playground_snapshot
from nnlib.inspect.stats import layer_stats
from nnlib.train.trainer import Trainer


def test_grids_have_the_playground_shapes_and_follow_training():
    t = Trainer(RunConfig().replace(data={"dataset": "circle"}, train={"epochs": 80, "lr": 0.1}))
    before = output_grid(t, 100)["prob"].copy()
    t.run()
    g = output_grid(t, 100)
    assert g["prob"].shape == (100, 100) and len(g["xs"]) == 100
    assert np.abs(g["prob"] - before).mean() > 0.05
    centre, corner = g["prob"][50, 50], g["prob"][0, 0]
    assert (centre > 0.5) != (corner > 0.5)  # a disc inside a ring
    neurons = neuron_grids(t, 24)
    assert [n.shape for n in neurons] == [(4, 24, 24), (2, 24, 24)]
    assert input_grids(t, 24).shape == (2, 24, 24)


def test_multiclass_and_regression_grids():
    t = Trainer(RunConfig().replace(data={"dataset": "blobs", "n_classes": 4}, train={"epochs": 1}))
    g = output_grid(t, 50)
    assert g["cls"].shape == (50, 50) and g["cls"].max() < 4
    t = Trainer(RunConfig().replace(data={"dataset": "plane"}, train={"epochs": 1}))
    assert output_grid(t, 30)["value"].shape == (30, 30)


def test_layer_stats_show_saturation_with_large_weights():
    def stats(init):
        t = Trainer(RunConfig().replace(model={"hidden": (32, 32, 32), "activation": "tanh", "initializer": init}))
        return [r for r in layer_stats(t) if "activation" in r]
    small, large = stats("xavier_uniform"), stats("large_normal")
    assert len(small) == 3 and "gradient" in small[0] and sum(small[0]["activation"]["hist"]) > 0
    assert large[-1]["activation"]["std"] > small[-1]["activation"]["std"]  # tanh pinned near +-1


def test_snapshot_is_plain_data():
    t = Trainer(RunConfig().replace(train={"epochs": 3}))
    t.run()
    s = playground_snapshot(t, True)
    assert s["status"] == "finished" and s["epoch"] == 3 and s["final"]
    assert len(s["history"]["train_loss"]) == 3 and len(s["history"]["val_loss"]) == 3
    assert s["grid"]["prob"].dtype == np.float16 and len(s["neurons"]) == 2
    assert s["weights"][0]["weight"].shape == (4, 2)
