"""Lab 10.5: over- and underfitting -- train vs validation loss as the net widens and as the training set grows
(the U-shaped validation curve), then the overfitting net with each remedy as a variant overlaid on it. Every
experiment is one group run on the server, overlaid live."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.fitting_lab import capacity_group, data_group, overfit_problem, remedy_group, remedy_verdict
from ui.labs import widgets as W
from ui.labs.group_runs import group_panel
from ui.labs.train_plots import overlay_figure, remedies_figure, sweep_figure
from ui.run_controls import ACTIVE

LAB = "fitting"
SLOT = "lab_fitting"
TEXT = {
    "capacity": "Too few neurons **underfit** (both losses high); more and more neurons fit the training set ever "
                "better while the validation loss first falls, then rises again once the net memorizes the noise: "
                "the **U-shaped validation curve**. The star marks the capacity that generalizes best.",
    "data": "The same big net on more examples: with few it memorizes them (training loss near 0, validation high); "
            "with more, memorizing is harder and the gap closes -- the best remedy when you can get the data.",
    "remedies": "The overfitting net (two layers of 64 on 50 noisy training points) beside each remedy: a penalty "
                "on the weights (L2, L1), dropout, early stopping, and more data, one panel each with the baseline "
                "in grey behind it. A remedy works where its dashed validation curve runs below the baseline's grey "
                "dashed one; once the runs end, a line per remedy under the chart says where yours did, and where "
                "not. (Data augmentation is the image version of 'more data': try it on the Images & CNNs page.)"}

W.header("Over- and underfitting",
         "The training loss says how well the net fits the examples it learns from; the **validation loss** how well "
         "it does on examples it never saw. Underfitting: both high. Overfitting: training low, validation high -- "
         "the net learned the noise. The data: XOR with noisy points, half for training, a quarter for validation; "
         "two ReLU layers, Adam (lr 0.01). Each experiment trains up to six runs side by side in seconds.")
W.begin([LAB])
W.choice(LAB, "experiment", "Experiment", horizontal=True)
experiment = st.session_state[W.key(LAB, "experiment")]
if experiment == "capacity":
    W.multi(LAB, "widths", "Widths to compare")
elif experiment == "data":
    W.multi(LAB, "sizes", "Numbers of examples to compare")
else:
    W.multi(LAB, "remedies", "Remedies")
    r = st.columns(5)
    W.number(LAB, "l2", "L2 λ", slider=False, where=r[0])
    W.number(LAB, "l1", "L1 λ", slider=False, where=r[1])
    W.number(LAB, "dropout", "Dropout p", where=r[2])
    W.number(LAB, "patience", "Early-stop patience", where=r[3])
    W.number(LAB, "more_data", "More data ×", where=r[4])
with st.expander("The setup: examples, noise, width, epochs, seed"):
    s = st.columns(5)
    W.number(LAB, "n_samples", "Examples", where=s[0])
    W.number(LAB, "noise", "Noise %", where=s[1])
    W.number(LAB, "width", "Width", where=s[2])
    W.number(LAB, "epochs", "Epochs", where=s[3])
    W.number(LAB, "seed", "Seed", slider=False, where=s[4])
settings = W.finish(LAB)
if settings is not None:
    st.markdown(TEXT[settings.experiment])
    base = overfit_problem(settings.n_samples, settings.noise, settings.width, settings.epochs, settings.seed)
    loss = "Loss per epoch: train (solid) and validation (dashed)"
    if settings.experiment == "remedies":
        strength = {"l2": settings.l2, "l1": settings.l1, "dropout": settings.dropout,
                    "early_stopping": settings.patience, "more_data": settings.more_data}
        configs, labels = remedy_group(base, settings.remedies, strength)
        view = group_panel(SLOT, configs, labels, {"loss": remedies_figure(loss + ", each remedy (colour) over "
                                                                           "the baseline (grey); log scale", labels)},
                           [["loss"]], "lab_remedies")
        runs = ((view.snapshot or {}).get("runs") or []) if view is not None and view.status not in ACTIVE else []
        for run in runs[1:]:  # what each remedy's validation curve did against the baseline's, read off this run
            st.markdown(remedy_verdict(runs[0], run))
    else:
        if settings.experiment == "capacity":
            xs = sorted(int(w) for w in settings.widths)
            configs, labels = capacity_group(base, xs)
            sweep = sweep_figure("Loss at the last epoch vs capacity", xs, "neurons per hidden layer (log scale)")
        else:
            xs = sorted(int(n) for n in settings.sizes)
            configs, labels = data_group(base, xs)
            sweep = sweep_figure("Loss at the last epoch vs number of examples", xs, "examples (log scale)")
        figures = {"sweep": sweep, "loss": overlay_figure(loss, labels, ("train", "val"))}
        group_panel(SLOT, configs, labels, figures, [["sweep", "loss"]], "lab_sweep",
                    {"xs": ",".join(str(x) for x in xs)})
