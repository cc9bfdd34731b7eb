"""The normalization layers a block or hidden layer can use (batch, layer, instance, group), built from the one
`norm` name the config holds, so the CNN, the MLP and the parameter summary agree on what each choice means."""

from __future__ import annotations

from torch import nn

from nnlib.config import NORM_GROUPS


def group_count(channels: int, groups: int = NORM_GROUPS) -> int:
    """G of group norm: the largest divisor of `channels` not above `groups` (GroupNorm needs C divisible by G)."""
    return next(g for g in range(min(groups, channels), 0, -1) if channels % g == 0)


def norm2d(kind: str, channels: int) -> nn.Module:
    """Normalization of conv maps [N, C, H, W]; every kind learns gamma and beta per channel (2C parameters).

    Layer, instance and group norm are GroupNorm with 1, C and G groups: statistics per example, so they behave
    the same in training and evaluation and do not depend on the batch size."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    groups = {"layer": 1, "instance": channels, "group": group_count(channels)}.get(kind)
    if groups is None:
        raise ValueError(f"unknown normalization {kind!r}; use one of none, batch, layer, instance, group")
    return nn.GroupNorm(groups, channels)


def norm1d(kind: str, width: int) -> nn.Module:
    """Normalization of a dense layer's pre-activations [N, width]: batch (per neuron over the batch) or layer
    (per example over its neurons)."""
    if kind == "none":
        return nn.Identity()
    if kind == "batch":
        return nn.BatchNorm1d(width)
    if kind == "layer":
        return nn.LayerNorm(width)
    raise ValueError(f"unknown normalization {kind!r} for a dense layer; use none, batch or layer")
