"""The Playground: set up a 2D problem like in TF Playground, press Train, watch a real PyTorch net learn."""

from __future__ import annotations

import random

import streamlit as st

from nnlib.classroom.presets import redact
from nnlib.config import AUGMENTATIONS, FEATURE_HELP, RunConfig
from nnlib.data.catalog import DATASETS, names_of_kind
from ui import classroom as CR
from ui import classroom_shared as CSH
from ui import classroom_student as CS
from ui import controls as C
from ui import run_controls as R
from ui import session as S
from ui import share_panel as SP
from ui.compare_panel import compare_tools, knob_choices
from ui.curve_style import drawn_traces
from ui.links import VIEW_TOGGLES, notice, view_query
from ui.live import SNAPSHOT_S, live_charts
from ui.live_parts import PICTURES_PAYLOAD
from ui.pace import pace_controls
from ui.playground_views import ROWS, data_view, is_warm, pick_view, preview_snapshot
from ui.plots import playground_figures

P = "pg"
SLOT = "playground"
DEFAULT = RunConfig()
ACTIVE = ("queued", "running", "paused")
del AUGMENTATIONS  # images only
# the less-used training settings, in rows that fit a narrow column: a select alone ("reduce on plateau" is long)
MORE_TRAINING = [[("train", "optimizer", "Optimizer")], [("train", "loss", "Loss")],
                 [("train", "schedule", "LR schedule")],
                 [("train", "l1", "L1 strength"), ("train", "l2", "L2 strength")],
                 [("train", "device", "Device"), ("train", "seed", "Seed")]]

# ---------------------------------------------------------------- first visit: the URL decides the setup
C.restore_settings(P)  # what a page switch or a hidden widget made Streamlit drop
if f"{P}.restored" not in st.session_state:
    # `class`: a class link (ui.classroom_student); `view.*`: the view toggles (Show test data, Discretize output)
    cfg0, link_notes = C.restore_from_url(DEFAULT, ("class", *VIEW_TOGGLES))
    C.seed_state(P, cfg0, force=True)
    C.restore_view_from_url(P, link_notes)
    st.session_state[f"{P}.restored"] = True
    st.session_state[f"{P}.url_errors"] = link_notes
imported_cfg = SP.pending_import(P)
if imported_cfg is not None:
    C.seed_state(P, imported_cfg, force=True)

CS.join_gate(P)  # a class link: pick a display name first
st.markdown("### Neural-network playground")
CS.class_bar(P)  # a class member: the preset's locked/hidden fields, before the widgets
if st.session_state.get(f"{P}.url_errors"):
    st.warning(notice(st.session_state[f"{P}.url_errors"]), icon=":material/link:")
SP.import_message(P)


# what the setup ignores (no hidden layer, plain SGD's momentum, Epochs "until I pause", ...): greyed with the reason
C.mark_idle(P, C.config_from_state(P, DEFAULT))
R.reconnect(P, SLOT)  # a reload during (or after) a run: the same browser gets its run back
view = S.current_view(SLOT)
running = view is not None and view.status in ACTIVE

# ---------------------------------------------------------------- controls
# TF Playground's shape: a run bar on top, the setup in a narrow column on the left and the pictures on the right
# (sticky, see ui/live.css), so the boundary and the loss curve stay in view on a 1024x768 laptop or a projector.
top = st.container(border=True, key=f"{P}-runbar")
with top:
    bar = st.container(horizontal=True, gap="small", key=f"{P}-buttons")  # wraps instead of truncating labels
    R.run_buttons(P, SLOT, view, [bar] * 5)
    if bar.button(
        "New data",
        key=f"{P}.regen",
        icon=":material/casino:",
        help="Draw a new sample of the dataset (a new data seed).",
    ):
        st.session_state[C.key(P, "data", "seed")] = random.randrange(1, 2**31 - 1)
    pace_controls(P, bar)  # how to watch it: speed, and whether it runs until paused
    knobs = compare_tools(P, SLOT, "Playground", bar, top)  # Pin to compare, Change one knob (filled below)

col_setup, col_main = st.columns([1, 2], gap="medium")
with col_main:
    charts = st.container(key=f"{P}-charts")
    cold_note = st.empty()
    if not is_warm():  # said at once, before the controls are drawn: the charts may take seconds on a cold server
        cold_note.caption(":material/hourglass_top: Preparing the charts: the first visit after a server start "
                          "loads PyTorch…")
with col_setup:
    data_tab, net_tab, train_tab = st.tabs(["Data", "Network", "Training"])
with data_tab:
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
    idle = C.mark_idle(P, C.config_from_state(P, DEFAULT))  # again: the problem type may have changed the dataset
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
    with st.container():  # pills directly in a column stay on one scrolling row: x1*x2 and sin() were hidden
        C.multi(P, "data", "features", "Input features", FEATURE_HELP)
    d1, d2 = st.columns(2)
    with d1:
        C.number(P, "data", "noise", "Noise (%)", slider=True)
        C.number(P, "data", "val_frac", "Validation ratio", slider=True)
    with d2:
        C.number(P, "data", "train_frac", "Training ratio", slider=True)
        C.number(P, "data", "n_samples", "Points")  # 0 = the dataset's default, says the tooltip
    show_test = st.toggle("Show test data", key=f"{P}.show_test", help="Overlay the held-out test points (hollow).")
    discretize = st.toggle(  # a regression predicts a number, not a class: nothing to discretize
        "Discretize output",
        key=f"{P}.discretize",
        disabled=problem == "regression",
        help="Regression predicts a number at every point: there are no classes to paint."
        if problem == "regression"
        else "Paint each region by the predicted class instead of the probability.",
    )
with net_tab:
    C.hidden_layers(P, per_row=3)
    if idle.summary(["model"]):  # no hidden layer: activation, dropout, norm greyed out, and why
        st.caption(f":material/info: {idle.summary(['model'])}")
    C.choice(P, "model", "activation", "Activation")
    C.choice(P, "model", "initializer", "Initializer")  # full width: "xavier (glorot) uniform" is long
    n1, n2 = st.columns(2, vertical_alignment="bottom")
    with n1:
        C.number(P, "model", "dropout", "Dropout rate")
    with n2:
        C.choice(P, "model", "norm", "Normalization")
with train_tab:
    R.core_training(P, per_row=2)
    if idle.summary(["train.epochs"]):  # "until I pause": the run ignores Epochs
        st.caption(f":material/info: {idle.summary(['train.epochs'])}")
    with st.expander("Optimizer, loss, schedule, regularization, device, seed"):
        row: dict = {}
        for items in MORE_TRAINING:
            row.update(R.widget_row(P, items))
        R.optimizer_extras(P, row["schedule"], 2)

cfg = CR.enforce_config(C.config_from_state(P, DEFAULT))  # a class preset's locked fields, on the server
hidden = CR.hidden_fields()  # the fields a class preset hides: left out of the address, links and downloads
C.remember_settings(P)
problems = cfg.validate()
if problems:
    st.error("**This setup cannot train yet:**\n\n" + "\n".join(f"- {p}" for p in problems))
else:
    # a class member's address keeps `class=CODE` (a reload stays in class) and leaves out what the preset hides
    C.sync_url(cfg, {**CS.class_query(), **view_query(st.session_state, P)}, hidden)
R.ready_to_run(P, cfg, None if problems else {"config": cfg.to_dict(), "interval": SNAPSHOT_S, **PICTURES_PAYLOAD})
knob_choices(P, SLOT, "Playground", knobs, cfg)  # the knobs that mean something for this setup, as it is now

# ---------------------------------------------------------------- plots
# What the charts show: the running job; a finished run only while the controls still equal its config; otherwise
# the current controls' data and untrained network, with a note that the last run used other settings.
stored = st.session_state.get(f"{P}.job_cfg")
last_run_cfg = RunConfig.from_json(stored[1]) if view is not None and stored and stored[0] == view.job_id else None
run_cfg = last_run_cfg or cfg
shown = pick_view(view, last_run_cfg, cfg, bool(problems))
if shown.note:
    charts.info(shown.note, icon=":material/info:")
if shown.config is not None:
    if not running:
        with charts:  # plotly.js for the live view starts loading now, while the server prepares the charts
            live_charts(f"{P}.live", {}, [], None, "playground", False, 0, "")
    dv = data_view(RunConfig(data=shown.config.data).to_json())
    first_draw = None
    with charts, st.spinner("Preparing the untrained network…", show_time=True):
        if not is_warm() and not (shown.view is not None and shown.view.snapshot):
            # the first visit after a server start waits for torch: the data at once, the network when ready
            first_draw = st.empty()
            R.finished_view(first_draw.container(), f"{P}.cold", None, {}, playground_figures(
                {}, dv["points"], dv["domain"], dv["features"], show_test, discretize, dv["n_classes"],
                dv["problem"] == "regression"), ROWS[:1])
        snap = (shown.view.snapshot if shown.view is not None and shown.view.snapshot
                else preview_snapshot(shown.config.to_json()))
    if first_draw is not None:
        first_draw.empty()
    figs = playground_figures(snap, dv["points"], dv["domain"], dv["features"], show_test, discretize,
                              dv["n_classes"], dv["problem"] == "regression")
    # the teacher's, dashed; drawn as every curve is (ui.curve_style: a one-point curve gets a marker)
    figs["loss"]["data"] += drawn_traces(CSH.reference_loss_traces(CSH.reference_runs("playground")))
    if running and view is not None:
        with charts:
            live_charts(
                f"{P}.live",
                figs,
                ROWS,
                view.job_id,
                "playground",
                True,
                view.snapshot_seq,
                view.status,
                # the patches draw what the figures do: the test loss only with "Show test data" on
                {"disc": "1" if discretize else "0", "test": "1" if show_test else "0"},
            )
    else:
        R.finished_view(charts.container(), P, shown.view, snap, figs, ROWS)
    if R.has_dropout(redact(shown.config.to_dict(), hidden)):  # a hidden dropout is not hinted at
        charts.caption(R.DROPOUT_LOSS_NOTE)
cold_note.empty()

# ---------------------------------------------------------------- share, import, export
CS.runs_panel(P, SLOT, image_page=False)
with st.expander("Share, import and export", expanded=False):
    link = C.share_link(cfg, hidden, view_query(st.session_state, P))  # the view toggles travel with the setup
    SP.share_import_export(P, SLOT, cfg, link, view, run_cfg, image_page=False, hidden=hidden)
