"""Widgets of the Images & CNNs page that the Playground has no counterpart for: the CNN spec editor (preset picker,
per-block rows, head and dense layers) and the image data pickers with an augmentation preview.

Bounds and tooltips come from ConvBlock/CNNSpec field metadata, like ui.controls does for RunConfig.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import streamlit as st

from nnlib.config import AUGMENT_HELP, CNNSpec, ConvBlock, DataConfig, field_help, field_meta
from nnlib.data.catalog import DATASETS, names_of_kind
from nnlib.models.presets import CNN_PRESETS, DEFAULT_PRESET, preset_names, preset_spec
from ui import controls as C

BLOCK_FIELDS = ("kind", "out_channels", "kernel", "stride", "padding", "pool", "pool_size", "pool_stride",
                "norm", "dropout")
LABELS = {"kind": "Kind", "out_channels": "K", "kernel": "F", "stride": "S", "padding": "P", "pool": "Pool",
          "pool_size": "Pool F", "pool_stride": "Pool S", "norm": "Norm", "dropout": "Drop"}
MAX_BLOCKS = 12


def image_shape(dataset: str) -> tuple[int, int, int]:
    return tuple(int(v) for v in DATASETS[dataset].params["shape"])  # type: ignore[return-value]


def _k(prefix: str, *parts: Any) -> str:
    return ".".join([prefix, "spec", *(str(p) for p in parts)])


def preset_key(prefix: str) -> str:
    """Session-state key of the architecture picker (the preset the blocks started from)."""
    return _k(prefix, "preset")


# ---------------------------------------------------------------- spec <-> widget state

def seed_spec(prefix: str, spec: CNNSpec) -> None:
    """Write a spec into the editor's widget keys (preset change, URL restore)."""
    st.session_state[_k(prefix, "n_blocks")] = len(spec.blocks)
    for i, b in enumerate(spec.blocks):
        for name in BLOCK_FIELDS:
            st.session_state[_k(prefix, i, name)] = getattr(b, name)
    st.session_state[_k(prefix, "head")] = spec.head
    st.session_state[_k(prefix, "dense")] = ", ".join(str(w) for w in spec.dense)
    st.session_state[_k(prefix, "dense_dropout")] = float(spec.dense_dropout)


def apply_preset(prefix: str, name: str, shape: tuple[int, int, int]) -> str | None:
    """Load a preset into the editor; returns the reason when it does not fit the images."""
    st.session_state[_k(prefix, "source")] = (name, shape)
    try:
        spec = preset_spec(name, shape)
    except Exception as e:  # noqa: BLE001 - ShapeError: shown to the student
        return str(e)
    if spec is not None:
        seed_spec(prefix, spec)
    return None


def mark_loaded(prefix: str, name: str, shape: tuple[int, int, int]) -> None:
    """The editor already holds a spec for (preset, shape): do not overwrite it with the preset."""
    st.session_state[_k(prefix, "preset")] = name
    st.session_state[_k(prefix, "source")] = (name, shape)


def _num(prefix: str, i: int, name: str, label: str, show_label: bool, disabled: bool = False) -> Any:
    meta = field_meta(ConvBlock, name)
    k = _k(prefix, i, name)
    default = next(f.default for f in dataclasses.fields(ConvBlock) if f.name == name)
    is_int = isinstance(default, int)
    cast = int if is_int else float
    lo, hi = cast(meta["min"]), cast(meta["max"])
    v = st.session_state.get(k, default)
    st.session_state[k] = min(max(cast(v), lo), hi)
    step = 1 if is_int else 0.05
    return st.number_input(label, lo, hi, step=step, key=k, help=f"{meta['help']}\n\n{C.range_text(lo, hi)}",
                           label_visibility="visible" if show_label else "collapsed",
                           format=None if is_int else "%.2f", disabled=disabled)


def _select(prefix: str, i: int, name: str, label: str, show_label: bool) -> str:
    meta = field_meta(ConvBlock, name)
    k = _k(prefix, i, name)
    opts = list(meta["choices"])
    if st.session_state.get(k) not in opts:
        st.session_state[k] = next(f.default for f in dataclasses.fields(ConvBlock) if f.name == name)
    return st.selectbox(label, opts, key=k, help=meta["help"], label_visibility="visible" if show_label else
                        "collapsed")


def _block_row(prefix: str, i: int) -> ConvBlock:
    widths = [1.7, 1, 1, 1, 1, 1.5, 1, 1, 1.6, 1.2]
    cols = st.columns([0.3, *widths], vertical_alignment="bottom")
    first = i == 0
    cols[0].markdown(f"**{i + 1}**")
    vals: dict[str, Any] = {}
    for c, name in zip(cols[1:], BLOCK_FIELDS, strict=True):
        with c:
            if name in ("kind", "pool", "norm"):
                vals[name] = _select(prefix, i, name, LABELS[name], first)
            else:  # pool size and stride mean nothing without pooling
                vals[name] = _num(prefix, i, name, LABELS[name], first,
                                  disabled=name in ("pool_size", "pool_stride") and vals.get("pool") == "none")
    return ConvBlock(**vals)


def parse_widths(text: str) -> tuple[tuple[int, ...], str]:
    """'120, 84' -> (120, 84); an empty text is no dense layer. Second item: the problem, if any."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        widths = tuple(int(p) for p in parts)
    except ValueError:
        return (), f"dense layers must be whole numbers separated by commas, e.g. 120, 84 (got {text!r})"
    return widths, ""


def _block_table(prefix: str) -> tuple[ConvBlock, ...]:
    """The conv blocks, one row each, under a title that counts them and the +/- Block buttons."""
    nk = _k(prefix, "n_blocks")
    n = int(st.session_state.get(nk, 2))
    b1, b2, b3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    title = b1.empty()  # written after the +/- buttons, so it counts the blocks of this run, not the last one
    if b2.button("Block", icon=":material/add:", key=_k(prefix, "add"), disabled=n >= MAX_BLOCKS,
                 help="Add a block (a copy of the last one)", width="stretch"):
        for f in BLOCK_FIELDS:
            src = _k(prefix, n - 1, f)
            if src in st.session_state:
                st.session_state[_k(prefix, n, f)] = st.session_state[src]
        n += 1
    if b3.button("Block", icon=":material/remove:", key=_k(prefix, "del"), disabled=n <= 1,
                 help="Remove the last block", width="stretch"):
        n -= 1
    st.session_state[nk] = n
    title.markdown(f"**{n} conv block{'s' if n != 1 else ''}**", help=field_meta(CNNSpec, "blocks")["help"] + " "
                   + field_meta(ConvBlock, "padding")["help"])
    return tuple(_block_row(prefix, i) for i in range(n))


def spec_editor(prefix: str, shape: tuple[int, int, int], blocks_box: Any = None) -> tuple[CNNSpec | None, str,
                                                                                      list[str]]:
    """Preset picker and block editor. Returns (spec or None for the MLP baseline, preset name, problems).

    The block table goes into `blocks_box` (the page gives it the full width): its 11 columns in the Network
    column were cut at 1024 px ("max" as "ma", "Pool F" as "Po / ol F")."""
    pk = preset_key(prefix)
    st.session_state.setdefault(pk, DEFAULT_PRESET)
    name = st.selectbox("Architecture", preset_names(), key=pk, format_func=lambda n: CNN_PRESETS[n].label,
                        help="Start from a classic; then edit the blocks below.\n\n" + "\n\n".join(
                            f"**{CNN_PRESETS[n].label}**: {CNN_PRESETS[n].help}" for n in preset_names()))
    st.caption(CNN_PRESETS[name].help)
    problems: list[str] = []
    if st.session_state.get(_k(prefix, "source")) != (name, shape):
        why = apply_preset(prefix, name, shape)
        if why:
            problems.append(why)
    if name == "mlp":
        return None, name, problems
    with blocks_box if blocks_box is not None else st.container():
        blocks = _block_table(prefix)
    h1, h2, h3 = st.columns(3)
    with h1:
        hk = _k(prefix, "head")
        opts = list(field_meta(CNNSpec, "head")["choices"])
        if st.session_state.get(hk) not in opts:
            st.session_state[hk] = opts[0]
        head = st.selectbox("Head", opts, key=hk, help=field_meta(CNNSpec, "head")["help"],
                            format_func=lambda v: v.replace("_", " "))
    with h2:
        dk = _k(prefix, "dense")
        st.session_state.setdefault(dk, "64")
        dense, why = parse_widths(st.text_input("Dense layers", key=dk, help=field_meta(CNNSpec, "dense")["help"]
                                                + " Comma-separated widths, e.g. 120, 84; empty for none."))
        if why:
            problems.append(why)
    with h3:
        ddk = _k(prefix, "dense_dropout")
        st.session_state.setdefault(ddk, 0.0)
        meta = field_meta(CNNSpec, "dense_dropout")
        dd = st.number_input("Dense dropout", float(meta["min"]), float(meta["max"]), step=0.05, key=ddk,
                             help=meta["help"], format="%.2f")
    spec = CNNSpec(blocks=blocks, head=head, dense=dense, dense_dropout=float(dd))
    edited = preset_spec_or_none(name, shape) != spec
    if edited:
        st.caption(f"Edited from {CNN_PRESETS[name].label}.")
    return spec, name, problems


def preset_spec_or_none(name: str, shape: tuple[int, int, int]) -> CNNSpec | None:
    try:
        return preset_spec(name, shape)
    except Exception:  # noqa: BLE001
        return None


# ---------------------------------------------------------------- data pickers

def data_pickers(prefix: str) -> str:
    """Image dataset, subset size, splits and augmentations; returns the dataset name."""
    dataset = C.choice(prefix, "data", "dataset", "Dataset", options=names_of_kind("image"))
    st.caption(DATASETS[dataset].help)
    meta = field_meta(DataConfig, "n_samples")
    C.number(prefix, "data", "n_samples", "Images to use (0 = all)",  # the wording the knob uses on this page too
             help=f"{field_help(DataConfig, 'n_samples', image=True)}\n\n{C.range_text(meta['min'], meta['max'])}")
    C.number(prefix, "data", "train_frac", "Training data ratio", slider=True)
    C.number(prefix, "data", "val_frac", "Validation ratio", slider=True)
    C.multi(prefix, "data", "augment", "Augmentations (training batches)", AUGMENT_HELP)
    return dataset
