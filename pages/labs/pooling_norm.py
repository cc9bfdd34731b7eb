"""Lab 13.8: max / min / average / sum pooling on a small matrix, and which values of an N x C x H x W tensor
share a mean and variance under batch, layer, instance and group normalization."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nnlib.labs.conv import small_int_matrix
from nnlib.labs.pool_norm import NORM_FORMULAS, POOL_FORMULAS, POOLS, group_members, normalize, pool_walk
from nnlib.labs.train_groups import norm_group
from ui.labs import widgets as W
from ui.labs.grid_plots import norm_figure, pool_outputs_figure, pool_walk_figure
from ui.labs.group_runs import group_panel
from ui.labs.train_plots import overlay_figure

LABS = ("pool", "norm")


@st.cache_data(max_entries=64, show_spinner=False)
def pooling(kind: str, size: int, stride: int, rows: int, cols: int, seed: int):  # noqa: ANN201 - two figures
    x = small_int_matrix(rows, cols, seed)
    steps, out = pool_walk(x, size, stride, kind)
    outputs = {k: pool_walk(x, size, stride, k)[1] for k in POOLS}
    return pool_walk_figure(x, steps, out, kind, size), pool_outputs_figure(outputs)


@st.cache_data(max_entries=64, show_spinner=False)
def normalization(kind: str, batch: int, channels: int, side: int, groups: int, seed: int):  # noqa: ANN201
    x = np.random.default_rng(seed).normal(2.0, 1.5, size=(batch, channels, side, side)).round(1)
    result = normalize(x, kind, groups)
    stats = [{"shared by": who, "mean": round(float(m), 3), "variance": round(float(v), 3),
              "elements": int((result.group_ids == i).sum())}
             for i, (who, m, v) in enumerate(zip(group_members(result.group_ids), result.means, result.variances))]
    return norm_figure(x, result), stats


W.header("Pooling and normalization",
         "**Pooling** summarizes each F x F window in one number, so the map shrinks to floor((W - F)/S) + 1 per "
         "axis and small shifts of a feature do not change the output. Press **Play** to walk the windows, and "
         "compare what max, min, average and sum pooling keep of the same input.")
W.begin(LABS)
cols = st.columns([1.6, 1, 1, 1, 1, 1])
W.choice("pool", "kind", "Pooling", where=cols[0])
for col, (name, label) in zip(cols[1:], (("size", "Window"), ("stride", "Stride"), ("rows", "Rows"),
                                         ("cols", "Columns"))):
    W.number("pool", name, label, where=col)
W.number("pool", "seed", "Seed", slider=False, where=cols[5])
pool = W.finish("pool")
if pool is not None:
    st.caption(f"{pool.kind} pooling: {POOL_FORMULAS[pool.kind]}")
    walk_fig, all_fig = pooling(pool.kind, pool.size, pool.stride, pool.rows, pool.cols, pool.seed)
    st.plotly_chart(walk_fig, key="pool_walk_chart")
    st.plotly_chart(all_fig, key="pool_all_chart")

st.markdown("#### Which values share a mean and variance")
st.markdown("Every normalization computes (x - mean) / sqrt(var + ε) and then a learned scale and shift; they "
            "differ only in **which elements share the mean and variance**. Below, each cell is one element of an "
            "N x C x H x W tensor, coloured by its group (hover: the normalized value).")
cols = st.columns([1.6, 1, 1, 1, 1, 1])
W.choice("norm", "kind", "Normalization", where=cols[0])
for col, (name, label) in zip(cols[1:], (("batch", "Examples"), ("channels", "Channels"), ("side", "Side"),
                                         ("groups", "Groups"))):
    W.number("norm", name, label, where=col)
W.number("norm", "seed", "Seed", slider=False, where=cols[5])
norm = W.finish("norm")
if norm is not None:
    fig, stats = normalization(norm.kind, norm.batch, norm.channels, norm.side, norm.groups, norm.seed)
    st.caption(f"{norm.kind} norm: {NORM_FORMULAS[norm.kind]} -- {len(stats)} groups of statistics.")
    st.plotly_chart(fig, key="norm_chart")
    st.dataframe(stats, hide_index=True)
st.markdown("#### Training with and without batch norm at a high learning rate")
st.markdown("Six sigmoid layers of 16 on the circle, plain SGD at a rate that is too high for them: without "
            "normalization the pre-activations drift into the sigmoid's flat tails and the loss stays near ln 2; "
            "batch norm puts each layer back at mean 0 and variance 1 on every batch, so the same rate trains.")
bn_lr = W.log_slider("norm", "high_lr", "High learning rate")
configs, labels = norm_group(bn_lr)
group_panel("lab_pooling_norm", configs, labels,
            {"loss": overlay_figure("Loss: train (solid), validation (dashed)", labels, ("train", "val")),
             "accuracy": overlay_figure("Validation accuracy", labels, ("val",), "accuracy")},
            [["loss", "accuracy"]], "lab_accuracy")
