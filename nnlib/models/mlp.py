"""Dense networks like TF Playground's, with every knob of the lecture (per-layer activation, batch or layer norm,
dropout)."""

from __future__ import annotations

import torch
from torch import nn

from nnlib.activations import make_activation, widen_factor
from nnlib.models.norms import norm1d


class HiddenLayer(nn.Module):
    """Linear -> [batch or layer norm] -> activation -> [dropout]: one column of neurons in the playground's
    diagram."""

    def __init__(self, n_in: int, width: int, activation: str, norm: str, dropout: float) -> None:
        super().__init__()
        k = widen_factor(activation)
        self.activation_name = activation
        self.linear = nn.Linear(n_in, width * k)
        self.norm = norm1d(norm, width * k)
        self.act = make_activation(activation, width * k)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.drop(self.act(self.norm(self.linear(x))))


class MLP(nn.Module):
    def __init__(self, sizes: list[int], activations: list[str], norm: str = "none",
                 dropout: float = 0.0) -> None:
        super().__init__()
        self.sizes = sizes
        self.hidden = nn.ModuleList(
            HiddenLayer(a, b, act, norm, dropout)
            for a, b, act in zip(sizes[:-2], sizes[1:-1], activations, strict=True)
        )
        self.out = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = layer(x)
        return self.out(x)

    def forward_with_hidden(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Output plus every hidden layer's activations: the neuron thumbnails of the playground."""
        hs = []
        for layer in self.hidden:
            x = layer(x)
            hs.append(x)
        return self.out(x), hs

    def linears(self) -> list[nn.Linear]:
        return [layer.linear for layer in self.hidden] + [self.out]
