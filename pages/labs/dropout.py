"""Lab 10.10: dropout on one layer -- the mask, the 1/(1-p) scaling, and why the average of many training-mode
passes equals the evaluation output."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nnlib.labs.dropout_lab import dropout_pass, mean_of_dropout_passes
from ui.labs import widgets as W
from ui.labs.network_plots import dropout_figure, dropout_gap_figure, dropout_mean_figure

LAB = "dropout"
SHAPE = (4, 6)  # one layer's 6 activations for 4 examples: small enough to read every cell


@st.cache_data(max_entries=64, show_spinner=False)
def experiment(p: float, passes: int, seed: int):  # noqa: ANN201 - three figures
    x = np.random.default_rng(1000 + seed).normal(0.0, 1.0, SHAPE).round(2)
    one = dropout_pass(x, p, seed)
    means = mean_of_dropout_passes(x, p, passes, seed)
    return dropout_figure(x, one), dropout_mean_figure(x, means), dropout_gap_figure(x, means), one


def new_mask() -> None:
    k = W.key(LAB, "seed")
    st.session_state[k] = (int(st.session_state.get(k, 0)) + 1) % 10_001


W.header("Dropout",
         "In training each value is dropped with probability p and the survivors are scaled by 1/(1 - p): "
         "**y = x · mask / (1 - p)**, so the expected output equals x and evaluation can simply switch dropout off. "
         "Draw new masks, then press **Play** on the second chart: the average over passes converges to x.")
W.begin([LAB])
cols = st.columns([1.6, 1.6, 1, 1.4], vertical_alignment="bottom")
W.number(LAB, "p", "Drop probability p", where=cols[0])
W.number(LAB, "passes", "Passes averaged", where=cols[1])
W.number(LAB, "seed", "Seed", slider=False, where=cols[2])
cols[3].button("New mask", key="lab.dropout.new_mask", on_click=new_mask, icon=":material/casino:",
               help="Draw another mask (the next seed).")
settings = W.finish(LAB)
if settings is not None:
    one_fig, mean_fig, gap_fig, one = experiment(settings.p, settings.passes, settings.seed)
    st.plotly_chart(one_fig, key="dropout_chart")
    st.caption(f"This mask kept {one.mask.mean():.0%} of the values (expected {1 - settings.p:.0%}); each survivor "
               f"is multiplied by {one.scale:.3g}.")
    st.plotly_chart(mean_fig, key="dropout_mean_chart")
    st.plotly_chart(gap_fig, key="dropout_gap_chart")
W.coming_next("Monte-Carlo dropout on a trained model: many stochastic predictions giving a mean with a ±2 std band "
              "(the model is trained through the job pool first).")
