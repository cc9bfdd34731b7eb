"""The live view's pictures from the fast path's compiled forward pass equal torch's, over the property-test space
of networks the kernel trains (activations per layer, losses, binary / multiclass / regression, input features)."""

from __future__ import annotations

import copy

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnlib.config import FEATURES, RunConfig
from nnlib.inspect.grid import input_grids, neuron_grids, output_grid
from nnlib.train import fast_mlp
from nnlib.train.trainer import Trainer

DATASETS = {"binary": ("circle", "xor", "spiral"), "multiclass": ("blobs", "spiral_multi"),
            "regression": ("plane", "multi_gauss")}


@st.composite
def configs(draw: st.DrawFn) -> RunConfig:
    problem = draw(st.sampled_from(sorted(DATASETS)))
    hidden = tuple(draw(st.lists(st.integers(1, 6), max_size=3)))
    return RunConfig().replace(
        data={"dataset": draw(st.sampled_from(DATASETS[problem])), "n_samples": 100,
              "n_classes": draw(st.integers(2, 4)), "seed": draw(st.integers(0, 3)),
              "features": tuple(draw(st.lists(st.sampled_from(FEATURES), min_size=1, max_size=4, unique=True)))},
        model={"hidden": hidden, "activation": draw(st.sampled_from(fast_mlp.ACTIVATIONS)),
               "layer_activations": tuple(draw(st.lists(st.sampled_from(("", *fast_mlp.ACTIVATIONS)),
                                                        min_size=len(hidden), max_size=len(hidden))))},
        train={"optimizer": "adam", "lr": 0.03, "epochs": 3, "seed": draw(st.integers(0, 3))})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cfg=configs(), epochs=st.integers(0, 3))
def test_compiled_grids_equal_torch_grids(cfg: RunConfig, epochs: int) -> None:
    assume(cfg.validate() == [])
    fast = Trainer(cfg, fast=True)
    assert fast.fast is not None
    fast.run(epochs=epochs)
    torch_path = Trainer(cfg, fast.data, model=copy.deepcopy(fast.model), fast=False)
    got, want = output_grid(fast, 40), output_grid(torch_path, 40)
    assert got.keys() == want.keys()
    for key in want:
        if key == "cls":  # a point on a tie between two classes may go either way under other rounding
            assert np.mean(got[key] != want[key]) <= 0.01, key
        else:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-4, atol=1e-5, err_msg=key)
    got_n, want_n = neuron_grids(fast, 12), neuron_grids(torch_path, 12)
    assert [g.shape for g in got_n] == [w.shape for w in want_n]
    for g, w in zip(got_n, want_n, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(input_grids(fast, 12), input_grids(torch_path, 12))
