"""Lab settings: every field carries its range and tooltip, bad values become sentences, and the defaults of each
lab run its computation end to end."""

from dataclasses import fields

import numpy as np

from nnlib.labs.activation_lab import activation_curve
from nnlib.labs.conv import (
    bottleneck_comparison,
    conv_output_size,
    conv_walk,
    small_int_matrix,
    total_cost,
    transposed_output_size,
)
from nnlib.labs.dropout_lab import dropout_pass
from nnlib.labs.init_depth import compare_initializers
from nnlib.labs.loss_lab import fit_line, line_with_outliers, softmax_temperature
from nnlib.labs.optimizer_paths import race
from nnlib.labs.pool_norm import normalize, pool_walk
from nnlib.labs.settings import (
    LAB_SETTINGS,
    ActivationLab,
    BottleneckLab,
    ConvLab,
    DropoutLab,
    InitLab,
    LossLab,
    NormLab,
    OptimizerLab,
    PoolLab,
    TransposedLab,
    lab_problems,
)
from nnlib.labs.surfaces import SURFACES


def test_every_field_has_a_tooltip_and_a_default_inside_its_range():
    for name, cls in LAB_SETTINGS.items():
        for f in fields(cls):
            assert f.metadata.get("help", "").endswith((".", ")")) or "Formula:" in f.metadata["help"], (name, f.name)
            if "min" in f.metadata:
                assert f.metadata["min"] <= f.default <= f.metadata["max"], (name, f.name)
        assert lab_problems(cls()) == [], name


def test_bad_values_become_sentences():
    assert lab_problems(ConvLab(size=4, kernel=5)) == [
        "a kernel spanning 5 does not fit an input of 4 padded by 0 on each side"]
    assert lab_problems(ConvLab(stride=9)) == ["conv.stride is 9; use 1 to 4"]
    assert lab_problems(NormLab(channels=6, groups=4)) == ["4 groups do not divide 6 channels"]
    assert lab_problems(TransposedLab(stride=1, output_padding=1)) == [
        "output_padding must be smaller than the stride"]
    assert "is not one of" in lab_problems(OptimizerLab(optimizers=("sgd", "lion")))[0]
    assert "start inside" in lab_problems(OptimizerLab(surface="saddle", start_x=-9.0))[0]
    assert lab_problems(ActivationLab(lo=0.0, hi=0.0)) == ["the left end must be below the right end"]
    assert lab_problems(PoolLab(size=4, rows=3)) == ["the window is larger than the matrix"]
    assert "maxout" in lab_problems(InitLab(activation="maxout"))[0]


def test_defaults_run_every_lab():
    c = ConvLab()
    walk = conv_walk(small_int_matrix(c.size, c.size, c.seed), small_int_matrix(c.kernel, c.kernel, c.seed + 1, -2, 2),
                     c.stride, c.padding, c.dilation)
    assert walk.output.shape == (conv_output_size(c.size, c.kernel, c.stride, c.padding, c.dilation),) * 2
    b = BottleneckLab()
    assert total_cost(bottleneck_comparison(b.size, b.size, b.c_in, b.c_out, b.kernel, b.c_mid)["direct"]) == (
        153_600, 120_422_400)
    t = TransposedLab()
    assert transposed_output_size(t.size, t.kernel, t.stride, t.padding, t.output_padding) == 8
    p = PoolLab()
    assert pool_walk(small_int_matrix(p.rows, p.cols, p.seed), p.size, p.stride, p.kind)[1].shape == (2, 3)
    n = NormLab()
    x = np.random.default_rng(n.seed).normal(size=(n.batch, n.channels, n.side, n.side))
    assert normalize(x, n.kind, n.groups).means.shape == (n.channels,)
    o = OptimizerLab()
    paths = race(SURFACES[o.surface], o.optimizers, steps=o.steps, start=(o.start_x, o.start_y), noise=o.noise,
                 seed=o.seed, lr_scale=o.lr_scale)
    assert not any(path.diverged for path in paths)
    assert race(SURFACES["valley"], ("sgd",), steps=50, lr_scale=2.0)[0].diverged
    loss = LossLab()
    data = line_with_outliers(n_outliers=loss.n_outliers, seed=loss.seed)
    assert len(fit_line(data.x, data.y, "huber", loss.delta, steps=100)) == 2
    assert softmax_temperature([1.0, 2.0], loss.temperature)["entropy"] > 0
    a = ActivationLab()
    assert activation_curve(a.activation, a.lo, a.hi).saturated
    i = InitLab()
    assert len(compare_initializers(i.activation, ("he_normal",), depth=i.depth, width=50, batch=20)) == 1
    d = DropoutLab()
    assert dropout_pass(np.ones((3, 3)), d.p, d.seed).scale == 2.0


def test_the_conv_tooltips_give_one_output_formula_that_computes_the_size():
    """Kernel, stride and padding each gave another output-size formula (floor or not, dilation or not)."""
    import dataclasses
    import math

    from nnlib.config import field_meta
    from nnlib.labs.conv import CONV_OUTPUT_FORMULA, conv_output_size
    from nnlib.labs.settings import ConvLab

    helps = {f.name: field_meta(ConvLab, f.name)["help"] for f in dataclasses.fields(ConvLab)}
    formulas = {name: text.split("Formula: ", 1)[1] for name, text in helps.items() if "Formula: output" in text}
    assert set(formulas) == {"kernel", "stride", "padding"} and set(formulas.values()) == {CONV_OUTPUT_FORMULA}
    for w, f, s, p, d in [(5, 3, 2, 0, 1), (7, 3, 2, 1, 2), (6, 2, 3, 0, 1)]:  # the formula's floor, checked
        assert conv_output_size(w, f, s, p, d) == math.floor((w + 2 * p - d * (f - 1) - 1) / s) + 1
