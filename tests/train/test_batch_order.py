"""The fast path's batch order without torch equals torch.randperm's with the same seeded generator, epoch after
epoch (the stream stays in step), for every size a run can have."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nnlib.train.batch_order import BatchOrder


@pytest.mark.parametrize("seed", [0, 1, 3, 12345, 2**31 - 1])
def test_permutations_equal_torch_randperm_epoch_after_epoch(seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    order = BatchOrder(seed)
    for n in [250] * 20 + [0, 1, 2, 3, 75, 1000, 100_000, 250]:
        want = torch.randperm(n, generator=generator).numpy()
        got = order.permutation(n)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, want, err_msg=f"seed {seed}, n {n}")


def test_out_of_range_seed_and_size_are_refused() -> None:
    with pytest.raises(ValueError):
        BatchOrder(-1)
    with pytest.raises(ValueError):
        BatchOrder(0).permutation(-1)
