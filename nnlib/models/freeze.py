"""Freezing parts of a model for transfer learning: a frozen layer keeps its (pretrained) weights because autograd
gives it no gradient, so every torch optimizer skips it. Also the per-layer table of what trains, so a page can
show which layers were frozen and how many parameters each variant really trains."""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

FREEZE_PARTS = ("none", "conv")  # none: everything trains; conv: the convolutional blocks keep their weights


@dataclass(frozen=True)
class LayerRow:
    """One top-level part of a CNN (a conv block, a dense layer, the output) and whether it trains."""

    name: str
    parameters: int
    trainable: bool


def _parts(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The model's parts in order, named as a student reads them (block 1, dense 1, output)."""
    blocks = getattr(model, "blocks", None)
    if blocks is None:
        return [(name, m) for name, m in model.named_children()]
    parts: list[tuple[str, nn.Module]] = [(f"conv block {i}", b) for i, b in enumerate(blocks, start=1)]
    parts += [(f"dense {i}", d) for i, d in enumerate(getattr(model, "dense", []), start=1)]
    parts.append(("output", model.out))
    return parts


def freeze(model: nn.Module, part: str) -> nn.Module:
    """Switch requires_grad off for `part` ("conv": every conv block) and on for the rest; returns the model."""
    if part not in FREEZE_PARTS:
        raise ValueError(f"unknown part to freeze {part!r}; use one of {', '.join(FREEZE_PARTS)}")
    for p in model.parameters():
        p.requires_grad_(True)
    if part == "conv":
        blocks = getattr(model, "blocks", None)
        if blocks is None:
            raise ValueError("only a CNN has conv blocks to freeze")
        for p in blocks.parameters():
            p.requires_grad_(False)
    return model


def layer_table(model: nn.Module) -> list[LayerRow]:
    """Each part's parameter count and whether it trains (all of its parameters require a gradient)."""
    rows = []
    for name, module in _parts(model):
        params = list(module.parameters())
        rows.append(LayerRow(name, sum(p.numel() for p in params), all(p.requires_grad for p in params)))
    return rows


def trainable_count(model: nn.Module) -> int:
    """Parameters the optimizer will change: those autograd gives a gradient."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
