"""Lab 10.4: learning rate and schedules -- one problem trained at three rates as one group run on the server
(overlaid live, each legend entry saying what its run did), and each schedule's learning-rate curve beside the loss
it produces."""

from __future__ import annotations

import streamlit as st

from nnlib.labs.lr_lab import CHANCE_LOSS, lr_problem, outcome, planned_rates, rate_group, schedule_group
from nnlib.schedules import SCHEDULES
from ui.labs import widgets as W
from ui.labs.group_runs import group_panel
from ui.labs.train_plots import overlay_figure, rate_figure

LAB = "learning_rate"
SLOT = "lab_learning_rate"

W.header("Learning rate and schedules",
         "Gradient descent steps **w ← w − lr · ∇L**. Too small a rate crawls; a good one falls fast and settles; "
         "too large a one overshoots the minimum at every step, so the loss jumps *up*. A schedule changes lr over "
         "the epochs (e.g. step: **lr_t = lr₀ · γ^⌊t/s⌋**, cosine: **lr_t = lr₀ (1 + cos(π t / T)) / 2**): large "
         "steps first, small ones to settle. The problem: TF Playground's circle, a 2-8-8-1 tanh net, SGD on "
         "batches of 10, 500 points (it trains in a few seconds on the server). Once a run ends, its legend entry says "
         "what it did, judged from its own curve: **slow** (the loss has not even halved), **converges** or "
         "**diverges** (it ends above where it began, blows up, or ends worse than guessing: above 1.5 × ln 2 ≈ 1.04, "
         "as one epoch at a huge rate can already have blown up).")
W.begin([LAB])
W.choice(LAB, "experiment", "Experiment", horizontal=True)
experiment = st.session_state[W.key(LAB, "experiment")]
if experiment == "rates":
    c = st.columns(4)
    W.log_slider(LAB, "small", "Rate 1", where=c[0])  # any order: the runs are listed from the smallest up
    W.log_slider(LAB, "good", "Rate 2", where=c[1])
    W.log_slider(LAB, "large", "Rate 3", where=c[2])
    W.number(LAB, "epochs", "Epochs", where=c[3])
else:
    W.multi(LAB, "schedules", "Schedules")
    c = st.columns(2)
    W.log_slider(LAB, "schedule_lr", "Starting rate lr₀", where=c[0])
    W.number(LAB, "epochs", "Epochs", where=c[1])
settings = W.finish(LAB)
if settings is not None:
    base = lr_problem(settings.epochs, settings.seed)
    if settings.experiment == "rates":
        configs, labels = rate_group(base, (settings.small, settings.good, settings.large))
        figures = {"loss": overlay_figure("Training loss per epoch (log scale)", labels, log_y=True)}
        view = group_panel(SLOT, configs, labels, figures, [["loss"]], "lab_rates")
    else:
        configs, labels = schedule_group(base, settings.schedules, settings.schedule_lr)
        names = {"lr_step": "step size", "lr_gamma": "γ", "lr_patience": "patience"}
        st.caption(" · ".join(
            f"**{SCHEDULES[c.train.schedule].label}**: `{SCHEDULES[c.train.schedule].formula}`"
            + "".join(f", {names[k]} {getattr(c.train, k):.3g}"
                      for k in SCHEDULES[c.train.schedule].params.get("uses", ()))
            for c in configs) + ". A constant rate that is too large keeps the loss jumping; each schedule decays "
            "it within the run (exponential to 1% of lr₀ at the last epoch) so the loss settles lower. "
            "Reduce-on-plateau decays only once the validation loss stops improving: until then its line lies on "
            "the constant one.")
        figures = {"loss": overlay_figure("Training loss per epoch (log scale)", labels, log_y=True),
                   "lr": rate_figure(labels, [planned_rates(c) for c in configs])}
        view = group_panel(SLOT, configs, labels, figures, [["lr", "loss"]], "lab_schedules")
    done = view is not None and view.status not in ("queued", "running", "paused")
    for run in ((view.snapshot or {}).get("runs") or []) if done else []:
        st.markdown(outcome(run["label"], run["history"].get("train_loss") or [], CHANCE_LOSS,
                            run.get("status") == "stopped"))
