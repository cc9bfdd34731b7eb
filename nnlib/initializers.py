"""Weight initializers: how the starting point is drawn decides whether signals vanish, explode or stay symmetric."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nnlib.registry import Registry

INITIALIZERS = Registry("initializer")


def _init(fn: str, **kw: Any) -> Callable[[Any], Any]:
    def apply(weight: Any) -> Any:
        import torch

        return getattr(torch.nn.init, fn)(weight, **kw)

    return apply


def _lecun_normal(weight: Any) -> Any:
    import torch

    fan_in = weight.shape[1] * (weight[0][0].numel() if weight.dim() > 2 else 1)
    return torch.nn.init.normal_(weight, 0.0, 1.0 / math.sqrt(fan_in))


_I = INITIALIZERS.add
_I("zeros", _init("zeros_"), "All weights 0: every neuron stays identical (symmetry is never broken).", "w = 0")
_I("constant", _init("constant_", val=0.1), "All weights equal: neurons of a layer stay identical, like zeros.",
   "w = 0.1")
_I("small_normal", _init("normal_", std=0.01), "Tiny random weights: breaks symmetry but signals shrink layer by "
   "layer in deep nets.", "w ~ N(0, 0.01^2)")
_I("large_normal", _init("normal_", std=1.0), "Large random weights: saturates tanh/sigmoid and can explode "
   "activations.", "w ~ N(0, 1)")
_I("uniform", _init("uniform_", a=-0.5, b=0.5), "TF Playground's default: uniform in [-0.5, 0.5].",
   "w ~ U(-0.5, 0.5)")
_I("xavier_uniform", _init("xavier_uniform_"), "Glorot: keeps the variance of signals equal forward and backward "
   "for tanh/sigmoid.", "w ~ U(-a, a), a = sqrt(6 / (fan_in + fan_out))", label="xavier (glorot) uniform")
_I("xavier_normal", _init("xavier_normal_"), "Glorot, normal version.", "w ~ N(0, 2 / (fan_in + fan_out))",
   label="xavier (glorot) normal")
_I("he_uniform", _init("kaiming_uniform_", nonlinearity="relu"), "He/Kaiming: doubles Glorot's variance because "
   "ReLU zeroes half the inputs.", "w ~ U(-a, a), a = sqrt(6 / fan_in)", label="he (kaiming) uniform")
_I("he_normal", _init("kaiming_normal_", nonlinearity="relu"), "He/Kaiming, normal version, for ReLU nets.",
   "w ~ N(0, 2 / fan_in)", label="he (kaiming) normal")
_I("lecun_normal", _lecun_normal, "LeCun: variance 1/fan_in; the partner of SELU.", "w ~ N(0, 1 / fan_in)")
_I("orthogonal", _init("orthogonal_"), "Random orthogonal matrix: preserves vector norms through linear layers.",
   "W^T W = I")


def initialize(module: Any, name: str) -> None:
    """Apply initializer `name` to every Linear/Conv weight of `module`; biases start at 0."""
    import torch

    apply = INITIALIZERS[name].factory
    for m in module.modules():
        if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
            with torch.no_grad():
                apply(m.weight)
                if m.bias is not None:
                    m.bias.zero_()
