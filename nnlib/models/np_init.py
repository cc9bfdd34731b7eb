"""A dense net's initial weights without torch, bit-identical to `build_model` (nnlib/models/build.py): the CLI's
numba fast path can then train a plain MLP without paying 1.6 s for `import torch`.

`build_model` seeds torch's global generator, constructs the MLP (each nn.Linear, in module order, first draws its
default Kaiming-uniform weight and uniform bias: draws that only move the stream on), then re-initialises every
Linear weight with the chosen initializer, layer after layer, and zeroes the biases. `init_mlp` replays that order on
`TorchCpuRandom`, torch's CPU stream reproduced in numpy. Orthogonal initialisation (a LAPACK QR whose rounding is
not reproducible here) and normal draws on CPUs whose torch kernel is not reproduced raise NotImplementedError, so
the caller builds the model with torch instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from nnlib.activations import widen_factor
from nnlib.config import RunConfig, mlp_layer_sizes
from nnlib.losses import output_units
from nnlib.models.torch_rng import TorchCpuRandom, vector_normal_matches_torch

Weights = list[tuple[np.ndarray, np.ndarray]]
# fn(stream, fan_out, fan_in) -> float32 values in row-major (out, in) order, as torch.nn.init fills the weight
Drawer = Callable[[TorchCpuRandom, int, int], np.ndarray]


def _xavier_std(fan_out: int, fan_in: int) -> float:
    """torch.nn.init's Glorot std with gain 1 (the registry passes no gain)."""
    return 1.0 * math.sqrt(2.0 / float(fan_in + fan_out))


def _he_std(fan_in: int) -> float:
    """torch.nn.init's Kaiming std for nonlinearity='relu' (gain sqrt 2), mode fan_in."""
    return math.sqrt(2.0) / math.sqrt(fan_in)


def _xavier_uniform(rng: TorchCpuRandom, fan_out: int, fan_in: int) -> np.ndarray:
    bound = math.sqrt(3.0) * _xavier_std(fan_out, fan_in)
    return rng.uniform(fan_out * fan_in, -bound, bound)


def _he_uniform(rng: TorchCpuRandom, fan_out: int, fan_in: int) -> np.ndarray:
    bound = math.sqrt(3.0) * _he_std(fan_in)
    return rng.uniform(fan_out * fan_in, -bound, bound)


def _normal(std_of: Callable[[int, int], float]) -> Drawer:
    return lambda rng, fan_out, fan_in: rng.normal(fan_out * fan_in, 0.0, std_of(fan_out, fan_in))


def _filled(value: float) -> Drawer:
    return lambda rng, fan_out, fan_in: np.full(fan_out * fan_in, value, np.float32)


# every name of nnlib.initializers.INITIALIZERS but orthogonal (tests/models/test_np_init.py checks the coverage)
DRAWERS: dict[str, Drawer] = {
    "zeros": _filled(0.0),
    "constant": _filled(0.1),
    "small_normal": _normal(lambda fan_out, fan_in: 0.01),
    "large_normal": _normal(lambda fan_out, fan_in: 1.0),
    "uniform": lambda rng, fan_out, fan_in: rng.uniform(fan_out * fan_in, -0.5, 0.5),
    "xavier_uniform": _xavier_uniform,
    "xavier_normal": _normal(_xavier_std),
    "he_uniform": _he_uniform,
    "he_normal": _normal(lambda fan_out, fan_in: _he_std(fan_in)),
    "lecun_normal": _normal(lambda fan_out, fan_in: 1.0 / math.sqrt(fan_in)),
}
NORMAL_DRAWERS = frozenset({"small_normal", "large_normal", "xavier_normal", "he_normal", "lecun_normal"})


def linear_shapes(cfg: RunConfig, n_inputs: int | None = None, n_classes: int | None = None) -> list[tuple[int, int]]:
    """(out, in) of every Linear of the dense net build_model makes, in module order; a maxout layer's Linear is
    k times wider than its width (k pieces per neuron). n_inputs defaults as mlp_layer_sizes does (the dataset's
    shape, else the number of 2D features); pass the data's own size for CSV files."""
    sizes = mlp_layer_sizes(cfg, n_inputs)
    sizes[-1] = output_units(cfg.loss, cfg.problem, n_classes or cfg.n_classes)
    acts = cfg.model.layer_activations
    shapes = []
    for i, (n_in, width) in enumerate(zip(sizes[:-2], sizes[1:-1], strict=True)):
        act = acts[i] if i < len(acts) and acts[i] else cfg.model.activation  # as build.layer_activations
        shapes.append((width * widen_factor(act), n_in))
    shapes.append((sizes[-1], sizes[-2]))
    return shapes


def unsupported_reason(cfg: RunConfig) -> str | None:
    """Why init_mlp cannot reproduce this config's torch weights (the caller then builds with torch), or None."""
    if cfg.model.cnn is not None:
        return "convolutional nets are built by torch"
    name = cfg.model.initializer
    if name not in DRAWERS:
        return f"the {name} initializer is not reproduced without torch"
    if name in NORMAL_DRAWERS and not vector_normal_matches_torch():
        return "torch's normal_ on this CPU is not reproduced without torch"
    return None


def init_mlp(cfg: RunConfig, n_inputs: int | None = None, n_classes: int | None = None) -> Weights:
    """Per Linear layer, (W (out, in), b (out,)) float32, bitwise equal to the weights and biases
    `build_model(cfg, (n_inputs,), n_classes)` gives (biases start at 0). Raises NotImplementedError with the reason
    for what it does not reproduce (see unsupported_reason)."""
    reason = unsupported_reason(cfg)
    if reason:
        raise NotImplementedError(reason)
    shapes = linear_shapes(cfg, n_inputs, n_classes)
    rng = TorchCpuRandom(cfg.train.seed)
    rng.skip_uniform(sum(n_out * n_in + n_out for n_out, n_in in shapes))  # nn.Linear's own default init
    draw = DRAWERS[cfg.model.initializer]
    return [(draw(rng, n_out, n_in).reshape(n_out, n_in), np.zeros(n_out, np.float32)) for n_out, n_in in shapes]
