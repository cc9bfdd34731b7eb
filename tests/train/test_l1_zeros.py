"""L1 makes exact zeros, as the registry says: a weight whose sign flips in an update is set to 0 (TF Playground's
rule), identically on the fast path and on autograd, and the count reaches the history and the snapshot."""

from __future__ import annotations

import torch

from nnlib.config import RunConfig
from nnlib.inspect.snapshot import history_columns
from nnlib.regularization import REGULARIZERS, clamp_sign_flips, count_zeros
from nnlib.train.trainer import Trainer, weight_tensors

L1_RUN = {"data": {"dataset": "circle", "noise": 20.0}, "model": {"hidden": (16, 16), "activation": "tanh"},
          "train": {"lr": 0.1, "epochs": 60, "l1": 0.003}}


def l1_run(fast: bool) -> Trainer:
    t = Trainer(RunConfig().replace(**L1_RUN), fast=fast)
    t.run()
    return t


def test_l1_run_ends_with_many_exact_zeros_on_both_paths_identically() -> None:
    fast, slow = l1_run(True), l1_run(False)
    assert fast.fast is not None and slow.fast is None
    zeros_fast = [w.detach() == 0 for w in weight_tensors(fast.model)]
    zeros_slow = [w.detach() == 0 for w in weight_tensors(slow.model)]
    n_weights = sum(z.numel() for z in zeros_fast)
    n_zero = sum(int(z.sum()) for z in zeros_fast)
    assert n_zero > 0.2 * n_weights, f"only {n_zero} of {n_weights} weights are exactly 0"
    for a, b in zip(zeros_fast, zeros_slow, strict=True):
        assert torch.equal(a, b)  # the very same connections died on both paths
    assert fast.history.column("zero_weights") == slow.history.column("zero_weights")
    assert fast.history.records[-1]["zero_weights"] == n_zero
    assert history_columns(fast.history.records, fast.history.columns)["zero_weights"][-1] == n_zero


def test_without_l1_no_weight_is_clamped() -> None:
    t = Trainer(RunConfig().replace(**{**L1_RUN, "train": {**L1_RUN["train"], "l1": 0.0, "epochs": 20}}))
    t.run()
    assert t.history.column("zero_weights") == [0] * 20


def test_clamp_sets_only_sign_flips_to_zero() -> None:
    before = [torch.tensor([1.0, -1.0, 0.5, -0.5, 0.0, 0.0, 1e-30])]
    after = [torch.tensor([-0.1, 0.2, 0.4, -0.6, 0.3, -0.3, -1e-30])]
    clamp_sign_flips(after, before)
    expected = torch.tensor([0.0, 0.0, 0.4, -0.6, 0.3, -0.3, 0.0])  # from 0 a weight may move either way
    assert torch.equal(after[0], expected)
    assert count_zeros(after) == 3


def test_registry_says_what_l1_does() -> None:
    help_text = REGULARIZERS["l1"].help
    assert "exactly 0" in help_text and "sign" in help_text
