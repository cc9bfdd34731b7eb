"""Turn a RunConfig (and the data's shape) into an initialized torch model."""

from __future__ import annotations

import math
import threading

import torch
from torch import nn

from nnlib.config import RunConfig, mlp_layer_sizes
from nnlib.initializers import initialize
from nnlib.losses import output_units
from nnlib.models.mlp import MLP


def layer_activations(cfg: RunConfig) -> list[str]:
    acts = cfg.model.layer_activations
    return [acts[i] if i < len(acts) and acts[i] else cfg.model.activation for i in range(len(cfg.model.hidden))]


# the seed and the initializers share torch's global generator: a group worker builds its jobs' models on threads
_SEEDED_BUILD = threading.Lock()


def build_model(cfg: RunConfig, input_shape: tuple[int, ...], n_classes: int | None = None) -> nn.Module:
    """Seeded: the same config builds bit-identical initial weights (also when threads build models at once)."""
    with _SEEDED_BUILD:
        return _build_seeded(cfg, input_shape, n_classes)


def _build_seeded(cfg: RunConfig, input_shape: tuple[int, ...], n_classes: int | None) -> nn.Module:
    torch.manual_seed(cfg.train.seed)
    n_out = output_units(cfg.loss, cfg.problem, n_classes or cfg.n_classes)
    if cfg.model.cnn is not None:
        from nnlib.models.cnn import build_cnn

        model = build_cnn(cfg.model.cnn, tuple(input_shape), n_out, cfg.model.activation)  # type: ignore[arg-type]
    else:
        n_in = math.prod(input_shape)
        sizes = mlp_layer_sizes(cfg, n_in)
        sizes[-1] = n_out
        model = MLP(sizes, layer_activations(cfg), cfg.model.norm, cfg.model.dropout)
        if len(input_shape) > 1:
            model = nn.Sequential(nn.Flatten(), model)
    initialize(model, cfg.model.initializer)
    return model


def core_mlp(model: nn.Module) -> MLP | None:
    """The MLP inside a model (images are flattened first), or None for a CNN."""
    if isinstance(model, MLP):
        return model
    if isinstance(model, nn.Sequential) and isinstance(model[-1], MLP):
        return model[-1]
    return None
