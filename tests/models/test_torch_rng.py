"""torch's CPU stream reproduced without torch: float32 uniform_ and normal_ fills equal torch's bit for bit, fill
after fill (the scalar normal path's cached second value carries over to the next small tensor), and the float32
fused multiply-add they rest on rounds once."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlib.models.torch_rng import TorchCpuRandom, fma32, vector_normal_matches_torch

SEEDS = st.integers(0, 2**31 - 1)
FILL = st.tuples(st.sampled_from(["uniform", "normal"]), st.integers(1, 3000), st.floats(1e-3, 5.0))


def _bits(a: np.ndarray) -> np.ndarray:
    return np.asarray(a, np.float32).view(np.uint32)


def test_fma32_rounds_once_where_rounding_twice_would_not() -> None:
    """(1 + 2^-12)^2 + 2^-60 lies just above a float32 midpoint; float64 then float32 rounding lands on the even
    neighbour below, the fused operation (what the AVX2 kernels do) on the one above."""
    a = np.float32(1 + 2.0**-12)
    tiny = np.float32(2.0**-60)
    twice = np.float32(np.float64(a) * np.float64(a) + np.float64(tiny))
    assert twice == np.float32(1 + 2.0**-11)
    assert fma32(np.array([a]), a, tiny)[0] == np.float32(1 + 2.0**-11 + 2.0**-23)


@settings(max_examples=80, deadline=None)
@given(seed=SEEDS, fills=st.lists(FILL, min_size=1, max_size=5))
def test_fills_equal_torch_fill_after_fill(seed: int, fills: list[tuple[str, int, float]]) -> None:
    torch.manual_seed(seed)
    want = []
    for kind, n, scale in fills:
        t = torch.empty(n)
        want.append((t.uniform_(-scale, scale) if kind == "uniform" else t.normal_(0.0, scale)).numpy().copy())
    stream = TorchCpuRandom(seed)
    for (kind, n, scale), expected in zip(fills, want, strict=True):
        if kind == "normal" and n >= 16 and not vector_normal_matches_torch():
            with pytest.raises(NotImplementedError):
                stream.normal(n, 0.0, scale)
            return
        got = stream.uniform(n, -scale, scale) if kind == "uniform" else stream.normal(n, 0.0, scale)
        assert got.dtype == np.float32 and got.shape == (n,)
        np.testing.assert_array_equal(_bits(got), _bits(expected), err_msg=f"{kind} of {n}, scale {scale}")


@settings(max_examples=40, deadline=None)
@given(seed=SEEDS, low=st.floats(-4.0, 4.0), width=st.floats(1e-4, 4.0), n=st.integers(1, 5000))
def test_asymmetric_uniform_equals_torch(seed: int, low: float, width: float, n: int) -> None:
    torch.manual_seed(seed)
    want = torch.empty(n).uniform_(low, low + width).numpy()
    np.testing.assert_array_equal(_bits(TorchCpuRandom(seed).uniform(n, low, low + width)), _bits(want))


@pytest.mark.parametrize("seed", [0, 7, 2**31 - 1])
def test_large_normal_fill_equals_torch(seed: int) -> None:
    """Many blocks of 16 (every branch of the log and sincos polynomials) plus a recomputed tail. Where torch's
    kernel is not the one reproduced (no AVX2/FMA), np_init must refuse normal draws instead."""
    if not vector_normal_matches_torch():
        from nnlib.config import RunConfig
        from nnlib.models.np_init import unsupported_reason

        assert unsupported_reason(RunConfig().replace(model={"initializer": "he_normal"}))
        return
    n = 200_003
    torch.manual_seed(seed)
    want = torch.empty(n).normal_(0.0, 0.37).numpy()
    np.testing.assert_array_equal(_bits(TorchCpuRandom(seed).normal(n, 0.0, 0.37)), _bits(want))


def test_skip_uniform_moves_the_stream_like_a_fill() -> None:
    torch.manual_seed(3)
    torch.empty(123).uniform_()
    want = torch.empty(40).uniform_(-1.0, 1.0).numpy()
    stream = TorchCpuRandom(3)
    stream.skip_uniform(123)
    np.testing.assert_array_equal(_bits(stream.uniform(40, -1.0, 1.0)), _bits(want))


def test_out_of_range_seed_is_refused() -> None:
    with pytest.raises(ValueError):
        TorchCpuRandom(-1)
    with pytest.raises(ValueError):
        TorchCpuRandom(2**32)
