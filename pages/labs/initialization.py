"""Lab 10.2: a deep MLP fed random inputs, per-layer activation (and gradient) distributions for each weight
initializer -- the collapse, the saturation, and the spread Xavier and He keep."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.init_depth import compare_initializers, last_layer_summary, no_saturation_note
from nnlib.labs.train_groups import init_group
from ui.labs import widgets as W
from ui.labs.group_runs import group_panel
from ui.labs.network_plots import init_hist_figure, init_std_figure
from ui.labs.train_plots import overlay_figure

LAB = "init"


@st.cache_data(max_entries=16, show_spinner="Feeding the batch through every net...")
def experiment(names: tuple[str, ...], activation: str, depth: int, width: int, batch: int, seed: int):  # noqa: ANN201
    runs = compare_initializers(activation, names, depth=depth, width=width, batch=batch, seed=seed)
    return runs, {g: (init_std_figure(runs, g), init_hist_figure(runs, g)) for g in (False, True)}


W.header("Weight initialization through depth",
         "A batch of N(0, 1) inputs goes through a deep net of Linear + activation layers. With weights too small "
         "(std 0.01) each layer multiplies the signal by about 0.01·√width and it **shrinks to 0**; with std 1 tanh "
         "**saturates** at ±1 (f' ≈ 0). **Xavier** (var = 2/(fan_in + fan_out)) keeps tanh activations spread, "
         "**He** (var = 2/fan_in) does the same for ReLU. Watch the std per layer and the histograms.")
W.begin([LAB])
W.multi(LAB, "initializers", "Initializers")
cols = st.columns(5)
W.choice(LAB, "activation", "Activation", where=cols[0])
W.number(LAB, "depth", "Layers", where=cols[1])
W.number(LAB, "width", "Units per layer", where=cols[2])
W.number(LAB, "batch", "Batch", where=cols[3])
W.number(LAB, "seed", "Seed", slider=False, where=cols[4])
settings = W.finish(LAB)
if settings is not None and not settings.initializers:
    st.info("Pick at least one initializer.")
elif settings is not None:
    runs, figures = experiment(tuple(settings.initializers), settings.activation, settings.depth, settings.width,
                               settings.batch, settings.seed)
    view = st.segmented_control("Show", ["activations", "gradients"], default="activations", key="lab.init.view",
                                help="Activations a = f(Wh + b) per layer, or the gradients dL/da after one backward "
                                     "pass of a random upstream gradient.")
    std_fig, hist_fig = figures[view == "gradients"]
    st.plotly_chart(std_fig, key="init_std_chart")
    st.plotly_chart(hist_fig, key="init_hist_chart")
    st.caption(last_layer_summary(runs))
    if note := no_saturation_note(settings.activation):
        st.info(note, icon=":material/info:")
if settings is not None and settings.initializers:
    st.markdown("#### Trained: the loss each initializer leads to")
    st.markdown("Each initializer on the same 2-16×8-1 net (eight layers) on the circle (SGD, lr 0.1, the "
                "activation above). With "
                "**all zeros** every unit of a layer computes the same output and gets the same gradient, so the "
                "units stay copies of each other: the symmetry is never broken and the loss stays at ln 2 ≈ 0.693. "
                "Tiny weights (normal 0.01) start the same way: the signal and the gradient vanish through depth. "
                "Large ones (normal 1.0) saturate tanh, so their gradients are small and the loss crawls (with an "
                "activation that does not saturate, such as ReLU, they explode instead), while Xavier (and He for "
                "ReLU) keeps every layer's signal spread and trains at once.")
    configs, labels = init_group(settings.initializers, settings.activation)
    group_panel("lab_initialization", configs, labels,
                {"loss": overlay_figure("Training loss", labels, dash_runs=True)}, [["loss"]], "lab_rates")
    st.caption("Each initializer has its own colour and dash pattern: curves that lie on top of each other (all "
               "zeros and normal 0.01 both stay at ln 2) both show, the upper one's gaps revealing the lower.")
