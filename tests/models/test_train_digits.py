"""A small CNN must actually learn: sklearn's 8x8 digits, plain torch loop, CPU, a few seconds."""

from __future__ import annotations

import numpy as np
import torch

from nnlib.models.cnn import build_cnn
from nnlib.models.presets import preset_spec


def test_tiny_cnn_learns_digits() -> None:
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.data / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    y = torch.tensor(digits.target, dtype=torch.int64)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=g)
    tr, te = perm[:1400], perm[1400:]
    torch.manual_seed(0)
    model = build_cnn(preset_spec("tiny", (1, 8, 8)), (1, 8, 8), 10, "relu")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    for _ in range(8):
        model.train()
        for idx in torch.randperm(len(tr), generator=g).split(32):
            b = tr[idx]
            opt.zero_grad()
            loss_fn(model(x[b]), y[b]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(x[te]).argmax(1) == y[te]).float().mean().item()
    majority = np.bincount(y[te].numpy()).max() / len(te)
    assert acc >= 0.90, acc
    assert acc > majority
