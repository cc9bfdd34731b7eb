"""Optimizer paths on 2D surfaces: the lecture's pictures (zig-zag, saddle) as assertions, and torch's SGD and
momentum checked step by step against the update rules written by hand."""

import numpy as np
import pytest
import torch

from nnlib.labs.optimizer_paths import PATH_OPTIMIZERS, default_optimizer, race, run_path
from nnlib.labs.surfaces import SURFACES, surface_grid

VALLEY, SADDLE = SURFACES["valley"], SURFACES["saddle"]


def _valley_gradient(x, y):
    """d/dx, d/dy of 0.05 x^2 + 5 y^2, by hand."""
    return np.array([0.1 * x, 10.0 * y])


def test_default_valley_race_shows_sgd_zigzag_and_momentum_along_the_floor():
    """The page says "SGD zig-zags across the steep side while momentum travels along its floor". A walkthrough saw
    the opposite at the defaults (both at lr 0.19): momentum swung +-0.8 across y for all 100 steps and overshot to
    x = 2.5 while SGD's zig-zag died after 20 steps. The computed default race must show the sentence."""
    sgd, momentum = race(VALLEY, ("sgd", "momentum"), steps=100)
    signs = np.sign(sgd.ys[:40])
    assert (signs[1:] == -signs[:-1]).all()  # SGD crosses the steep direction at every step
    assert abs(sgd.ys[40]) > 0.1  # and still zig-zags visibly after 40 steps
    assert np.all(np.diff(sgd.xs) > 0) and sgd.xs[-1] < -1.0  # while creeping along the flat one
    across_sgd, across_momentum = (float(np.abs(np.diff(p.ys)).sum()) for p in (sgd, momentum))
    assert across_momentum < across_sgd / 3  # momentum travels far less across the valley
    flips = int((np.diff(np.sign(momentum.ys[np.abs(momentum.ys) > 0.05])) != 0).sum())
    assert flips <= 15  # a few slow swings (SGD flips 100 times)...
    assert np.abs(momentum.ys[50:]).max() < 0.1  # ...that die out: the second half runs along the floor
    assert momentum.xs.max() < 0.2  # no big overshoot past the minimum along the floor
    reached = momentum.steps_to_reach(VALLEY.minima[0], 0.05)
    assert reached is not None and reached < 100 and sgd.steps_to_reach(VALLEY.minima[0], 0.05) is None


def test_sgd_and_momentum_paths_equal_hand_written_updates():
    lr, m, steps = 0.18, 0.9, 40
    point, velocity = np.array(VALLEY.start), np.zeros(2)
    sgd_expected, momentum_expected = [point.copy()], [point.copy()]
    p = point.copy()
    for _ in range(steps):
        p = p - lr * _valley_gradient(*p)
        sgd_expected.append(p)
    p = point.copy()
    for _ in range(steps):
        velocity = m * velocity + _valley_gradient(*p)
        p = p - lr * velocity
        momentum_expected.append(p)
    for name, expected in (("sgd", sgd_expected), ("momentum", momentum_expected)):
        path = run_path(VALLEY, default_optimizer(name, lr), steps=steps)
        np.testing.assert_allclose(np.column_stack([path.xs, path.ys]), np.array(expected), atol=1e-12)


def test_sgd_on_the_ridge_stays_on_the_saddle_while_a_noisy_gradient_escapes():
    ridge = (-1.5, 0.0)
    stuck = run_path(SADDLE, default_optimizer("sgd", 0.1), steps=300, start=ridge)
    assert np.all(stuck.ys == 0.0)
    assert abs(stuck.xs[-1]) < 1e-6 and abs(stuck.losses[-1]) < 1e-9  # parked on the saddle, f = 0
    for seed in range(3):
        noisy = run_path(SADDLE, default_optimizer("sgd", 0.1), steps=300, start=ridge, noise=0.5, seed=seed)
        assert abs(noisy.ys[-1]) > 0.7 and noisy.losses[-1] < -0.2  # in one of the minima (f = -0.25)


def test_noise_is_reproducible_by_seed():
    a, b, c = (run_path(SADDLE, default_optimizer("adam", 0.1), 50, noise=0.3, seed=s) for s in (1, 1, 2))
    np.testing.assert_array_equal(a.xs, b.xs)
    assert not np.array_equal(a.xs, c.xs)


def test_divergence_is_reported_and_the_path_stays_finite():
    path = run_path(VALLEY, default_optimizer("sgd", 0.5), steps=200)
    assert path.diverged and "diverged at step" in path.message
    assert np.isfinite(path.losses).all() and len(path.xs) < 200
    assert not run_path(VALLEY, default_optimizer("sgd", 0.18), steps=50).diverged


def test_every_optimizer_runs_on_every_surface_with_its_suggested_rate():
    for surface in SURFACES.values():
        paths = race(surface, steps=60)
        assert [p.label for p in paths] == list(PATH_OPTIMIZERS)
        for p in paths:
            assert not p.diverged, (surface.name, p.label)
            assert p.losses[-1] < p.losses[0], (surface.name, p.label)


def test_minima_are_stationary_and_the_global_one_is_lowest():
    for surface in SURFACES.values():
        values = []
        for x, y in surface.minima:
            point = torch.tensor([x, y], dtype=torch.float64, requires_grad=True)
            loss = surface.f(point[0], point[1])
            loss.backward()
            assert point.grad.abs().max() < 1e-9, surface.name
            values.append(loss.item())
        assert values[0] == min(values)


def test_grid_for_contours():
    xs, ys, z = surface_grid(VALLEY, 21)
    assert z.shape == (21, 21)
    assert z[10, 3] == pytest.approx(0.05 * xs[3] ** 2 + 5 * ys[10] ** 2)


def test_bad_requests_are_clear_errors():
    with pytest.raises(ValueError, match="choose one of"):
        default_optimizer("lion", 0.1)
    with pytest.raises(ValueError, match="steps"):
        run_path(VALLEY, default_optimizer("sgd", 0.1), steps=10**6)


def test_the_valley_lesson_holds_in_the_labs_default_hundred_steps():
    """The valley's lesson says momentum gets to the minimum while SGD still crawls, in the default 100 steps."""
    sgd, momentum = race(VALLEY, ("sgd", "momentum"), steps=100)
    assert momentum.steps_to_reach(VALLEY.minima[0], 0.05) is not None
    assert sgd.steps_to_reach(VALLEY.minima[0], 0.05) is None and sgd.xs[-1] < -1.0  # still crawling along x
    assert "default 100 steps" in VALLEY.lesson
