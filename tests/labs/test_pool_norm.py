"""Pooling windows and normalization groups checked against torch's pooling and normalization functions."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from nnlib.labs.pool_norm import norm_group_ids, normalize, pool_walk

X = np.array([[1, 3, 2, 9, 0, 4],
              [5, 6, 1, 2, 7, 1],
              [3, 8, 4, 4, 2, 6],
              [0, 2, 7, 1, 5, 3]], dtype=float)


def _t(x):
    return torch.tensor(x, dtype=torch.float64)[None, None]


@pytest.mark.parametrize("size,stride", [(2, None), (2, 1), (3, 1), (3, 2)])
def test_pooling_matches_torch(size, stride):
    s = stride or size
    by_torch = {
        "max": F.max_pool2d(_t(X), size, s), "min": -F.max_pool2d(-_t(X), size, s),
        "average": F.avg_pool2d(_t(X), size, s), "sum": F.lp_pool2d(_t(X), 1, size, s)}
    for kind, expected in by_torch.items():
        steps, out = pool_walk(X, size, stride, kind)
        np.testing.assert_allclose(out, expected[0, 0].numpy(), err_msg=kind)
        for step in steps:
            np.testing.assert_array_equal(step.window, X[step.top:step.top + size, step.left:step.left + size])


def test_max_pool_by_hand():
    steps, out = pool_walk(X, 2, kind="max")
    np.testing.assert_array_equal(out, [[6, 9, 7], [8, 7, 6]])
    np.testing.assert_array_equal(steps[1].window, [[2, 9], [1, 2]])


def test_unknown_pooling_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        pool_walk(X, 2, kind="median")


def test_group_ids_say_who_shares_statistics():
    shape = (2, 4, 2, 2)
    assert len(np.unique(norm_group_ids("batch", shape))) == 4
    assert len(np.unique(norm_group_ids("layer", shape))) == 2
    assert len(np.unique(norm_group_ids("instance", shape))) == 8
    ids = norm_group_ids("group", shape, groups=2)
    assert len(np.unique(ids)) == 4
    assert ids[0, 0, 0, 0] == ids[0, 1, 1, 1] != ids[0, 2, 0, 0]
    assert ids[1, 0, 0, 0] != ids[0, 0, 0, 0]
    batch = norm_group_ids("batch", shape)
    assert batch[0, 3, 1, 0] == batch[1, 3, 0, 1]


def test_group_count_must_divide_channels():
    with pytest.raises(ValueError, match="divide"):
        norm_group_ids("group", (1, 6, 2, 2), groups=4)


def test_normalized_values_match_torch():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(3, 4, 5, 5))
    t = torch.tensor(x)
    expected = {
        "batch": F.batch_norm(t, None, None, training=True),
        "layer": F.layer_norm(t, t.shape[1:]),
        "instance": F.instance_norm(t),
        "group": F.group_norm(t, 2),
    }
    for kind, ref in expected.items():
        result = normalize(x, kind, groups=2)
        np.testing.assert_allclose(result.output, ref.numpy(), atol=1e-10, err_msg=kind)
        assert result.means.shape == (len(np.unique(result.group_ids)),)
    stats = normalize(x, "batch")
    np.testing.assert_allclose(stats.means, x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(stats.variances, x.var(axis=(0, 2, 3)))


def test_the_stats_table_names_groups_as_the_figure_labels_cells():
    """The table counted "group 0-3" while the cells read "example 1-2" / "channel 1-4": each row now says which
    examples and channels share it, 1-based, and those are exactly the cells with that id."""
    from nnlib.labs.pool_norm import group_members, norm_group_ids

    ids = norm_group_ids("group", (2, 4, 2, 2), 2)
    assert group_members(ids) == ["example 1, channels 1-2", "example 1, channels 3-4", "example 2, channels 1-2",
                                  "example 2, channels 3-4"]
    assert group_members(norm_group_ids("batch", (2, 3, 1, 1)))[2] == "all 2 examples, channel 3"
    assert group_members(norm_group_ids("layer", (2, 3, 1, 1))) == ["example 1, all 3 channels",
                                                                    "example 2, all 3 channels"]
