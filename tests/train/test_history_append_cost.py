"""History.append must cost the same at epoch 20,000 as at epoch 1: it used to build an epoch-long list of Nones per
column on every append (dict.setdefault's default is built before the lookup), quadratic over a long run."""

from __future__ import annotations

import tracemalloc

from nnlib.train.callbacks import History


def test_appending_an_epoch_allocates_no_history_long_list() -> None:
    history = History()
    logs = {"epoch": 0, "train_loss": 0.5, "val_loss": 0.4, "val_accuracy": 0.9, "lr": 0.03,
            "weight_norms": [1.0, 2.0], "grad_norms": [0.1, 0.2]}
    for epoch in range(1, 20_001):
        history.append({**logs, "epoch": epoch})
    tracemalloc.start()
    try:
        history.append({**logs, "epoch": 20_001})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000, f"one append allocated {peak} bytes at peak (an epoch-long list is 160,000)"
    assert len(history.column("val_loss")) == 20_001 and history.column("epoch")[-1] == 20_001
