"""The dense-net summary must count what `nnlib.models.mlp.MLP` really allocates."""

from __future__ import annotations

import pytest

from nnlib.config import MLP_NORMS
from nnlib.models.summary import mlp_summary


@pytest.mark.parametrize("acts", [["relu", "relu"], ["maxout", "prelu"], ["tanh", "maxout"]])
@pytest.mark.parametrize("norm", MLP_NORMS)
def test_mlp_summary_matches_module(acts: list[str], norm: str) -> None:
    from nnlib.models.mlp import MLP

    sizes = [64, 12, 7, 10]
    rows = mlp_summary(sizes, acts, norm=norm)
    model = MLP(sizes, acts, norm, 0.0)
    assert rows[-1]["params"] == sum(p.numel() for p in model.parameters())
    assert rows[1]["formula"].startswith(("64 x 12 + 12 =", "(64 x 12 + 12) x 2 ="))


def test_mlp_summary_formula() -> None:
    rows = mlp_summary([2, 4, 1], "tanh")
    assert [r["layer"] for r in rows] == ["input", "hidden 1 (tanh)", "output", "total"]
    assert rows[1]["formula"] == "2 x 4 + 4 = 12" and rows[2]["formula"] == "4 x 1 + 1 = 5"
    assert rows[-1]["params"] == 17 and rows[-1]["macs"] == 12
    with pytest.raises(ValueError):
        mlp_summary([2, 4, 1], ["tanh", "relu"])
