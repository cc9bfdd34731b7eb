"""Lab 10.10: dropout on one layer -- the mask, the 1/(1-p) scaling, and why the average of many training-mode
passes equals the evaluation output -- then Monte-Carlo dropout on a net trained through the job pool: the mean of
T stochastic predictions with its +-2 std band, and the average of T sub-networks against the eval-mode net."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nnlib.labs.dropout_lab import dropout_pass, mean_of_dropout_passes
from nnlib.labs.mc_dropout import mc_group
from ui.labs import widgets as W
from ui.labs.group_runs import group_panel
from ui.labs.mc_plots import band_summary, ensemble_figure, uncertainty_figure
from ui.labs.network_plots import dropout_figure, dropout_gap_figure, dropout_mean_figure
from ui.labs.train_plots import overlay_figure

LAB = "dropout"
MC, MC_SLOT = "mc_dropout", "lab_mc_dropout"
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
W.begin([LAB, MC])
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
st.markdown("#### Monte-Carlo dropout on a trained net")
st.markdown("Keep dropout **on** at prediction time and ask the trained net T times: each pass is another masked "
            "sub-network. The mean of the T answers is the prediction, their spread (**mean ± 2 std**) its "
            "uncertainty: narrow where the training points pin the net down, wide along the decision boundary, "
            "and widest along its continuation far from the data, where nothing decided where it should run. "
            "Two nets of two ReLU layers of 32 train side by side on the server (one with dropout after "
            "each hidden layer, one without); after training the job predicts a 41×41 grid T times. The net "
            "without dropout gives the same answer every pass: std 0.")
mc_cols = st.columns([1.6, 1.4, 1.4, 1.4, 1], vertical_alignment="bottom")
W.choice(MC, "dataset", "Data", where=mc_cols[0])
W.number(MC, "p", "Dropout p", where=mc_cols[1])
W.number(MC, "passes", "Passes T", where=mc_cols[2])
W.number(MC, "epochs", "Epochs", where=mc_cols[3])
W.number(MC, "seed", "Seed", slider=False, where=mc_cols[4])
mc = W.finish(MC)
if mc is not None:
    configs, labels, options = mc_group(mc.p, mc.dataset, mc.epochs, mc.passes, seed=mc.seed)
    figures = {"loss": overlay_figure("Loss: train (solid), validation (dashed)", labels, ("train", "val")),
               "ensemble": ensemble_figure(labels),
               **{f"map{i}": uncertainty_figure(label) for i, label in enumerate(labels)}}
    view = group_panel(MC_SLOT, configs, labels, figures, [["loss", "ensemble"], ["map0", "map1"]], "lab_mc",
                       lab="mc_dropout", lab_options=options)
    summary = band_summary(view.snapshot or {}) if view is not None else []
    if summary:
        st.markdown("\n".join(f"- {line}" for line in summary))
    st.caption("Dropout as an ensemble (right chart): the average of T masked sub-networks tends to the eval-mode "
               "net (dropout off, nothing rescaled) roughly like 1/√T. It is exact in expectation only for a linear "
               "map of the last dropout layer; the ReLU before it and the sigmoid after make the limit slightly "
               "different, which is why the probability error levels off instead of reaching 0.")
