"""Batch augmentation keeps shape, dtype and labels; each op does what it says; a seed reproduces it."""

import numpy as np
import pytest
import torch

from nnlib.config import AUGMENTATIONS
from nnlib.data.augment import NOISE_STD, OPS, augment_batch, preview


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


@pytest.fixture(scope="module")
def digits():
    from nnlib.config import RunConfig
    from nnlib.data.bundle import load_data

    return load_data(RunConfig().replace(data={"dataset": "digits", "augment": ("noise",)}))


def test_preview_shows_the_noise_training_adds_in_pixel_units(digits):
    """Training adds NOISE_STD to standardized inputs, i.e. NOISE_STD * (the pixels' std) to pixels."""
    x = digits.x_train[:200]
    clean = digits.standardizer.inverse(x)
    shown = preview(x, ("noise",), digits.standardizer.inverse, n=200, seed=3)
    inside = (clean > 0.15) & (clean < 0.85)  # > 4 noise stds from 0 and 1, where the display clips
    expected = NOISE_STD * float(digits.standardizer.std.reshape(-1)[0])
    assert 0.02 < expected < 0.05  # digits' pixel std is ~0.38: the noise a student should see is ~0.04, not 0.1
    assert float((shown - clean)[inside].std()) == pytest.approx(expected, rel=0.08)


def test_preview_is_the_training_augmentation_mapped_to_pixels(digits):
    ops = ("shift", "rotate", "noise")
    x = digits.x_train[:5]
    trained_on = augment_batch(torch.from_numpy(x), ops, torch.Generator().manual_seed(4))  # as Trainer calls it
    expected = np.clip(digits.standardizer.inverse(trained_on.numpy()), 0.0, 1.0)
    assert np.array_equal(preview(x, ops, digits.standardizer.inverse, n=5, seed=4), expected)


def test_preview_repeats_shapes_and_clips():
    imgs = np.random.default_rng(0).normal(0, 2, (3, 1, 8, 8)).astype(np.float32)
    unit = lambda a: a * 0.25 + 0.5  # noqa: E731 - a standardizer inverse with mean 0.5, std 0.25
    out = preview(imgs, ("shift", "noise"), unit, n=5, seed=1)
    assert out.shape == (5, 1, 8, 8) and out.dtype == np.float32 and out.min() == 0 and out.max() == 1
    assert np.array_equal(out, preview(imgs, ("shift", "noise"), unit, n=5, seed=1))
    assert np.allclose(preview(imgs, (), unit, n=4), np.clip(unit(imgs[[0, 1, 2, 0]]), 0, 1))
    assert preview(imgs[:, 0], ("flip",), unit, n=2).shape == (2, 1, 8, 8)
