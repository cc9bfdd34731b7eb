"""The live route's answer does only the work it sends: a class of 40 polls it ~400 times a second.

The boundary is sent at half resolution and the diagram's output thumbnail at ~20x20, but both were quantized at
the grid's full 100x100 first (4x and 25x the work), and a per-link Python loop averaged the diagram's weights.
These tests pin what is computed, and that the leaner code draws exactly what the old code drew.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import ui.plots as plots
from ui.plots import encode, network_traces, playground_patches, to_u8


def snapshot(widths: list[int], grid: int = 100, pieces: int = 1, seed: int = 0) -> dict:
    """A dense net's snapshot (inputs first; `pieces` rows per neuron, as a maxout layer has), a grid x grid map."""
    rng = np.random.default_rng(seed)
    return {"weights": [{"weight": rng.normal(size=(b * (pieces if i < len(widths) - 2 else 1), a))
                         .astype(np.float32), "bias": np.zeros(b, np.float32)}
                        for i, (a, b) in enumerate(zip(widths, widths[1:], strict=False))],
            "inputs": rng.random((widths[0], 20, 20)).astype(np.float32),
            "neurons": [rng.random((n, 20, 20)).astype(np.float16) for n in widths[1:-1]],
            "grid": {"prob": rng.random((grid, grid)).astype(np.float32), "xs": np.linspace(-6, 6, grid),
                     "ys": np.linspace(-6, 6, grid)}}


def test_the_patch_quantizes_no_more_than_it_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    quantized: list[int] = []

    def counting(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
        quantized.append(np.asarray(a).size)
        return to_u8(a, lo, hi)

    monkeypatch.setattr(plots, "to_u8", counting)
    patches = playground_patches(snapshot([2, 4, 2, 1]), [], False)
    sent = [p["z"].size for fig in ("boundary", "network") for p in patches[fig].values() if "z" in p]
    assert patches["boundary"][0]["z"].shape == (50, 50)
    assert max(quantized) <= max(sent)  # before: the 100x100 grid, twice (boundary, output thumbnail)
    assert sum(quantized) <= sum(sent) + sent[-1]  # the output thumbnail is quantized twice (probability, diagram)


def _old_to_u8(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The definition: np.nan_to_num to the middle, scale, round, clip."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float32), nan=(lo + hi) / 2)
    return np.clip(np.rint((a - lo) / (hi - lo) * 255.0), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("lo, hi", [(0.0, 1.0), (-1.0, 1.0), (0.3, 0.3 + 1e-6), (-5.0, 2.5)])
def test_to_u8_keeps_its_definition(lo: float, hi: float) -> None:
    rng = np.random.default_rng(1)
    a = rng.normal(size=(30, 30)).astype(np.float32)
    a.flat[::7], a.flat[1::11], a.flat[2::13] = np.nan, np.inf, -np.inf
    with np.errstate(over="ignore"):  # the definition overflows on +-inf (to the same clipped ends)
        expected, expected16 = _old_to_u8(a, lo, hi), _old_to_u8(a.astype(np.float16), lo, hi)
    assert np.array_equal(to_u8(a, lo, hi), expected)
    assert np.array_equal(to_u8(a.astype(np.float16), lo, hi), expected16)


@pytest.mark.parametrize("widths, pieces", [([2, 4, 2, 1], 1), ([3, 9, 9, 1], 1), ([2, 5, 3, 1], 3),
                                            ([2, 12, 3], 2)])
def test_the_diagram_links_are_binned_as_before(widths: list[int], pieces: int) -> None:
    """Each drawn link's colour and width bin from its neuron's mean weight (a maxout neuron: over its pieces)."""
    snap = snapshot(widths, pieces=pieces, seed=len(widths) + pieces)
    shown = [plots.shown_count(n) for n in widths]
    pos = plots._positions(widths)
    wmax = max(float(np.abs(w["weight"]).max()) for w in snap["weights"])
    expected: dict[tuple[int, int], list] = {(s, b): [] for s in (0, 1) for b in range(3)}
    for li, layer in enumerate(snap["weights"]):
        w, k = layer["weight"], layer["weight"].shape[0] // widths[li + 1]
        for j in range(shown[li + 1]):
            for i in range(shown[li]):
                v = float(w[j * k:(j + 1) * k, i].mean())
                (xa, _), (xb, _) = pos[li][i], pos[li + 1][j]
                expected[(int(v >= 0), min(2, int(3 * abs(v) / wmax)))] += [round(xa + plots.THUMB / 2, 2),
                                                                             round(xb - plots.THUMB / 2, 2), None]
    links = [t for t in network_traces(snap, []) if t.get("mode") == "lines"]
    assert [t["x"] for t in links] == list(expected.values())


def test_encode_plain_lists() -> None:
    assert encode([1.5, float("nan"), None, 3, "a", True, float("-inf")]) == [1.5, None, None, 3, "a", True, None]
    nested = encode([[0.5, math.inf], np.array([1.0, 2.0]), np.float32(2.5)])
    assert nested[0] == [0.5, None] and nested[1]["dtype"] == "f4" and nested[2] == 2.5
