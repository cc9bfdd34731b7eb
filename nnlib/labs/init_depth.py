"""The initialization lab (#10.2): a deep MLP fed random inputs, layer by layer, for each weight initializer. The
lecture's result in numbers: small weights make activations vanish, large ones saturate tanh, Xavier keeps tanh
activations spread and He does the same for ReLU where Xavier fades."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import nn

from nnlib.activations import ACTIVATIONS, make_activation, widen_factor
from nnlib.initializers import INITIALIZERS, initialize
from nnlib.labs.activation_lab import SATURATION_FRACTION, activation_curve

# The initializers the lecture compares, by registry name: zeros, N(0, 0.01^2), N(0, 1), Xavier, He.
LECTURE_INITIALIZERS = ("zeros", "small_normal", "large_normal", "xavier_normal", "he_normal")
# Caps on what a page may ask for. The default run (10 layers x 500 units, a batch of 200) is 0.5 billion
# multiply-adds forward, about 1.5 billion with the backward pass: 0.08 CPU-seconds per initializer with one torch
# thread on this 2-core machine (0.22 s wall under a load of 9), so the lecture's five together stay under a second.
MAX_DEPTH, MAX_WIDTH, MAX_BATCH = 12, 500, 1000


@dataclass(frozen=True)
class LayerStats:
    """One hidden layer's activations a = act(W h + b) and the gradient dL/da after one backward pass."""

    layer: int  # 1-based
    mean: float
    std: float
    saturated: float | None  # fraction with f'(z) ~ 0 (the activations lab's rule); None: the activation never
    # saturates (ReLU & co. keep slope 1 for large x -- their "f' = 0" is a unit switched off, counted in `zero`)
    zero: float  # fraction exactly 0 (ReLU units switched off: no output, no gradient)
    hist: np.ndarray  # counts over DepthRun.edges
    grad_std: float
    grad_hist: np.ndarray  # counts over DepthRun.grad_edges
    weight_grad_std: float


@dataclass(frozen=True)
class DepthRun:
    """All layers of one (initializer, activation) run; the histogram edges are shared by every layer so that
    a page can draw the layers side by side on one scale."""

    initializer: str
    activation: str
    layers: list[LayerStats]
    edges: np.ndarray
    grad_edges: np.ndarray

    @property
    def stds(self) -> np.ndarray:
        return np.array([s.std for s in self.layers])


@lru_cache(maxsize=64)
def _peak_slope(activation: str) -> tuple[float, float]:
    """The activation's largest |f'| on [-6, 6] and its |f'| at x = 6 (autograd, the activations lab's curve)."""
    slope = np.abs(activation_curve(activation, points=1201).derivative)
    return float(slope.max()), float(slope[-1])


def saturates(activation: str) -> bool:
    """Whether the activation's slope dies for large inputs (tanh, sigmoid, softsign...): the activations lab's
    rule |f'| < 5% of its largest slope, at x = 6. ReLU, ELU, GELU keep slope ~1 there: for them large weights make
    the signal explode, not saturate, and a "saturated" share would count ReLU's switched-off units (f' = 0 for
    x < 0) as saturation, which the page defines as the f' ~ 0 of a squashing function."""
    peak, far = _peak_slope(activation)
    return far < SATURATION_FRACTION * peak


def _saturated_share(activation: str, module: nn.Module, z: torch.Tensor) -> float | None:
    """Share of pre-activations z where |f'(z)| < 5% of f's largest slope (None for a non-saturating f)."""
    if not saturates(activation):
        return None
    zz = z.detach().clone().requires_grad_(True)
    (slope,) = torch.autograd.grad(module(zz).sum(), zz)
    return float((slope.abs() < SATURATION_FRACTION * _peak_slope(activation)[0]).float().mean())


def deep_mlp(depth: int, width: int, activation: str, initializer: str) -> nn.Sequential:
    """depth x (Linear(width, width), activation), weights drawn by the registry initializer, biases 0."""
    if not 1 <= depth <= MAX_DEPTH or not 1 <= width <= MAX_WIDTH:
        raise ValueError(f"depth must be 1..{MAX_DEPTH} and width 1..{MAX_WIDTH} (the lab's CPU cap)")
    if widen_factor(activation) != 1:
        raise ValueError(f"{activation} changes the layer width; pick another activation for this lab")
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), make_activation(activation, width)]
    net = nn.Sequential(*layers)
    initialize(net, initializer)
    return net


def _edges(tensors: list[torch.Tensor], bins: int) -> np.ndarray:
    """Symmetric bin edges covering every tensor (at least [-1e-12, 1e-12] so all-zero layers still bin)."""
    reach = max(float(t.detach().abs().max()) for t in tensors) or 1e-12
    return np.linspace(-reach, reach, bins + 1)


def depth_run(initializer: str, activation: str = "tanh", depth: int = 10, width: int = 500, batch: int = 200,
              bins: int = 40, seed: int = 0) -> DepthRun:
    """Feed `batch` N(0, 1) inputs through deep_mlp, then backpropagate a random N(0, 1) upstream gradient from the
    last layer (the same draws for every initializer with the same seed), and summarize each hidden layer."""
    if initializer not in INITIALIZERS:
        raise ValueError(f"unknown initializer {initializer!r}; choose one of: {', '.join(INITIALIZERS)}")
    if not 1 <= batch <= MAX_BATCH:
        raise ValueError(f"batch must be 1..{MAX_BATCH}")
    torch.manual_seed(seed)
    net = deep_mlp(depth, width, activation, initializer)
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, width, generator=generator)
    upstream = torch.randn(batch, width, generator=generator)
    activations, saturated = [], []
    h = x
    for i in range(0, len(net), 2):
        z = net[i](h)
        saturated.append(_saturated_share(activation, net[i + 1], z))
        h = net[i + 1](z)
        h.retain_grad()
        activations.append(h)
    (h * upstream).sum().backward()
    grads = [a.grad for a in activations]
    edges, grad_edges = _edges(activations, bins), _edges(grads, bins)
    layers = []
    for k, (a, g) in enumerate(zip(activations, grads)):
        values, gv = a.detach().numpy().ravel(), g.numpy().ravel()
        layers.append(LayerStats(
            k + 1, float(values.mean()), float(values.std()), saturated[k],
            float((values == 0).mean()), np.histogram(values, edges)[0], float(gv.std()),
            np.histogram(gv, grad_edges)[0], float(net[2 * k].weight.grad.std())))
    return DepthRun(initializer, activation, layers, edges, grad_edges)


def compare_initializers(activation: str = "tanh", names: tuple[str, ...] = LECTURE_INITIALIZERS,
                         **kwargs: int) -> list[DepthRun]:
    """One DepthRun per initializer, same inputs and upstream gradient."""
    return [depth_run(name, activation, **kwargs) for name in names]


def last_layer_summary(runs: list[DepthRun]) -> str:
    """The caption under the charts, in the page's own terms: "saturated" only for an activation that saturates
    (f' ~ 0), "off" (a = 0, so f' = 0 and no gradient) for the ReLU family, "std 0" for a layer with no spread."""
    parts = []
    for run in runs:
        s = run.layers[-1]
        std = "std 0" if s.std == 0 else f"std {s.std:.2g}"
        state = f"saturated (f' ≈ 0) {s.saturated:.0%}, exactly 0 {s.zero:.0%}" if s.saturated is not None \
            else f"off (a = 0, no gradient) {s.zero:.0%}"
        parts.append(f"{run.initializer.replace('_', ' ')} {std}, {state}")
    return "At the last layer: " + "; ".join(parts) + "."


def no_saturation_note(activation: str) -> str:
    """What the page says instead of "large weights saturate" when the activation cannot saturate ("" when it can):
    the lesson for ReLU is the scale (explode / vanish) and the switched-off units."""
    if saturates(activation):
        return ""
    label = ACTIVATIONS[activation].label
    return (f"The activation **{label} does not saturate**: its slope stays about 1 for large inputs, so there "
            "is no saturated share to show. What goes wrong is the scale: with large weights the std **explodes** "
            "layer after layer, with small ones it vanishes; and units are **off** where a = 0 (f' = 0, no "
            "gradient), about half of them for ReLU whatever the initializer. He's var = 2/fan_in makes up for that "
            "half and keeps the std steady; Xavier, made for tanh, lets it fade.")
