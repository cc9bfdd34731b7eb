"""init_mlp gives, without torch, the very float32 weights build_model draws with torch for the same config and seed:
every initializer, widths 1..128, 1..8 hidden layers, per-layer activations (maxout doubles a Linear), every kind
of output layer; and neither it nor a 2D dataset with its split imports torch."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnlib.activations import ACTIVATIONS
from nnlib.config import RunConfig
from nnlib.initializers import INITIALIZERS
from nnlib.models.build import build_model, core_mlp
from nnlib.models.np_init import DRAWERS, NORMAL_DRAWERS, init_mlp, unsupported_reason
from nnlib.models.torch_rng import vector_normal_matches_torch

# binary (1 output), multiclass (n_classes outputs), regression (1 output, mse)
DATASETS = ["circle", "spiral_multi", "plane"]


def _torch_weights(cfg: RunConfig, n_inputs: int) -> list[tuple[np.ndarray, np.ndarray]]:
    mlp = core_mlp(build_model(cfg, (n_inputs,)))
    assert mlp is not None
    return [(lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()) for lin in mlp.linears()]


def _assert_bitwise_equal(got: list[tuple[np.ndarray, np.ndarray]], want: list[tuple[np.ndarray, np.ndarray]]) -> None:
    assert len(got) == len(want)
    for i, ((w, b), (tw, tb)) in enumerate(zip(got, want, strict=True)):
        assert w.dtype == b.dtype == np.float32 and w.shape == tw.shape and b.shape == tb.shape, i
        assert np.array_equal(w, tw) and np.array_equal(w.view(np.uint32), tw.view(np.uint32)), f"layer {i} W"
        assert np.array_equal(b.view(np.uint32), tb.view(np.uint32)), f"layer {i} b"


def _config(initializer: str, hidden: tuple[int, ...], activation: str, per_layer: tuple[str, ...], seed: int,
            dataset: str = "circle", norm: str = "none") -> RunConfig:
    return RunConfig().replace(data={"dataset": dataset, "n_classes": 4},
                               model={"hidden": hidden, "activation": activation, "layer_activations": per_layer,
                                      "initializer": initializer, "norm": norm},
                               train={"seed": seed})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), initializer=st.sampled_from(sorted(DRAWERS)),
       hidden=st.lists(st.integers(1, 128), min_size=1, max_size=8).map(tuple),
       activation=st.sampled_from(sorted(ACTIVATIONS)),
       per_layer=st.lists(st.sampled_from(["", "maxout", "relu", "prelu", "tanh"]), max_size=8).map(tuple),
       n_inputs=st.integers(1, 7), dataset=st.sampled_from(DATASETS), norm=st.sampled_from(["none", "batch", "layer"]))
def test_weights_equal_torch_build(seed: int, initializer: str, hidden: tuple[int, ...], activation: str,
                                   per_layer: tuple[str, ...], n_inputs: int, dataset: str, norm: str) -> None:
    cfg = _config(initializer, hidden, activation, per_layer[:len(hidden)], seed, dataset, norm)
    want = _torch_weights(cfg, n_inputs)
    if unsupported_reason(cfg):
        with pytest.raises(NotImplementedError):
            init_mlp(cfg, n_inputs)
        return
    _assert_bitwise_equal(init_mlp(cfg, n_inputs), want)


@pytest.mark.parametrize("initializer", sorted(DRAWERS))
@pytest.mark.parametrize("hidden", [(4, 2), (3, 5, 7), (16, 1), (128, 128, 128)])
def test_each_initializer_on_fixed_nets(initializer: str, hidden: tuple[int, ...]) -> None:
    """Small layers (scalar normal path, whose cached value crosses layers: 2x3, 5x3, 7x5, 1x7 are odd) and large
    ones (vectorised path, sizes not divisible by 16)."""
    cfg = _config(initializer, hidden, "tanh", (), seed=11)
    reason = unsupported_reason(cfg)
    if reason:  # refused with its reason (the caller then builds with torch), never a wrong draw
        with pytest.raises(NotImplementedError, match=re.escape(reason)):
            init_mlp(cfg, 3)
        return
    _assert_bitwise_equal(init_mlp(cfg, 3), _torch_weights(cfg, 3))


def test_default_config_equals_torch_with_default_inputs() -> None:
    cfg = RunConfig()
    _assert_bitwise_equal(init_mlp(cfg), _torch_weights(cfg, len(cfg.data.features)))


@pytest.mark.parametrize("dataset, shape", [("digits", (1, 8, 8)), ("mnist_5k", (1, 28, 28))])
def test_image_mlp_equals_torch_with_the_flatten_in_front(dataset: str, shape: tuple[int, ...]) -> None:
    """On images build_model puts nn.Flatten before the MLP; the inputs default to the dataset's pixel count."""
    cfg = RunConfig().replace(data={"dataset": dataset}, model={"hidden": (32, 16)}, train={"seed": 5})
    mlp = core_mlp(build_model(cfg, shape))
    assert mlp is not None
    want = [(lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()) for lin in mlp.linears()]
    _assert_bitwise_equal(init_mlp(cfg), want)


def test_every_registered_initializer_is_reproduced_or_refused() -> None:
    """A new entry in nnlib.initializers must either get a drawer here or be refused with a reason."""
    assert set(DRAWERS) <= set(INITIALIZERS)
    for name in INITIALIZERS:
        cfg = _config(name, (4, 2), "tanh", (), seed=0)
        if name in DRAWERS and (vector_normal_matches_torch() or name not in NORMAL_DRAWERS):
            assert unsupported_reason(cfg) is None
        else:
            assert unsupported_reason(cfg)
            with pytest.raises(NotImplementedError, match="."):
                init_mlp(cfg)
    assert "orthogonal" not in DRAWERS


def test_convolutional_net_is_refused() -> None:
    from nnlib.config import CNNSpec

    cfg = RunConfig().replace(data={"dataset": "digits"}, model={"cnn": CNNSpec()})
    with pytest.raises(NotImplementedError, match="convolutional"):
        init_mlp(cfg)


def test_init_and_toy_data_do_not_import_torch() -> None:
    """The cold-start path: a 2D dataset, its train/val/test split and the initial weights, all without torch."""
    code = ("import sys\n"
            "from nnlib.config import RunConfig\n"
            "from nnlib.data.bundle import load_data\n"
            "from nnlib.models.np_init import init_mlp\n"
            "for name in ('circle', 'xor', 'gauss', 'spiral', 'moons', 'spiral_multi', 'blobs', 'plane',"
            " 'multi_gauss'):\n"
            "    cfg = RunConfig().replace(data={'dataset': name})\n"
            "    data = load_data(cfg)\n"
            "    init_mlp(cfg, data.x_train.shape[1], data.n_classes)\n"
            "print('torch' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False"]
