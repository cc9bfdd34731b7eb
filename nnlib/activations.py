"""The activation functions of the lecture, each with the formula the UI shows next to its name."""

from __future__ import annotations

from typing import Any

from nnlib.lazy import torch_class
from nnlib.registry import Registry

ACTIVATIONS = Registry("activation")
_A = ACTIVATIONS.add


def _maxout(width: int, k: int = 2) -> Any:
    from nnlib.models.layers import Maxout

    return Maxout(k)


def _prelu(width: int) -> Any:
    import torch

    return torch.nn.PReLU(num_parameters=width, init=0.25)


def _plain(path: str, **kw: Any) -> Any:
    """Activations that ignore the layer width."""
    make = torch_class(path, **kw)
    return lambda width=0: make()


_A("linear", _plain("nn.Identity"), "No non-linearity: stacked linear layers collapse into one linear map.", "f(x) = x")
_A("relu", _plain("nn.ReLU"), "Rectified linear unit: cheap, no saturation for x > 0, but units can 'die'.",
   "f(x) = max(0, x)")
_A("leaky_relu", _plain("nn.LeakyReLU", negative_slope=0.01),
   "ReLU with a small slope for x < 0 so gradients never vanish completely.", "f(x) = max(0.01x, x)")
_A("prelu", _prelu, "Leaky ReLU whose negative slope a is learned per neuron.", "f(x) = max(ax, x), a learned")
_A("elu", _plain("nn.ELU"), "Exponential linear unit: smooth, negative outputs push mean activations to 0.",
   "f(x) = x if x > 0 else e^x - 1")
_A("selu", _plain("nn.SELU"), "Scaled ELU: with lecun_normal init keeps activations self-normalizing.",
   "f(x) = 1.0507 * (x if x > 0 else 1.6733 (e^x - 1))")
_A("gelu", _plain("nn.GELU"), "Gaussian error linear unit, the transformers' default: x weighted by its CDF.",
   "f(x) = x * Phi(x)")
_A("silu", _plain("nn.SiLU"), "SiLU / swish: smooth, non-monotonic self-gated ReLU.", "f(x) = x * sigmoid(x)",
   label="silu (swish)")
_A("tanh", _plain("nn.Tanh"), "Hyperbolic tangent: zero-centred, saturates at +-1 (vanishing gradients).",
   "f(x) = (e^x - e^-x) / (e^x + e^-x)")
_A("sigmoid", _plain("nn.Sigmoid"), "Logistic function: squashes to (0, 1); saturates and is not zero-centred.",
   "f(x) = 1 / (1 + e^-x)")
_A("hard_sigmoid", _plain("nn.Hardsigmoid"), "Piecewise-linear approximation of the sigmoid, cheaper to compute.",
   "f(x) = clip(x/6 + 1/2, 0, 1)")
_A("softplus", _plain("nn.Softplus"), "Smooth version of ReLU; its derivative is the sigmoid.",
   "f(x) = ln(1 + e^x)")
_A("softsign", _plain("nn.Softsign"), "Like tanh but approaches +-1 polynomially, saturating more gently.",
   "f(x) = x / (1 + |x|)")
_A("maxout", _maxout, "Maxout (k=2): each neuron outputs the max of 2 linear pieces it learns.",
   "f(x) = max(w1.x + b1, w2.x + b2)", widen=2)


def widen_factor(name: str) -> int:
    """How many linear pieces a neuron of this activation needs (2 for maxout, else 1)."""
    return int(ACTIVATIONS[name].params.get("widen", 1))


def make_activation(name: str, width: int) -> Any:
    return ACTIVATIONS[name].factory(width)
