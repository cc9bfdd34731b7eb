"""Small layers torch does not ship: maxout."""

from __future__ import annotations

import torch
from torch import nn


class Maxout(nn.Module):
    """Keep the max of each group of k consecutive features (the Linear before it is k times wider)."""

    def __init__(self, k: int = 2) -> None:
        super().__init__()
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[-1] // self.k
        return x.view(*x.shape[:-1], n, self.k).amax(dim=-1)
