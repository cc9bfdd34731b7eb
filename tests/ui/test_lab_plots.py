"""The lab figure builders and table rows (ui/labs): each figure carries the numbers nnlib.labs computed, its
frames walk the steps in order, and the tables' formulas agree with torch."""

from __future__ import annotations

import numpy as np
import pytest

from nnlib.labs.activation_lab import all_activation_curves
from nnlib.labs.conv import LECTURE_INPUT, LECTURE_KERNEL, bottleneck_comparison, conv_walk, small_int_matrix
from nnlib.labs.dropout_lab import dropout_pass, mean_of_dropout_passes
from nnlib.labs.init_depth import compare_initializers
from nnlib.labs.optimizer_paths import PATH_OPTIMIZERS, race
from nnlib.labs.pool_norm import normalize, pool_walk
from nnlib.labs.surfaces import SURFACES, surface_grid
from ui.labs.common import add_player, fmt_value, sample_indices
from ui.labs.conv_tables import bottleneck_rows, shape_rows, torch_transposed, transposed_formula
from ui.labs.curve_plots import all_activations_figure, gradient_figure, softmax_figure
from ui.labs.grid_plots import conv_walk_figure, norm_figure, pool_walk_figure, tensor_layout
from ui.labs.links import settings_from_query
from ui.labs.network_plots import dropout_figure, dropout_mean_figure, init_std_figure
from ui.labs.optimizer_plots import divergence_warnings, race_figure, race_table, race_verdict
from ui.labs.train_plots import RUN_DASHES

LECTURE_OUTPUT = [[-5, 16, 36], [10, -6, 15], [13, 34, 13]]


def _output_trace(frame_or_fig, name: str = "output"):
    return next(t for t in frame_or_fig.data if t.name == name)


def test_conv_figure_walks_every_step_and_ends_with_the_lecture_output():
    walk = conv_walk(LECTURE_INPUT, LECTURE_KERNEL)
    fig = conv_walk_figure(walk, LECTURE_KERNEL)
    assert len(fig.frames) == 9 == len(fig.layout.sliders[0].steps)
    first = np.array(_output_trace(fig.frames[0]).z, dtype=float)
    assert first[0, 0] == -5 and np.isnan(first).sum() == 8  # one dot product so far
    np.testing.assert_array_equal(np.array(_output_trace(fig.frames[-1]).z, dtype=float), LECTURE_OUTPUT)
    assert "= 13" in fig.frames[-1].layout.title.text and "output[2, 2]" in fig.frames[-1].layout.title.text
    # the products panel of step 5 (centre) is window * kernel
    centre = np.array(_output_trace(fig.frames[4], "products").z)
    np.testing.assert_array_equal(centre, LECTURE_INPUT[1:4, 1:4] * LECTURE_KERNEL)


def test_conv_figure_outlines_the_window_where_stride_and_padding_put_it():
    x = small_int_matrix(6, 6, 3)
    walk = conv_walk(x, LECTURE_KERNEL, stride=2, padding=1)
    fig = conv_walk_figure(walk, LECTURE_KERNEL, padding=1)
    box = fig.frames[1].data[0]  # second window: one stride to the right
    assert min(box.x) == 2 - 0.5 and max(box.x) == 2 + 3 - 0.5 and min(box.y) == -0.5
    grey = np.array(fig.data[0].z)
    assert grey[0].all() and not grey[1:-1, 1:-1].any()  # the padding ring is shaded, the input is not


def test_dilated_conv_marks_each_tap():
    walk = conv_walk(small_int_matrix(7, 7, 0), LECTURE_KERNEL, dilation=2)
    taps = conv_walk_figure(walk, LECTURE_KERNEL, dilation=2).frames[0].data[1]
    assert sorted(set(taps.x)) == [0, 2, 4] and sorted(set(taps.y)) == [0, 2, 4]


def test_pool_figure_fills_the_output_window_by_window():
    x = small_int_matrix(4, 6, 0)
    steps, out = pool_walk(x, 2, 2, "max")
    fig = pool_walk_figure(x, steps, out, "max", 2)
    assert len(fig.frames) == out.size == 6
    np.testing.assert_array_equal(np.array(_output_trace(fig.frames[-1]).z, dtype=float), out)


def test_norm_figure_colours_one_group_per_shared_statistic():
    x = np.arange(2 * 4 * 2 * 2, dtype=float).reshape(2, 4, 2, 2)
    for kind, groups in (("batch", 4), ("layer", 2), ("instance", 8), ("group", 4)):
        result = normalize(x, kind, groups=2)
        ids = np.array(norm_figure(x, result).data[0].z, dtype=float)
        assert len(set(ids[~np.isnan(ids)].tolist())) == groups
    assert tensor_layout(x).shape == (2 * 3 - 1, 4 * 3 - 1)


def test_race_figure_frames_reveal_each_path_up_to_the_step():
    surface = SURFACES["valley"]
    paths = race(surface, ("sgd", "momentum"), steps=150)
    fig = race_figure(surface, surface_grid(surface, 41), paths)
    assert 2 <= len(fig.frames) <= 60 and fig.frames[-1].name == "150"
    for frame in fig.frames:
        k = int(frame.name)
        assert [len(t.x) for t in frame.data] == [k + 1, k + 1]
    np.testing.assert_allclose(fig.frames[-1].data[1].x, paths[1].xs)
    rows = race_table(surface, paths)
    assert rows[1]["steps to global minimum"] == str(paths[1].steps_to_reach((0.0, 0.0), 0.05))


def test_race_table_says_what_each_optimizer_did():
    """Its "note" column said only "100 steps" on every row (a walkthrough): now where each one ended up."""
    surface = SURFACES["valley"]
    paths = race(surface, ("sgd", "nesterov"), steps=100) + race(surface, ("sgd",), steps=100, lr_scale=3.0)
    sgd, nesterov, too_fast = (row["outcome"] for row in race_table(surface, paths))
    assert sgd == "did not settle within 0.05 of a minimum in 100 steps"
    assert nesterov == f"settled at the global minimum at step {paths[1].steps_to_reach((0.0, 0.0), 0.05)}"
    assert paths[2].diverged and too_fast == paths[2].message.split(":")[0] and too_fast.startswith("diverged at step")
    two = SURFACES["two_minima"]
    (stuck,) = race_table(two, race(two, ("sgd",), steps=100))
    assert stuck["outcome"].startswith("settled at the minimum (0.96, 0.00) at step ")


def test_race_table_and_warnings_at_the_extremes_read_as_words():
    """Learning-rate scale 10, 2000 steps (a walkthrough): three identical "diverged at step 2" boxes naming no
    optimizer, Adam's final f = 1e-30 cut to "00000000000000" and Python's "None" under "steps to"."""
    surface = SURFACES["valley"]
    paths = race(surface, PATH_OPTIMIZERS, steps=2000, lr_scale=10.0)
    rows = {row["optimizer"]: row for row in race_table(surface, paths)}
    assert rows["sgd"]["steps to global minimum"] == "never"
    assert all(row["steps to global minimum"] != "None" for row in rows.values())
    adam = paths[PATH_OPTIMIZERS.index("adam")]
    assert rows["adam"]["final f"] == f"{float(adam.losses[-1]):.3g}" and len(rows["adam"]["final f"]) <= 10
    diverged = [p.label for p in paths if p.diverged]
    assert len(diverged) >= 2
    warnings = divergence_warnings(paths)
    assert len(warnings) == len({p.message for p in paths if p.diverged})  # one box per distinct message
    assert all(any(w.startswith(name) or f", {name}" in w.split(":")[0] for w in warnings) for name in diverged)


def test_race_verdict_orders_who_settled_and_names_who_did_not():
    surface = SURFACES["valley"]
    paths = race(surface, ("sgd", "momentum", "nesterov"), steps=100)
    assert race_verdict(surface, paths) == ("Settled within 0.05 of the global minimum in 100 steps: momentum "
                                            "(step 80), then nesterov (step 92). Not there: sgd.")
    assert race_verdict(surface, paths[:1]) == ("Settled within 0.05 of the global minimum in 100 steps: none. "
                                                "Not there: sgd.")


def test_softmax_and_gradient_figures_plot_the_lab_numbers():
    fig = softmax_figure(["a", "b"], np.array([1.0, 0.0]), np.array([0.73, 0.27]), 1.0, 0.58, np.log(2))
    assert list(fig.data[0].y) == [0.73, 0.27] and "0.837" in fig.layout.title.text
    z = np.array([-10.0, 0.0])
    g = gradient_figure(z, {"cross_entropy": np.array([-1.0, -0.5]), "mse": np.array([-1e-4, -0.25])})
    assert list(g.data[0].y) == [1.0, 0.5] and g.layout.yaxis.type == "log"


def test_init_std_figure_shows_the_collapse_of_small_weights():
    runs = compare_initializers("tanh", ("small_normal", "xavier_normal"), depth=10, width=100, batch=50)
    small, xavier = init_std_figure(runs).data
    assert small.y[-1] < 1e-3 < xavier.y[-1]


def test_init_std_figure_draws_std_zero_as_zero_not_as_a_number():
    """All-zeros weights have std exactly 0: the chart drew it at 1e-12 (a real-looking number) while the caption
    said "std 0". Now on a floor line labelled "std = 0" under every real std, with 0 in the hover and legend."""
    runs = compare_initializers("tanh", ("zeros", "small_normal"), depth=4, width=50, batch=20)
    zeros, small = init_std_figure(runs).data
    assert "std 0" in zeros.name and list(zeros.customdata) == [0.0] * 4
    assert max(zeros.y) < min(small.y) / 10
    assert any(a.text == "std = 0" and a.y == pytest.approx(np.log10(zeros.y[0]))
               for a in init_std_figure(runs).layout.annotations)


def test_run_dash_patterns_show_in_a_legend_swatch():
    """Plotly's named dashes at line width 2 (dlw = 3): "longdash" is 15 px on, 15 off, so its 30 px legend
    swatch showed one stub (He normal's swatch looked empty). Each pattern must repeat within 15 px."""
    dlw = 3
    named = {"solid": [], "dot": [dlw, dlw], "dash": [3 * dlw, 3 * dlw], "longdash": [5 * dlw, 5 * dlw],
             "dashdot": [3 * dlw, dlw, dlw, dlw], "longdashdot": [5 * dlw, 2 * dlw, dlw, 2 * dlw]}
    for dash in RUN_DASHES:
        lengths = named[dash] if dash in named else [float(v.removesuffix("px")) for v in dash.split(",")]
        assert sum(lengths) <= 18, dash
    assert len(set(RUN_DASHES)) == len(RUN_DASHES)


def test_dropout_figures_show_mask_scaling_and_convergence():
    x = np.ones((3, 4))
    one = dropout_pass(x, 0.5, seed=1)
    fig = dropout_figure(x, one)
    np.testing.assert_array_equal(np.array(fig.data[1].z), one.mask)
    assert set(np.unique(fig.data[2].z)) <= {0.0, 2.0}
    means = mean_of_dropout_passes(x, 0.5, 200, seed=0)
    mean_fig = dropout_mean_figure(x, means)
    assert mean_fig.frames[-1].name == "200"
    first, last = (float(f.layout.title.text.rsplit("= ", 1)[1]) for f in (mean_fig.frames[0], mean_fig.frames[-1]))
    assert last < first
    assert mean_fig.frames[0].layout.title.text.startswith("after 1 pass:")  # not "after 1 passes"
    second = mean_fig.frames[1]
    assert second.layout.title.text.startswith(f"after {second.name} passes:")


def test_conv_tables_match_torch_and_the_lecture_bottleneck():
    rows = shape_rows(size=7, kernel=3, stride=2, padding=1, dilation=1)
    for row in rows:
        assert row["output by formula"] == row["output by torch"]
        assert row["params: F^d x D_in x K + K"] == row["params by torch"]
    table = bottleneck_rows(bottleneck_comparison(28, 28, 192, 32, 5, 16))
    totals = {r["path"]: (r["params"], r["multiplies"]) for r in table if r["layer"] == "total"}
    assert totals == {"direct": (153_600, 120_422_400), "bottleneck": (15_872, 12_443_648)}
    assert transposed_formula(4, 3, 2, 1, 1).endswith(f"= {torch_transposed(4, 3, 2, 1, 1)}")


def test_lab_links_are_lenient_and_say_what_they_changed():
    values, notes = settings_from_query("conv", {"conv.size": "99", "conv.stride": "2", "conv.kernel": "abc",
                                                 "conv.nope": "1", "utm_source": "mail", "pool.size": "3",
                                                 "conv.lecture": "0"})
    assert values == {"size": 12, "stride": 2, "lecture": False}
    assert len(notes) == 3 and "out of range" in notes[0] and "not a number" in notes[1]
    values, notes = settings_from_query("optimizers", {"optimizers.optimizers": "adam,warp",
                                                       "optimizers.surface": "moon"})
    assert values == {"optimizers": ("adam",)} and len(notes) == 2


@pytest.mark.parametrize("n,most", [(5, 10), (2001, 60)])
def test_sample_indices_keep_both_ends(n, most):
    idx = sample_indices(n, most)
    assert idx[0] == 0 and idx[-1] == n - 1 and len(idx) <= most and idx == sorted(set(idx))


def test_player_has_play_and_one_slider_step_per_frame():
    import plotly.graph_objects as go

    fig = go.Figure()
    add_player(fig, ["1", "2", "3"])
    assert [s.label for s in fig.layout.sliders[0].steps] == ["1", "2", "3"]
    assert fig.layout.updatemenus[0].buttons[0].args[0] is None  # Play animates all frames from the current one
    assert fmt_value(3.0) == "3" and fmt_value(float("nan")) == "" and fmt_value(0.125) == "0.12"


def test_all_activations_figure_has_one_panel_per_registry_entry():
    curves = all_activation_curves(-3.0, 3.0, points=61)
    fig = all_activations_figure(curves)
    assert [a.text for a in fig.layout.annotations] == [c.label for c in curves]
    np.testing.assert_allclose(fig.data[2 * 1 + 1].y, curves[1].derivative)  # f' of the second entry
