"""Batch augmentation keeps shape, dtype and labels; each op does what it says; a seed reproduces it."""

import numpy as np
import pytest
import torch

from nnlib.config import AUGMENTATIONS
from nnlib.data.augment import OPS, augment_batch, preview


def batch(b=16, c=1, s=12, seed=0):
    return torch.rand(b, c, s, s, generator=torch.Generator().manual_seed(seed))


def test_ops_match_config():
    assert set(OPS) == set(AUGMENTATIONS)


@pytest.mark.parametrize("ops", [(op,) for op in AUGMENTATIONS] + [tuple(AUGMENTATIONS)])
@pytest.mark.parametrize("c", [1, 3])
def test_shape_dtype_labels_and_seed(ops, c):
    x = batch(c=c)
    y = torch.arange(16)
    before = x.clone()
    a = augment_batch(x, ops, torch.Generator().manual_seed(5))
    assert a.shape == x.shape and a.dtype == x.dtype and torch.isfinite(a).all()
    assert torch.equal(x, before) and torch.equal(y, torch.arange(16))  # input and labels untouched
    b = augment_batch(x, ops, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    c2 = augment_batch(x, ops, torch.Generator().manual_seed(6))
    assert not torch.equal(a, c2)
    assert not torch.equal(a, x)


def test_dtype_kept_for_float64():
    x = batch().double()
    assert augment_batch(x, ("rotate", "noise"), torch.Generator().manual_seed(0)).dtype == torch.float64


def test_flip_is_mirror_or_identity():
    x = batch(64)
    out = augment_batch(x, ("flip",), torch.Generator().manual_seed(0))
    same = (out == x).flatten(1).all(1)
    mirrored = (out == x.flip(-1)).flatten(1).all(1)
    assert (same | mirrored).all() and 10 < int(mirrored.sum()) < 54


@pytest.mark.parametrize(("side", "most"), [(8, 1), (12, 1), (28, 2), (32, 3)])
def test_shift_moves_by_a_fraction_of_the_image_side(side, most):
    x = torch.zeros(64, 1, side, side)
    r0, c0 = side // 2, side // 2 - 1
    x[:, :, r0, c0] = 1.0  # one bright pixel away from the border
    out = augment_batch(x, ("shift",), torch.Generator().manual_seed(0))
    moves = set()
    for img in out[:, 0]:
        r, c = divmod(int(img.argmax()), side)
        assert abs(r - r0) <= most and abs(c - c0) <= most and img.sum() == 1.0
        moves.add((r - r0, c - c0))
    assert max(max(abs(a), abs(b)) for a, b in moves) == most  # the whole range is used
    assert len(moves) > 5  # shifts differ per image


def test_rotate_small_angle_and_border_fill():
    const = torch.full((4, 1, 10, 10), 0.7)
    rotated = augment_batch(const, ("rotate",), torch.Generator().manual_seed(0))
    assert torch.allclose(rotated, const, atol=1e-6)
    x = batch(8, s=28)
    out = augment_batch(x, ("rotate",), torch.Generator().manual_seed(0))
    assert (out - x).abs().mean() < 0.5 and not torch.equal(out, x)


def test_noise_std():
    x = torch.zeros(64, 1, 28, 28)
    out = augment_batch(x, ("noise",), torch.Generator().manual_seed(0))
    assert abs(float(out.std()) - 0.1) < 0.005


def test_errors():
    with pytest.raises(ValueError, match="unknown augmentation 'zoom'"):
        augment_batch(batch(), ("zoom",), torch.Generator())
    with pytest.raises(ValueError, match=r"\[B, C, H, W\]"):
        augment_batch(torch.zeros(4, 10), ("noise",), torch.Generator())


def test_preview():
    imgs = (np.random.default_rng(0).uniform(0, 255, (3, 1, 8, 8))).astype(np.uint8)
    out = preview(imgs, ("shift", "noise"), n=5, seed=1)
    assert out.shape == (5, 1, 8, 8) and out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    assert np.array_equal(out, preview(imgs, ("shift", "noise"), n=5, seed=1))
    assert np.allclose(preview(imgs, (), n=2), imgs[:2] / 255.0)
    assert preview(imgs[:, 0], ("flip",), n=2).shape == (2, 1, 8, 8)
