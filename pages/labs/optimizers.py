"""Lab 13.3: SGD, momentum, Nesterov, Adagrad, RMSprop and Adam racing on 2D loss surfaces, animated step by step."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.optimizer_paths import race
from nnlib.labs.surfaces import SURFACES, surface_grid
from nnlib.labs.train_groups import optimizer_group
from ui.labs import widgets as W
from ui.labs.group_runs import group_panel
from ui.labs.optimizer_plots import (
    COLORS,
    divergence_warnings,
    loss_curves_figure,
    race_figure,
    race_table,
    race_verdict,
)
from ui.labs.train_plots import overlay_figure

LAB = "optimizers"
RACE_LR, RACE_EPOCHS = 0.01, 15  # one rate for all: SGD visibly slow, none diverges


@st.cache_data(max_entries=32, show_spinner="Running the optimizers...")
def experiment(surface: str, names: tuple[str, ...], lr_scale: float, steps: int, start: tuple[float, float],
               noise: float, seed: int):  # noqa: ANN201 - figures and a table
    s = SURFACES[surface]
    paths = race(s, names, steps=steps, start=start, noise=noise, seed=seed, lr_scale=lr_scale)
    return race_figure(s, surface_grid(s), paths), loss_curves_figure(paths), race_table(s, paths), \
        race_verdict(s, paths), divergence_warnings(paths)


def reset_start() -> None:
    """A new surface starts where its lesson shows (the start fields belong to the surface)."""
    s = SURFACES[st.session_state[W.key(LAB, "surface")]]
    st.session_state[W.key(LAB, "start_x")], st.session_state[W.key(LAB, "start_y")] = s.start


W.header("Optimizers on 2D loss surfaces",
         "Each optimizer starts at the same point and follows its update rule on f(x, y): SGD steps "
         "w ← w - lr ∇f, momentum keeps a velocity v ← βv + ∇f, Adam divides by a running RMS of the gradient. "
         "Press **Play** (or drag the step slider) and watch SGD zig-zag across the steep side of the valley at "
         "every step while momentum, in a few slow swings, travels along its floor to the minimum "
         "(the table below says which optimizer got where, and in how many steps); "
         "try the saddle and the surface with two minima.")
W.begin([LAB])
c1, c2, c3, c4 = st.columns([1.3, 1, 1, 1])
surface_key = W.key(LAB, "surface")
with c1:
    W.choice(LAB, "surface", "Loss surface")
if st.session_state.get(f"{surface_key}.last") not in (None, st.session_state[surface_key]):
    reset_start()
st.session_state[f"{surface_key}.last"] = st.session_state[surface_key]
W.number(LAB, "lr_scale", "Learning-rate scale", where=c2)
W.number(LAB, "steps", "Steps", where=c3)
W.number(LAB, "noise", "Gradient noise", where=c4)
W.multi(LAB, "optimizers", "Optimizers")
with st.expander("Start point and seed"):
    d1, d2, d3 = st.columns(3)
    W.number(LAB, "start_x", "Start x", where=d1)
    W.number(LAB, "start_y", "Start y", where=d2)
    W.number(LAB, "seed", "Seed", slider=False, where=d3)
settings = W.finish(LAB)
if settings is not None and not settings.optimizers:
    st.info("Pick at least one optimizer to race.")
elif settings is not None:
    surface = SURFACES[settings.surface]
    st.markdown(f"**{surface.label}**: `{surface.formula}`. {surface.lesson}")
    path_fig, loss_fig, table, verdict, diverged = experiment(
        settings.surface, tuple(settings.optimizers), settings.lr_scale, settings.steps,
        (settings.start_x, settings.start_y), settings.noise, settings.seed)
    for message in diverged:
        st.warning(message, icon=":material/trending_up:")
    st.plotly_chart(path_fig, key="race_chart")
    st.plotly_chart(loss_fig, key="race_losses")
    st.dataframe(table, hide_index=True)
    st.markdown(verdict)
if settings is not None and len(settings.optimizers) >= 2:
    st.markdown("#### The same race on real data")
    st.markdown(f"The chosen optimizers train a 64-32-10 ReLU net on scikit-learn's 1,797 handwritten 8×8 digits "
                f"(batches of 32, {RACE_EPOCHS} epochs), all with learning rate {RACE_LR:g}: plain SGD crawls where "
                "momentum, RMSprop and Adam are done in a few epochs.")
    configs, labels = optimizer_group(settings.optimizers, RACE_LR, RACE_EPOCHS, settings.seed)
    colors = [COLORS[c.train.optimizer] for c in configs]  # the surface race's colours: one per optimizer
    group_panel("lab_optimizers", configs, labels,
                {"loss": overlay_figure("Loss: train (solid), validation (dashed)", labels, ("train", "val"),
                                        colors=colors),
                 "accuracy": overlay_figure("Validation accuracy", labels, ("val",), "accuracy", colors=colors)},
                [["loss", "accuracy"]], "lab_accuracy")
