"""Images & CNNs: pick an image dataset and a CNN (or the MLP baseline), train it on the server and watch filters,
feature maps, the confusion matrix and the worst mistakes update live; then predict on test images or uploads."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import streamlit as st

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from nnlib.data.errors import DataError
from nnlib.models.presets import matching_preset, preset_spec
from ui import classroom_student as CS
from ui import cnn_controls as CC
from ui import cnn_plots as CP
from ui import cnn_predict as CPred
from ui import controls as C
from ui import run_controls as R
from ui import session as S
from ui import share_panel as SP
from ui.compare_panel import compare_tools, knob_choices
from ui.links import cuda_available, notice
from ui.live import live_charts

P = "cnn"
SLOT = "cnn"
ACTIVE = ("queued", "running", "paused")
DEFAULT = RunConfig(
    data=DataConfig(dataset="digits", n_samples=0, train_frac=0.7, val_frac=0.15),
    model=ModelConfig(hidden=(64,), activation="relu", initializer="he_uniform",
                      cnn=preset_spec("tiny", (1, 8, 8))),
    train=TrainConfig(optimizer="adam", lr=0.003, batch_size=32, epochs=40),  # ~5 s on 2 cores: long enough to watch
)


@st.cache_resource(max_entries=8, show_spinner="Loading the images…")
def bundle_of(data_json: str) -> Any:
    """The run's data (shared read-only between sessions; the job worker loads its own copy)."""
    from nnlib.data.bundle import load_data

    return load_data(RunConfig(data=DataConfig(**json_data(data_json))))


def json_data(data_json: str) -> dict[str, Any]:
    import json

    d = json.loads(data_json)
    return {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}


def data_key(cfg: RunConfig) -> str:
    return hashlib.sha1(RunConfig(data=cfg.data).to_json(indent=None).encode()).hexdigest()[:16]


def load_bundle(cfg: RunConfig) -> tuple[Any, str]:
    import json

    try:
        return bundle_of(json.dumps(RunConfig(data=cfg.data).to_dict()["data"], sort_keys=True)), ""
    except DataError as e:
        return None, str(e)
    except Exception:  # noqa: BLE001 - e.g. impossible split fractions: validation already says why
        return None, ""


def restore_over_default() -> tuple[RunConfig, list[str]]:
    """Like the Playground's link restore, but settings missing from the link keep this page's defaults (an image
    dataset and the tiny CNN), not RunConfig's 2D ones; a 2D dataset in the link is replaced by the default one."""
    cfg, notes = C.restore_from_url(DEFAULT, PAGE_KEYS)
    if not cfg.is_image:
        notes.append(f"data.dataset={cfg.data.dataset!r} is not an image dataset, so {DEFAULT.data.dataset} is used")
        cfg = cfg.replace(data={"dataset": DEFAULT.data.dataset})
    return cfg, notes


PAGE_KEYS = ("arch", "probe")  # link parameters of this page that are not RunConfig fields


def page_query(cfg: RunConfig) -> dict[str, str]:
    """The link's settings: the fields that differ from this page's defaults, which `restore_over_default` fills
    the missing ones from (so epochs 100 or sgd, RunConfig's own defaults, are still spelled out); then the
    preset an edited network started from and the probe image, which are page state, not run settings."""
    wanted = cfg.to_query_dict(base=DEFAULT)
    preset = st.session_state.get(CC.preset_key(P))
    shape = CC.image_shape(cfg.data.dataset)
    if cfg.model.cnn is not None and preset and matching_preset(cfg.model.cnn, shape) is None:
        wanted["arch"] = str(preset)
    if int(st.session_state.get(f"{P}.probe", 0)):
        wanted["probe"] = str(int(st.session_state[f"{P}.probe"]))
    return wanted


def linked_page_state() -> tuple[str | None, int]:
    """The link's `arch` (a known preset name, else None) and `probe` (a non-negative index, else 0)."""
    from nnlib.models.presets import preset_names

    arch = st.query_params.get("arch")
    probe = st.query_params.get("probe", "0")
    # isdigit() alone admits '²', which int() refuses; a probe beyond the test split is clamped when data is shown
    wellformed = probe.isascii() and probe.isdigit() and len(probe) <= 9
    return (arch if arch in preset_names() else None), (int(probe) if wellformed else 0)


def sync_url(cfg: RunConfig) -> None:
    wanted = page_query(cfg)
    if {k: st.query_params[k] for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)


def share_link(cfg: RunConfig) -> str:
    from urllib.parse import urlencode

    base = C.share_link(RunConfig()).split("?")[0]
    return f"{base}?{urlencode(page_query(cfg))}"


# ---------------------------------------------------------------- first visit: the URL decides the setup
def seed_page(cfg0: RunConfig, linked_arch: str | None) -> None:
    """Write a config into every widget of this page, the spec editor included (link, import)."""
    C.seed_state(P, cfg0, force=True)
    shape0 = CC.image_shape(cfg0.data.dataset)
    if cfg0.model.cnn is not None:
        CC.seed_spec(P, cfg0.model.cnn)
        CC.mark_loaded(P, matching_preset(cfg0.model.cnn, shape0) or linked_arch or "tiny", shape0)
    else:
        CC.mark_loaded(P, "mlp", shape0)


def idle_setup() -> RunConfig:
    """The setup the widgets describe, for the idle rule before the network editor has run: a conv net (any spec:
    the rule asks only whether there is one) unless the architecture picker says "mlp", the dense-only baseline."""
    cfg = C.config_from_state(P, DEFAULT)
    dense_only = st.session_state.get(CC.preset_key(P)) == "mlp"
    return cfg.replace(model={"cnn": None if dense_only else cfg.model.cnn or DEFAULT.model.cnn})


C.restore_settings(P)  # what a page switch or a hidden widget made Streamlit drop
if f"{P}.restored" not in st.session_state:
    cfg0, url_errors = restore_over_default()
    linked_arch, linked_probe = linked_page_state()
    seed_page(cfg0, linked_arch)
    st.session_state[f"{P}.probe"] = linked_probe  # clamped to the test split when the data is shown
    st.session_state[f"{P}.restored"] = True
    st.session_state[f"{P}.url_errors"] = url_errors
imported_cfg = SP.pending_import(P)
if imported_cfg is not None:
    seed_page(imported_cfg, None)

st.set_page_config(page_title="Images & CNNs", layout="wide")  # also right when Streamlit runs this page alone
st.markdown("### Images & CNNs")
if st.session_state.get(f"{P}.url_errors"):
    st.warning(notice(st.session_state[f"{P}.url_errors"]), icon=":material/link:")
SP.import_message(P)

C.mark_idle(P, idle_setup())  # what the setup ignores (plain SGD's momentum, no hidden layer...): greyed, and why
R.reconnect(P, SLOT)  # a reload during (or after) a run: the same browser gets its run back
view = S.current_view(SLOT)
running = view is not None and view.status in ACTIVE

# ---------------------------------------------------------------- run controls (same as the Playground)
with st.container(border=True, key=f"{P}-runbar"):
    bar = st.container(horizontal=True, gap="small")  # wraps instead of cutting "Pause" to "P..." at 1024 px
    R.run_buttons(P, SLOT, view, [bar] * 5)
    knobs = compare_tools(P, SLOT, "CNN", bar, st.container())  # Pin to compare, Change one knob (filled below)
# What Train changes comes right under the buttons, where the student looks when pressing it (as on the
# Playground): the curves and filters used to appear ~1,600 px below, past the whole setup. Filled further down.
charts = st.container(key=f"{P}-charts")
with st.container(border=True, key=f"{P}-training"):
    st.markdown("**Training**")
    R.core_training(P)
    row = R.widget_row(P, [("train", "optimizer", "Optimizer"), ("train", "schedule", "LR schedule"),
                           ("train", "l2", "L2 strength")])  # three a row: "he (kaiming) uniform" must fit
    row |= R.widget_row(P, [("train", "device", "Device"), ("model", "initializer", "Initializer"),
                            ("model", "activation", "Activation")])
    R.optimizer_extras(P, row["schedule"], 6)

col_data, col_model = st.columns([1, 2.2], gap="medium")
# The conv-block table and the model summary take the page's width, under both columns: in the Network column
# their 11 and 6 columns were cut at 1024 px ("max" as "ma", no "output size"; the formulas even at 1280)
blocks_box = st.container(key=f"{P}-blocks")
with col_data:
    st.markdown("**Images**")
    dataset = CC.data_pickers(P)
    shape = CC.image_shape(dataset)
with col_model:
    st.markdown("**Network**")
    spec, _preset, spec_problems = CC.spec_editor(P, shape, blocks_box)
    if spec is None:
        st.markdown("Dense layers on the flattened pixels:")
        C.hidden_layers(P)
        idle_note = C.mark_idle(P, idle_setup()).summary(["model"])  # no hidden layer: activation, dropout, norm
        if idle_note:
            st.caption(f":material/info: {idle_note}")
        m1, m2 = st.columns(2)
        with m1:
            C.number(P, "model", "dropout", "Dropout rate")
        with m2:
            C.choice(P, "model", "norm", "Normalization")

cfg = C.config_from_state(P, DEFAULT)
cfg = cfg.replace(model={"cnn": spec})
C.remember_settings(P)
problems = spec_problems + cfg.validate()
bundle, data_problem = load_bundle(cfg)
if data_problem:
    st.error(data_problem)
if problems:
    st.error("**This setup cannot train yet:**\n\n" + "\n".join(f"- {p}" for p in problems))
if data_problem:
    problems.append("the dataset is not available")
if not problems:
    sync_url(cfg)

with col_data:
    if bundle is not None:
        CP.register_test_images(data_key(cfg), bundle.images_test_raw, bundle.class_names)
        sizes = bundle.sizes()
        st.caption(f"{shape[0]} x {shape[1]} x {shape[2]} images · {len(bundle.class_names)} classes · "
                   f"train {sizes['train']:,} · validation {sizes['val']:,} · test {sizes['test']:,}")
        if cfg.data.augment:
            from nnlib.data.augment import preview

            shown = preview(bundle.x_train[:8], cfg.data.augment, bundle.standardizer.inverse, 8,
                            seed=len(cfg.data.augment))
            R.static_chart(st, CP.augmentation_figure(shown, "What training sees: " + " + ".join(cfg.data.augment)),
                           f"{P}.aug_preview")
        probe_max = max(0, sizes["test"] - 1)
        pk = f"{P}.probe"
        st.session_state[pk] = min(int(st.session_state.get(pk, 0)), probe_max)
        st.number_input("Test image for the feature maps", 0, probe_max, key=pk,
                        help="Which test image the feature-map views show while training (fixed when you press "
                        "Train).")
        R.static_chart(st, CP.picture_figure(CP.cap(bundle.raw_image(st.session_state[pk])), "probe image",
                                             height=150), f"{P}.probe_img")

with st.expander("Model summary: shapes, parameters, multiply-adds", expanded=True):
    from nnlib.config import mlp_layer_sizes
    from nnlib.models.build import layer_activations
    from nnlib.models.summary import mlp_summary, summarize

    try:
        if spec is not None:
            rows = summarize(spec, shape, cfg.n_classes, cfg.model.activation)
        else:
            sizes_mlp = mlp_layer_sizes(cfg, int(np.prod(shape)))
            rows = mlp_summary(sizes_mlp, layer_activations(cfg), cfg.model.norm)
    except Exception as e:  # noqa: BLE001 - ShapeError etc.: already listed above as a problem
        st.caption(f"No summary for this spec: {e}")
    else:
        import pandas as pd

        table = pd.DataFrame([{"layer": r["layer"], "output shape": r["output"], "parameters": r["params"],
                               "parameter formula": r["formula"], "multiply-adds": r["macs"],
                               "output size (W - F + 2P) / S + 1": r["size"]} for r in rows])
        st.dataframe(table, hide_index=True, width="stretch", key=f"{P}.summary")
        total = rows[-1]
        st.caption(f"**{total['params']:,} parameters**, {total['macs']:,} multiply-adds per image. "
                   "A conv layer has F x F x D_in x K weights + K biases; its output side is "
                   "(W - F + 2P) / S + 1.")

# ---------------------------------------------------------------- what Train starts
# A CNN snapshot costs the worker 50-150 ms, so the live view refreshes at 2 Hz.
payload = {"config": cfg.to_dict(), "interval": 0.5, "probe": int(st.session_state.get(f"{P}.probe", 0))}
R.ready_to_run(P, cfg, None if problems else payload)
knob_choices(P, SLOT, "CNN", knobs, cfg)  # the knobs that mean something for this setup, as it is now

stored = st.session_state.get(f"{P}.job_cfg")
run_cfg = RunConfig.from_json(stored[1]) if view is not None and stored and stored[0] == view.job_id else cfg
snap = view.snapshot if view is not None and view.snapshot else None
device = (snap or {}).get("device") or ("cuda" if cfg.train.device == "cuda" or (
    cfg.train.device == "auto" and cuda_available()) else "cpu")
st.caption(f"Device: **{device}**" + (" (auto: no CUDA GPU on this server)" if device == "cpu" and
                                       cfg.train.device == "auto" else ""))

# ---------------------------------------------------------------- live and final views
def first_layer_shape(rcfg: RunConfig) -> list[int]:
    """[K, C, F, F] of the pictures the filter view will show, for its title before the first snapshot."""
    c, h, w = CC.image_shape(rcfg.data.dataset)
    spec = rcfg.model.cnn
    if spec is None:
        return [min(32, rcfg.model.hidden[0]) if rcfg.model.hidden else 0, c, h, w]
    b = spec.blocks[0]
    return [c, 1, b.kernel, b.kernel] if b.kind == "separable" else [b.out_channels, c, b.kernel, b.kernel]


if view is not None:
    run_bundle, _ = load_bundle(run_cfg)
    names = list(run_bundle.class_names) if run_bundle is not None else []
    images = run_bundle.images_test_raw if run_bundle is not None else None
    figs = CP.cnn_figures(snap or {"filters_shape": first_layer_shape(run_cfg)}, names, images,
                           len(run_cfg.model.cnn.blocks) if run_cfg.model.cnn is not None else 0,
                           dense=run_cfg.model.cnn is None)
    rows = CP.cnn_rows(figs)
    if running:
        charts.caption("Training runs on the server; changes to the controls apply to the next run.")
        with charts:
            live_charts(f"{P}.live", figs, rows, view.job_id, "cnn", True, view.snapshot_seq, view.status,
                        {"data": data_key(run_cfg)})
    else:
        with charts:  # the same element as while it ran (plotly.js stays loaded)
            live_charts(f"{P}.live", {}, [], None, "cnn", False, 0, "")
        R.finished_view(charts, P, view, snap, figs, rows)
else:
    with charts:  # plotly.js for the live view starts loading now, before Train is pressed
        live_charts(f"{P}.live", {}, [], None, "cnn", False, 0, "")
    charts.info("Press **Train** to train the network set up below on the server, and watch it learn here.",
                icon=":material/play_arrow:")


# ---------------------------------------------------------------- predict with the finished weights
def trained_model(job_id: str, result: dict[str, Any], rcfg: RunConfig, input_shape: tuple[int, ...],
                  n_classes: int) -> Any:
    """Rebuild the finished job's model from its numpy state_dict (never pickle/torch.load of user data)."""
    cache = st.session_state.get(f"{P}.model")
    if cache and cache[0] == job_id:
        return cache[1]
    import torch

    from nnlib.models.build import build_model

    model = build_model(rcfg.replace(train={"device": "cpu"}), input_shape, n_classes)
    state = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in result["weights"].items()}
    model.load_state_dict(state)
    model.eval()
    st.session_state[f"{P}.model"] = (job_id, model)
    return model


if view is not None and not running and view.result and view.result.get("weights"):
    st.markdown("#### Predict with the trained network")
    pb, _ = load_bundle(run_cfg)
    if pb is not None:
        try:
            model = trained_model(view.job_id, view.result, run_cfg, pb.input_shape, pb.n_classes)
        except Exception as e:  # noqa: BLE001 - e.g. weights of another architecture
            st.error(f"The trained weights could not be loaded: {e}")
        else:
            source = st.segmented_control("Image", ["test image", "upload"], default="test image",
                                          key=f"{P}.pred_src")
            if source == "upload":
                up = st.file_uploader(f"A PNG or JPEG (at most {CPred.MAX_UPLOAD // (1024 * 1024)} MB); it is "
                                      f"converted to {'grey' if pb.input_shape[0] == 1 else 'RGB'} and resized to "
                                      f"{pb.input_shape[1]} x {pb.input_shape[2]}", type=["png", "jpg", "jpeg"],
                                      key=f"{P}.upload")
                invert = st.toggle("Invert (dark strokes on light paper)", key=f"{P}.invert",
                                   help="The digit datasets are light strokes on black: invert a photo of ink on "
                                   "paper.")
                if up is not None:
                    try:
                        raw = CPred.read_upload(up.getvalue(), pb.input_shape)
                    except ValueError as e:
                        st.error(f"This file cannot be used: {e}")
                    else:
                        CPred.show_prediction(model, pb, 255 - raw if invert else raw, None, f"{P}.pred_up")
            else:
                n_test = len(pb.y_test)
                ik = f"{P}.pred_idx"
                st.session_state[ik] = min(int(st.session_state.get(ik, 0)), n_test - 1)
                i = st.number_input("Test image", 0, n_test - 1, key=ik)
                CPred.show_prediction(model, pb, pb.images_test_raw[i], int(pb.y_test[i]), f"{P}.pred_test")
else:  # no trained weights here (any more: the server drops them NNLIB_RESULT_TTL after the run): nor the model
    st.session_state.pop(f"{P}.model", None)

# ---------------------------------------------------------------- share, import, export
CS.runs_panel(P, SLOT, image_page=True)  # saved runs (ui.classroom_student)
with st.expander("Share, import and export", expanded=False):
    SP.share_import_export(P, SLOT, cfg, share_link(cfg), view, run_cfg, image_page=True,
                           probe=int(st.session_state.get(f"{P}.probe", 0)))
