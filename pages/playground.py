"""The Playground: set up a 2D problem like in TF Playground, press Train, watch a real PyTorch net learn."""

from __future__ import annotations

import random

import streamlit as st

from nnlib.config import AUGMENTATIONS, FEATURE_HELP, ConfigError, RunConfig
from nnlib.data.catalog import DATASETS, names_of_kind
from ui import controls as C
from ui import run_controls as R
from ui import session as S
from ui.live import SNAPSHOT_S, live_charts
from ui.pace import pace_controls
from ui.playground_views import data_view, history_csv, preview_snapshot, weights_safetensors
from ui.plots import playground_figures

P = "pg"
SLOT = "playground"
DEFAULT = RunConfig()
ACTIVE = ("queued", "running", "paused")
del AUGMENTATIONS  # images only

# ---------------------------------------------------------------- first visit: the URL decides the setup
if f"{P}.restored" not in st.session_state:
    cfg0, url_errors = C.restore_from_url(P, DEFAULT)
    C.seed_state(P, cfg0, force=True)
    st.session_state[f"{P}.restored"] = True
    st.session_state[f"{P}.url_errors"] = url_errors
if st.session_state.get(f"{P}.import"):
    C.seed_state(P, st.session_state.pop(f"{P}.import"), force=True)

st.markdown("### Neural-network playground")
for err in st.session_state.get(f"{P}.url_errors", []):
    st.warning(f"The link had a setting that could not be used, so defaults are shown instead: {err}")


view = S.current_view(SLOT)
running = view is not None and view.status in ACTIVE

# ---------------------------------------------------------------- controls
top = st.container(border=True)
with top:
    b = st.columns([1.1, 1, 1, 1, 1, 1, 3.5], vertical_alignment="bottom")
    R.run_buttons(P, SLOT, view, b[:5])
    if b[5].button(
        "New data",
        key=f"{P}.regen",
        icon=":material/casino:",
        width="stretch",
        help="Draw a new sample of the dataset (a new data seed).",
    ):
        st.session_state[C.key(P, "data", "seed")] = random.randrange(1, 2**31 - 1)
    with b[6]:
        R.core_training(P)
        pace_controls(P)

    row = R.widget_row(P, [("train", "optimizer", "Optimizer"), ("train", "loss", "Loss"),
                           ("train", "schedule", "LR schedule"), ("train", "l1", "L1 strength"),
                           ("train", "l2", "L2 strength"), ("train", "device", "Device"), ("train", "seed", "Seed")])
    R.optimizer_extras(P, row["optimizer"], row["schedule"], 7)

col_data, col_main = st.columns([1, 3.3], gap="medium")
with col_data:
    st.markdown("**Data**")
    problem = st.segmented_control(
        "Problem type",
        ["classification", "regression"],
        key=f"{P}.problem",
        default="regression"
        if DATASETS[st.session_state[C.key(P, "data", "dataset")]].params["problem"] == "regression"
        else "classification",
        help="Classification predicts a class per point; regression a number.",
    )
    problem = problem or "classification"
    names = [
        n
        for n in names_of_kind("toy2d") + ["csv"]
        if (DATASETS[n].params["problem"] == "regression") == (problem == "regression") or n == "csv"
    ]
    dataset = C.choice(P, "data", "dataset", "Dataset", options=names)
    if DATASETS[dataset].params["problem"] == "multiclass":
        C.number(P, "data", "n_classes", "Classes")
    if dataset == "csv":
        up = st.file_uploader(
            "CSV file (columns x1, x2[, ...], label)",
            type=["csv"],
            key=f"{P}.csv",
            help="Your own data: a header row, numeric feature columns and a 'label' column.",
        )
        if up is not None:
            from nnlib.data.errors import DataError
            from nnlib.data.tabular import save_upload

            try:
                st.session_state[C.key(P, "data", "csv_path")] = save_upload(up.getvalue())
            except DataError as e:
                st.error(f"This file cannot be used: {e}")
    C.number(P, "data", "noise", "Noise (%)", slider=True)
    C.number(P, "data", "train_frac", "Training data ratio", slider=True)
    C.number(P, "data", "val_frac", "Validation ratio", slider=True)
    C.number(P, "data", "n_samples", "Points (0 = default)")
    C.multi(P, "data", "features", "Input features", FEATURE_HELP)
    show_test = st.toggle("Show test data", key=f"{P}.show_test", help="Overlay the held-out test points (hollow).")
    discretize = st.toggle(
        "Discretize output",
        key=f"{P}.discretize",
        help="Paint each region by the predicted class instead of the probability.",
    )

with col_main:
    n1, n2, n3, n4, n5 = st.columns([2.2, 1.3, 1.3, 1.1, 0.8], vertical_alignment="bottom")
    with n1:
        C.hidden_layers(P)
    with n2:
        C.choice(P, "model", "activation", "Activation")
    with n3:
        C.choice(P, "model", "initializer", "Initializer")
    with n4:
        C.number(P, "model", "dropout", "Dropout rate")
    with n5:
        C.toggle(P, "model", "batch_norm", "Batch norm")
    charts = st.container()

cfg = C.config_from_state(P, DEFAULT)
problems = cfg.validate()
if problems:
    st.error("**This setup cannot train yet:**\n\n" + "\n".join(f"- {p}" for p in problems))
else:
    C.sync_url(cfg)
R.ready_to_run(P, cfg, None if problems else {"config": cfg.to_dict(), "interval": SNAPSHOT_S})

# ---------------------------------------------------------------- plots
stored = st.session_state.get(f"{P}.job_cfg")
run_cfg = RunConfig.from_json(stored[1]) if view is not None and stored and stored[0] == view.job_id else cfg
if problems and view is None:
    st.stop()
dv = data_view(RunConfig(data=run_cfg.data).to_json())
snap = view.snapshot if view is not None and view.snapshot else preview_snapshot(run_cfg.to_json())
if running:
    charts.caption("Training runs on the server; changes to the controls apply to the next run.")
figs = playground_figures(snap, dv["points"], dv["domain"], dv["features"], show_test, discretize, dv["n_classes"])
rows = [["network", "boundary"], ["loss", "metric", "penalty"]]

if running and view is not None:
    with charts:
        live_charts(
            f"{P}.live",
            figs,
            rows,
            view.job_id,
            "playground",
            True,
            view.snapshot_seq,
            view.status,
            {"disc": "1" if discretize else "0"},
        )
else:
    with charts:  # loads plotly.js into the page now, so the first live point does not wait for it
        live_charts(f"{P}.live", {}, [], None, "playground", False, 0, "")  # the same component as a run uses
    R.finished_view(charts.container(), P, view, snap, figs, rows)

# ---------------------------------------------------------------- share, import, export
with st.expander("Share, import and export", expanded=False):
    st.markdown("**Link to this exact setup** (copy it for your class):")
    st.code(C.share_link(cfg), language=None, wrap_lines=True)
    d1, d2, d3 = st.columns(3)
    d1.download_button("Config (JSON)", cfg.to_json(), "run_config.json", "application/json", key=f"{P}.dl_cfg")
    if view is not None and view.snapshot:
        d2.download_button("History (CSV)", history_csv(view.snapshot), "history.csv", "text/csv", key=f"{P}.dl_hist")
        weights = weights_safetensors(view.result, run_cfg)
        if weights:
            d3.download_button(
                "Weights (safetensors)", weights, "model.safetensors", "application/octet-stream", key=f"{P}.dl_w"
            )
    up = st.file_uploader("Import a config (JSON)", type=["json"], key=f"{P}.import_file")
    if up is not None and st.session_state.get(f"{P}.imported") != up.file_id:
        st.session_state[f"{P}.imported"] = up.file_id
        try:
            imported = RunConfig.from_json(up.getvalue().decode("utf-8", errors="replace"))
            errs = imported.validate()
            if errs:
                raise ConfigError(errs)
        except ConfigError as e:
            st.error("This config cannot be used:\n\n" + "\n".join(f"- {x}" for x in e.errors))
        else:
            st.session_state[f"{P}.import"] = imported
            st.rerun()
