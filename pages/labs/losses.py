"""Lab 13.6: MSE vs L1 vs Huber on data with outliers, cross-entropy vs MSE gradients, softmax temperature."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nnlib.labs.loss_lab import (
    LINE_LOSSES,
    broken_fits,
    fit_line,
    line_with_outliers,
    sigmoid_logit_gradients,
    softmax_temperature,
)
from ui.labs import widgets as W
from ui.labs.curve_plots import gradient_figure, line_fit_figure, softmax_figure

LAB = "losses"
SLOPE, INTERCEPT = 1.5, 0.5  # the true line of line_with_outliers' defaults
CLASSES = ["cat", "dog", "bird", "fish", "frog"]
LOGITS = np.array([2.0, 1.0, 0.5, -0.5, -1.0])


@st.cache_data(max_entries=64, show_spinner="Fitting the lines...")
def fits(n_outliers: int, delta: float, losses: tuple[str, ...], seed: int):  # noqa: ANN201 - data and fits
    data = line_with_outliers(slope=SLOPE, intercept=INTERCEPT, n_outliers=n_outliers, seed=seed)
    return data, {name: fit_line(data.x, data.y, name, delta) for name in losses}


W.header("Loss functions",
         "The loss decides what a \"good fit\" means. **MSE** = mean (y - ŷ)² squares each residual, so a few far "
         "outliers pull the line towards them; **L1** = mean |y - ŷ| and **Huber** (squared near 0, linear beyond "
         "δ) grow only linearly and hold the line, as long as the outliers are a minority where they sit (drag "
         "**Outliers** up to see where that ends: the breakdown point). Below: why classification uses "
         "cross-entropy instead of MSE, and what the softmax temperature does to the probabilities.")
W.begin([LAB])
c1, c2, c3 = st.columns([1, 1, 1.4])
W.number(LAB, "n_outliers", "Outliers", where=c1)
W.number(LAB, "delta", "Huber δ", where=c2)
W.multi(LAB, "losses", "Losses to fit", where=c3)
fit_area, gradient_area, softmax_area = st.container(), st.container(), st.container()
with softmax_area:
    st.markdown("**Softmax temperature.** p_i = e^(z_i/T) / Σ_j e^(z_j/T): a small T sharpens towards the largest "
                "logit (entropy → 0), a large T flattens towards uniform (entropy → ln K).")
    W.log_slider(LAB, "temperature", "Temperature T")
settings = W.finish(LAB)
if settings is not None:
    data, fitted = fits(settings.n_outliers, settings.delta, tuple(settings.losses), settings.seed)
    with fit_area:
        st.markdown("**Fitting a line with " + ", ".join(f"{n.upper()} (`{LINE_LOSSES[n][0]}`)" for n in fitted)
                    + "**" if fitted else "**Pick a loss to fit a line.**")
        st.plotly_chart(line_fit_figure(data, fitted, SLOPE, INTERCEPT), key="loss_fit_chart")
        broken = broken_fits(fitted, SLOPE)
        if broken:
            half = data.x >= (data.x.min() + data.x.max()) / 2  # the right half of the x range
            st.warning(f"**Past the breakdown point.** {settings.n_outliers} of {len(data.x)} points are outliers, "
                       f"all at the right end: in the right half of the x range they are "
                       f"{int(data.outlier[half].sum())} of {int(half.sum())} points. There they are the data, not a "
                       f"few far points, and {' and '.join(n.upper() for n in broken)} follow them too (slope "
                       + ", ".join(f"{fitted[n][0]:.2f}" for n in broken) + f" instead of {SLOPE:g}). A robust "
                       "loss ignores outliers only while they are a minority; bunched at one end of the x range "
                       "(leverage points) that ends at about a quarter of the points, well before half.",
                       icon=":material/warning:")
    with gradient_area:
        st.markdown("**Cross-entropy vs MSE on a sigmoid output.** With p = σ(z) and target y = 1, cross-entropy "
                    "gives dL/dz = p - y while MSE gives 2(p - y)·p(1 - p): when the net is confidently wrong "
                    "(z ≪ 0) the MSE gradient vanishes and learning stalls, cross-entropy still pushes with about 1.")
        z = np.linspace(-12, 12, 481)
        st.plotly_chart(gradient_figure(z, sigmoid_logit_gradients(z, 1.0)), key="loss_grad_chart")
    with softmax_area:
        soft = softmax_temperature(LOGITS, settings.temperature)
        st.plotly_chart(softmax_figure(CLASSES, LOGITS, soft["probabilities"], settings.temperature,
                                       soft["entropy"], soft["max_entropy"]), key="softmax_chart")
