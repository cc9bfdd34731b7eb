"""Lab 13.1: every registry activation with its derivative over a chosen range, saturation regions shaded."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.activation_lab import activation_curve, all_activation_curves
from nnlib.labs.train_groups import dead_relu_group
from ui.labs import widgets as W
from ui.labs.curve_plots import activation_figure, all_activations_figure
from ui.labs.group_runs import group_panel
from ui.labs.train_plots import overlay_figure

LAB = "activations"


@st.cache_data(max_entries=64, show_spinner=False)
def figure(name: str, lo: float, hi: float):  # noqa: ANN201 - a plotly Figure
    curve = activation_curve(name, lo, hi)
    return curve, activation_figure(curve)


@st.cache_data(max_entries=16, show_spinner=False)
def overview(lo: float, hi: float):  # noqa: ANN201 - a plotly Figure
    return all_activations_figure(all_activation_curves(lo, hi, points=401))


W.header("Activation functions and their derivatives",
         "Backpropagation multiplies by f'(x) at every layer, so where the derivative is near zero (the shaded "
         "**saturation** regions: |f'| < 5% of its maximum) a unit barely learns. Compare sigmoid and tanh, whose "
         "slopes vanish on both sides, with ReLU (f' = 0 for x < 0: a unit stuck there is *dead*) and leaky ReLU, "
         "which keeps a small slope everywhere.")
W.begin([LAB])
c1, c2, c3 = st.columns([2, 2, 2])
W.choice(LAB, "activation", "Activation", where=c1)
W.number(LAB, "lo", "Left end of x", where=c2)
W.number(LAB, "hi", "Right end of x", where=c3)
settings = W.finish(LAB)
if settings is not None:
    curve, fig = figure(settings.activation, settings.lo, settings.hi)
    st.markdown(f"**{curve.label}**: `{curve.formula}`  \n{curve.description}"
                + (f"  \n*{curve.note}*" if curve.note else ""))
    st.plotly_chart(fig, key="activation_chart")
    if curve.saturated:
        st.caption("Saturated for x in " + ", ".join(f"[{a:.2f}, {b:.2f}]" for a, b in curve.saturated) + ".")
    else:
        st.caption("No saturation in this range: the slope never drops below 5% of its maximum.")
    with st.expander("All activations at a glance", expanded=False):
        st.plotly_chart(overview(settings.lo, settings.hi), key="all_activations_chart")
st.markdown("#### Dead ReLUs at a high learning rate")
st.markdown("A unit is **dead** when its derivative is 0 for every training example (a ReLU whose pre-activation "
            "is negative for every input): no gradient reaches its weights, so it never comes back. One large step "
            "can kill many at once. Three runs of a 2-16×4-1 net on the two moons, plain SGD: ReLU at a low rate, "
            "ReLU at a high rate, and leaky ReLU (slope 0.01 below 0, never exactly flat) at the same high rate.  \n"
            "**What to look for** (at the default rate 1): around epoch 10 a large step hits both high-rate nets and "
            "their losses jump. The ReLU net's dead fraction jumps with it: every unit of its last hidden layer is "
            "now dead, nothing reaches the output, and its loss stays at ln 2 ≈ 0.69 for good. The leaky net's "
            "units still pass 1% of the gradient, so it recovers and converges. A net can live with some dead units "
            "(the low-rate ReLU has a few); it stops learning when a whole layer dies. Where that happens is "
            "chance: other rates may kill the ReLU net earlier, later or not at all.")
dead_lr = W.log_slider(LAB, "dead_lr", "High learning rate")
configs, labels = dead_relu_group(high_lr=dead_lr)
group_panel("lab_activations", configs, labels,
            {"dead": overlay_figure("Dead hidden units (fraction)", labels, ("",), "fraction of units"),
             "loss": overlay_figure("Training loss", labels)}, [["dead", "loss"]], "lab_dead", watch=("dead_units",))
