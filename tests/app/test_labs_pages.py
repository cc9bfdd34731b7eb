"""AppTest of every lab page: it renders without an exception, a control changes the figure's data exactly as the
nnlib.labs function says, settings survive a page switch, and a link's bad parameters give a sentence."""

from __future__ import annotations

import base64
import json
import os

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from nnlib.labs.activation_lab import activation_curve
from nnlib.labs.conv import LECTURE_INPUT, LECTURE_KERNEL, conv_walk, small_int_matrix
from nnlib.labs.dropout_lab import dropout_pass
from nnlib.labs.init_depth import compare_initializers
from nnlib.labs.loss_lab import fit_line, line_with_outliers
from nnlib.labs.optimizer_paths import PATH_OPTIMIZERS, race
from nnlib.labs.pool_norm import pool_walk
from nnlib.labs.surfaces import SURFACES
from nnlib.labs.zoo import zoo_table
from ui.labs.optimizer_plots import race_verdict

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
LABS = ("activations", "initialization", "optimizers", "losses", "convolution", "pooling_norm", "dropout", "zoo")


def lab(name: str, **query: str) -> AppTest:
    at = AppTest.from_file(os.path.join(ROOT, "pages", "labs", f"{name}.py"), default_timeout=120)
    for k, v in query.items():
        at.query_params[k.replace("__", ".")] = v
    at.run()
    assert not at.exception, at.exception
    return at


def arr(v: object) -> np.ndarray:
    """A plotly JSON array, plain or base64-packed ({'dtype', 'bdata', 'shape'})."""
    if isinstance(v, dict) and "bdata" in v:
        a = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
        return a.reshape([int(s) for s in str(v["shape"]).split(",")]) if "shape" in v else a
    return np.array(v, dtype=float)


def chart(at: AppTest, i: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def trace(fig_or_frame: dict, name: str) -> dict:
    return next(t for t in fig_or_frame["data"] if t.get("name") == name)


def by_key(at: AppTest, kind: str, key: str):
    return next(w for w in getattr(at, kind) if w.key == key)


@pytest.mark.parametrize("name", LABS)
def test_every_lab_renders_with_a_figure_a_title_and_tooltips(name):
    at = lab(name)
    assert at.get("plotly_chart") and at.markdown[0].value.startswith("### ")
    widgets = [w for kind in ("slider", "selectbox", "number_input", "select_slider") for w in getattr(at, kind)]
    assert widgets and all(w.help for w in widgets)


def test_activation_choice_redraws_f_and_its_derivative():
    at = lab("activations")
    by_key(at, "selectbox", "lab.activations.activation").set_value("relu").run()
    fig, want = chart(at), activation_curve("relu", -6.0, 6.0)
    np.testing.assert_allclose(arr(trace(fig, f"f(x) = {want.label}")["y"]), want.value)
    np.testing.assert_allclose(arr(trace(fig, "f'(x) (autograd)")["y"]), want.derivative)


def test_optimizer_steps_change_the_animated_paths():
    at = lab("optimizers")
    by_key(at, "slider", "lab.optimizers.steps").set_value(20).run()
    fig = chart(at)
    assert fig["frames"][-1]["name"] == "20"
    momentum = race(SURFACES["valley"], ("momentum",), steps=20)[0]
    np.testing.assert_allclose(arr(trace(fig, "momentum")["x"]), momentum.xs)


def test_outliers_tilt_the_mse_line():
    at = lab("losses")
    by_key(at, "slider", "lab.losses.n_outliers").set_value(0).run()
    names = [t.get("name", "") for t in chart(at)["data"]]
    assert "outliers" not in names
    data = line_with_outliers(slope=1.5, intercept=0.5, n_outliers=0)
    slope, intercept = fit_line(data.x, data.y, "mse")
    assert f"mse: y = {slope:.2f} x + {intercept:.2f}" in names


def test_past_the_breakdown_point_the_page_says_so_and_the_fits_show_it():
    """At 20 outliers of 40 (a walkthrough) all three lines sloped downward (mse -1.32, l1 -1.09, huber -1.16)
    under a text saying L1 and Huber "hold the line". The fitted numbers decide: at the default 5 the robust lines
    hold and nothing is said; at 20 they break and the page explains the breakdown point."""
    at = lab("losses")
    assert not [w for w in at.warning if "breakdown" in w.value]
    data = line_with_outliers(slope=1.5, intercept=0.5, n_outliers=5)
    held = {n: fit_line(data.x, data.y, n) for n in ("l1", "huber")}
    assert all(abs(s - 1.5) < 0.75 for s, _ in held.values())
    by_key(at, "slider", "lab.losses.n_outliers").set_value(20).run()
    data = line_with_outliers(slope=1.5, intercept=0.5, n_outliers=20)
    assert all(fit_line(data.x, data.y, n)[0] < 0 for n in ("l1", "huber"))  # they really follow the outliers
    (note,) = [w.value for w in at.warning if "breakdown" in w.value]
    assert "L1 and HUBER follow them" in note and "20 of 40 points are outliers" in note


def test_stride_two_on_the_lecture_example_gives_a_two_by_two_output():
    at = lab("convolution")
    by_key(at, "slider", "lab.conv.stride").set_value(2).run()
    fig = chart(at)
    want = conv_walk(LECTURE_INPUT, LECTURE_KERNEL, stride=2).output
    assert len(fig["frames"]) == want.size == 4
    np.testing.assert_array_equal(arr(trace(fig["frames"][-1], "output")["z"]), want)
    assert any("floor((5 - 3 + 2·0)/2) + 1 = 2" in m.value for m in at.markdown)  # the one formula, with floor


def test_random_matrices_replace_the_lecture_example_when_it_is_off():
    at = lab("convolution")
    at.toggle(key="lab.conv.lecture").set_value(False).run()
    by_key(at, "slider", "lab.conv.size").set_value(6).run()
    fig = chart(at)
    input_text = trace(fig, "input")["text"]
    assert [[int(v) for v in row] for row in input_text] == small_int_matrix(6, 6, 0).tolist()


def test_pooling_kind_and_normalization_kind_change_their_figures():
    at = lab("pooling_norm")
    by_key(at, "selectbox", "lab.pool.kind").set_value("average").run()
    _, want = pool_walk(small_int_matrix(4, 6, 0), 2, 2, "average")
    np.testing.assert_allclose(arr(trace(chart(at)["frames"][-1], "output")["z"]), want)
    by_key(at, "selectbox", "lab.norm.kind").set_value("layer").run()
    ids = arr(chart(at, 2)["data"][0]["z"])
    assert set(ids[~np.isnan(ids)].tolist()) == {0.0, 1.0}  # one group per example


def test_groups_that_do_not_divide_the_channels_give_a_sentence():
    at = lab("pooling_norm")
    by_key(at, "slider", "lab.norm.groups").set_value(3).run()
    assert not at.exception
    assert any("3 groups do not divide 4 channels" in w.value for w in at.warning)


def test_depth_changes_the_std_by_layer():
    at = lab("initialization")
    by_key(at, "slider", "lab.init.depth").set_value(4).run()
    runs = compare_initializers("tanh", depth=4, width=500, batch=200)
    for t, run in zip(chart(at)["data"], runs):
        np.testing.assert_allclose(arr(t["customdata"]), run.stds, rtol=1e-5)
        np.testing.assert_allclose(arr(t["y"])[run.stds > 0], run.stds[run.stds > 0], rtol=1e-5)


def test_initialization_with_relu_reports_off_units_not_saturation():
    """With ReLU the caption said "large normal ... saturated 53%": ReLU has slope 1 for x > 0 and the page defines
    saturation as f' ~ 0. Now it reports the units that are off and says why saturation does not apply."""
    at = lab("initialization")
    by_key(at, "selectbox", "lab.init.activation").set_value("relu").run()
    assert not at.exception
    caption = next(c.value for c in at.caption if c.value.startswith("At the last layer"))
    assert "saturated" not in caption and "large normal std" in caption and "off (a = 0" in caption
    assert any("does not saturate" in i.value for i in at.info)
    by_key(at, "selectbox", "lab.init.activation").set_value("tanh").run()
    caption = next(c.value for c in at.caption if c.value.startswith("At the last layer"))
    assert "saturated (f' ≈ 0)" in caption and not any("does not saturate" in i.value for i in at.info)


def test_dropout_p_and_new_mask_redraw_the_mask():
    at = lab("dropout")
    by_key(at, "slider", "lab.dropout.p").set_value(0.2).run()
    x = np.random.default_rng(1000).normal(0.0, 1.0, (4, 6)).round(2)
    np.testing.assert_array_equal(arr(chart(at)["data"][1]["z"]), dropout_pass(x, 0.2, 0).mask)
    at.button(key="lab.dropout.new_mask").click().run()
    assert by_key(at, "number_input", "lab.dropout.seed").value == 1
    x1 = np.random.default_rng(1001).normal(0.0, 1.0, (4, 6)).round(2)
    np.testing.assert_array_equal(arr(chart(at)["data"][1]["z"]), dropout_pass(x1, 0.2, 1).mask)


def test_zoo_sources_are_shown_whole_not_in_a_cut_table_cell():
    """ResNet-50's source ("...; torchvision's v1.5 strides in the 3x3 conv...") was cut in the table's last column
    at 1024 px (as were others): the sources are now written out under the table."""
    from nnlib.labs.zoo import ZOO

    at = lab("zoo")
    assert "source" not in at.dataframe[0].value.columns
    text = " ".join(c.value for c in at.caption)
    assert all(entry.source in text for entry in ZOO.values())


def test_zoo_layer_table_follows_the_chosen_net():
    at = lab("zoo")
    by_key(at, "selectbox", "lab.zoo.net").set_value("resnet18").run()
    assert len(at.dataframe[1].value) == len(zoo_table("resnet18").rows)


def test_a_link_sets_the_lab_and_bad_parameters_give_a_sentence():
    at = lab("convolution", conv__stride="9", conv__padding="abc", conv__lecture="1", transposed__stride="3")
    assert by_key(at, "slider", "lab.conv.stride").value == 4
    assert by_key(at, "slider", "lab.transposed.stride").value == 3
    notice = " ".join(w.value for w in at.warning)
    assert "conv.stride=9 is out of range (1 to 4), so 4 is used" in notice and "not a number" in notice
    assert at.query_params["conv.stride"] in ("4", ["4"])  # the address bar now shares what is shown


def test_lab_settings_survive_switching_pages():
    at = AppTest.from_file(os.path.join(ROOT, "app.py"), default_timeout=120).run()
    at.switch_page("pages/labs/convolution.py").run()
    by_key(at, "slider", "lab.conv.stride").set_value(2).run()
    at.switch_page("pages/labs/optimizers.py").run()
    by_key(at, "selectbox", "lab.optimizers.surface").set_value("saddle").run()
    at.switch_page("pages/labs/convolution.py").run()
    assert not at.exception
    assert by_key(at, "slider", "lab.conv.stride").value == 2
    assert len(chart(at)["frames"]) == 4
    at.switch_page("pages/labs/optimizers.py").run()
    assert by_key(at, "selectbox", "lab.optimizers.surface").value == "saddle"
    assert by_key(at, "slider", "lab.optimizers.start_y").value == SURFACES["saddle"].start[1]


def test_each_optimizer_has_one_colour_on_the_whole_optimizers_page():
    """A walkthrough saw sgd red on the surface chart and orange on the digits chart below it (and adagrad, rmsprop
    swapped too): one mapping, used by both charts."""
    at = lab("optimizers")
    figures = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    race_colours = {t["name"]: t["line"]["color"] for t in figures[0]["data"] if t.get("mode") == "lines+markers"}
    digits = next(f for f in figures if f["layout"].get("title", {}).get("text", "").startswith("Loss: train"))
    digits_colours = {t["name"].removeprefix("Optimizer = "): t["line"]["color"] for t in digits["data"]}
    assert set(race_colours) == set(digits_colours) == set(PATH_OPTIMIZERS)
    assert digits_colours == race_colours
    assert len(set(race_colours.values())) == len(PATH_OPTIMIZERS)


def test_the_optimizers_verdict_is_the_tables_numbers():
    at = lab("optimizers")
    want = race_verdict(SURFACES["valley"], race(SURFACES["valley"], PATH_OPTIMIZERS, steps=100))
    assert "momentum (step 80), then nesterov (step 92)" in want  # what the lab's default race does
    assert any(m.value == want for m in at.markdown)


def test_initialization_curves_that_coincide_both_show():
    """zeros and normal 0.01 both stay flat at ln 2: drawn in one style, the later line hid the other completely
    (a walkthrough could not find zeros). Each run has its own dash pattern, so lines on top of each other both
    show, and the legend says which pattern is which run."""
    at = lab("initialization")
    loss = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if json.loads(c.proto.spec)["layout"].get("title", {}).get("text") == "Training loss")
    dashes = [t["line"]["dash"] for t in loss["data"]]
    assert len(dashes) == 5 and len(set(dashes)) == 5
    assert len({t["line"]["color"] for t in loss["data"]}) == 5
