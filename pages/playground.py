"""The Playground: set up a 2D problem like in TF Playground, press Train, watch a real PyTorch net learn."""

from __future__ import annotations

import random

import streamlit as st

from nnlib.config import AUGMENTATIONS, FEATURE_HELP, ConfigError, RunConfig
from nnlib.data.catalog import DATASETS, names_of_kind
from nnlib.jobs.manager import JobLimitError
from nnlib.optimizers import OPTIMIZERS
from nnlib.schedules import SCHEDULES
from ui import controls as C
from ui import session as S
from ui.live import live_charts
from ui.playground_views import data_view, history_csv, preview_snapshot, weights_safetensors
from ui.plots import playground_figures, status_text

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


def _command(cmd: str) -> None:
    """Button callbacks run before the page script, so the buttons render in the job's new state."""
    cfg = C.config_from_state(P, DEFAULT)
    try:
        if cmd in ("train", "step") and (cmd == "train" or not running):
            errs = cfg.validate()
            if errs:
                return
            job_id = S.start_job(SLOT, {"config": cfg.to_dict(), "interval": 0.1})
            st.session_state[f"{P}.job_cfg"] = (job_id, cfg.to_json())
            if cmd == "step":
                S.command(SLOT, "pause")
        if cmd in ("step", "pause", "resume", "stop"):
            S.command(SLOT, cmd)
        elif cmd == "reset":
            S.reset(SLOT)
    except JobLimitError as e:
        st.session_state[f"{P}.cmd_error"] = str(e)


view = S.current_view(SLOT)
running = view is not None and view.status in ACTIVE
if st.session_state.get(f"{P}.cmd_error"):
    st.error(st.session_state.pop(f"{P}.cmd_error"))

# ---------------------------------------------------------------- controls
top = st.container(border=True)
with top:
    b = st.columns([1.1, 1, 1, 1, 1, 1, 3.5], vertical_alignment="bottom")
    b[0].button(
        "Train",
        on_click=_command,
        args=("train",),
        key=f"{P}.train",
        type="primary",
        icon=":material/play_arrow:",
        width="stretch",
        help="Start a new run with the settings below (a running one is replaced).",
    )
    paused = view is not None and view.status == "paused"
    pause_label, pause_icon = ("Resume", ":material/play_circle:") if paused else ("Pause", ":material/pause:")
    b[1].button(
        pause_label,
        on_click=_command,
        args=("resume" if paused else "pause",),
        key=f"{P}.pause",
        icon=pause_icon,
        disabled=not running,
        width="stretch",
        help="Pause after the current epoch / continue.",
    )
    b[2].button(
        "Step",
        on_click=_command,
        args=("step",),
        key=f"{P}.step",
        icon=":material/skip_next:",
        width="stretch",
        help="Train exactly one more epoch, then pause.",
    )
    b[3].button(
        "Stop",
        on_click=_command,
        args=("stop",),
        key=f"{P}.stop",
        icon=":material/stop:",
        disabled=not running,
        width="stretch",
        help="End the run now; its curves and weights stay.",
    )
    b[4].button(
        "Reset",
        on_click=_command,
        args=("reset",),
        key=f"{P}.reset",
        icon=":material/restart_alt:",
        width="stretch",
        help="Forget the run and show the untrained network again.",
    )
    if b[5].button(
        "New data",
        key=f"{P}.regen",
        icon=":material/casino:",
        width="stretch",
        help="Draw a new sample of the dataset (a new data seed).",
    ):
        st.session_state[C.key(P, "data", "seed")] = random.randrange(1, 2**31 - 1)
    with b[6]:
        tc = st.columns(4)
        with tc[0]:
            C.number(P, "train", "epochs", "Epochs")
        with tc[1]:
            C.learning_rate(P)
        with tc[2]:
            C.number(P, "train", "batch_size", "Batch size")
        with tc[3]:
            C.number(P, "train", "patience", "Early stop patience")

    t = st.columns(7)
    with t[0]:
        opt = C.choice(P, "train", "optimizer", "Optimizer")
    with t[1]:
        C.choice(P, "train", "loss", "Loss")
    with t[2]:
        sched = C.choice(P, "train", "schedule", "LR schedule")
    with t[3]:
        C.number(P, "train", "l1", "L1 strength", fmt="%.4f")
    with t[4]:
        C.number(P, "train", "l2", "L2 strength", fmt="%.4f")
    with t[5]:
        C.choice(P, "train", "device", "Device")
    with t[6]:
        C.number(P, "train", "seed", "Seed")
    extra = list(OPTIMIZERS[opt].params.get("uses", ())) + list(SCHEDULES[sched].params.get("uses", ()))
    if extra:
        cols = st.columns(7)
        for c, name in zip(cols, extra, strict=False):
            with c:
                C.number(P, "train", name, name.replace("lr_", "LR ").replace("_", " ").capitalize())

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
        live_charts(f"{P}.preload", {}, [], None, "playground", False, 0, "")
    info = status_text(snap, view.status if view else "ready")
    charts = charts.container()
    if view is not None:
        frac = info["epoch"] / info["epochs"] if info["epochs"] else 0.0
        charts.progress(
            min(1.0, frac),
            text=f"Epoch {info['epoch']} / {info['epochs']} · {info['elapsed']:.1f} s · "
            f"{view.status}: {view.error or info['reason']}",
        )
        if view.status == "failed":
            charts.error(f"The run failed: {view.error}")
    for row in rows:
        cols = charts.columns(len(row))
        for c, fid in zip(cols, row, strict=True):
            c.plotly_chart(figs[fid], key=f"{P}.fig.{fid}", config={"displayModeBar": False}, width="stretch")

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
