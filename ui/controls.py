"""Widgets generated from RunConfig's field metadata and the registries, and the config <-> URL round trip.

Every widget's bounds come from the field metadata and its tooltip from the field's help plus the registry
entries' descriptions and formulas, so a new registry entry or a changed bound shows up here unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

import streamlit as st

from nnlib.activations import ACTIVATIONS
from nnlib.config import ConfigError, DataConfig, ModelConfig, RunConfig, TrainConfig, field_meta
from nnlib.registry import Registry

SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
LR_STEPS = (0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF Playground's list
SAME = ""  # per-layer activation: use the network's


def key(prefix: str, section: str, name: str) -> str:
    return f"{prefix}.{section}.{name}"


# ---------------------------------------------------------------- state <-> config

def seed_state(prefix: str, cfg: RunConfig, force: bool = False) -> None:
    """Put a config's values into the widgets' session_state keys (first run, URL restore, JSON import)."""
    for section in SECTIONS:
        values = getattr(cfg, section)
        for f in dataclasses.fields(values):
            k = key(prefix, section, f.name)
            if force or k not in st.session_state:
                v = getattr(values, f.name)
                st.session_state[k] = list(v) if isinstance(v, tuple) and f.name != "hidden" else v
                if isinstance(v, tuple) and "choices" in f.metadata:  # the per-choice checkboxes
                    for c in f.metadata["choices"]:
                        st.session_state[f"{k}.{c}"] = c in v
    if force:
        seed_layers(prefix, cfg.model.hidden, cfg.model.layer_activations)


def config_from_state(prefix: str, base: RunConfig) -> RunConfig:
    """The config the widgets currently describe (fields without a widget keep `base`'s value)."""
    parts = {}
    for section, cls in SECTIONS.items():
        current = getattr(base, section)
        vals = {
            f.name: st.session_state.get(key(prefix, section, f.name), getattr(current, f.name))
            for f in dataclasses.fields(cls)
        }
        vals = {k: tuple(v) if isinstance(v, list) else v for k, v in vals.items()}
        parts[section] = cls(**vals)
    return RunConfig(**parts)


def restore_from_url(prefix: str, default: RunConfig) -> tuple[RunConfig, list[str]]:
    """Config from the page's query parameters; on bad parameters, the defaults plus the reasons."""
    params = {k: st.query_params[k] for k in st.query_params}
    if not params:
        return default, []
    return parse_config(lambda: RunConfig.from_query(params), default)


def parse_config(load: Any, default: RunConfig) -> tuple[RunConfig, list[str]]:
    """Run `load()` (from a URL or a JSON file); any problem -> (default, the problems as sentences)."""
    try:
        cfg = load()
    except ConfigError as e:
        return default, e.errors
    except (ValueError, TypeError) as e:  # e.g. an unknown dataset name raises from a derived property
        return default, [str(e)]
    try:
        errs = cfg.validate()
    except (KeyError, ValueError, TypeError) as e:
        errs = [str(e).strip("'\"")]
    return (default, errs) if errs else (cfg, [])


def sync_url(cfg: RunConfig) -> None:
    """Keep the address bar equal to the setup, so copying it shares the exact run."""
    wanted = cfg.to_query_dict()
    current = {k: st.query_params[k] for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def share_link(cfg: RunConfig) -> str:
    base = ""
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - older/bare contexts have no URL
        base = ""
    query = cfg.to_query()
    return f"{base}?{query}" if query else base


# ---------------------------------------------------------------- inline validation

def begin(prefix: str) -> None:
    """Start of a page run: widgets made from now on get an (empty) slot for their validation message."""
    st.session_state[f"{prefix}._slots"] = {}


def _slot(k: str) -> None:
    slots = st.session_state.get(f"{k.split('.', 1)[0]}._slots")
    if slots is not None:
        slots[k] = st.empty()


_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"fractions leave less than 5% for the test set", "data.val_frac"),
    (r"input feature", "data.features"),
    (r"augmentation", "data.augment"),
    (r"^hidden layer (\d+) has", "width.{0}"),
    (r"^hidden layer (\d+): unknown activation", "act.{0}"),
    (r"hidden layers; use at most", "n_layers"),
    (r"per-layer activations", "n_layers"),
    (r"loss does not fit", "train.loss"),
    (r"^early stopping watches", "train.patience"),
    (r"^the plateau schedule", "train.schedule"),
    (r"multiply-adds", "train.epochs"),
    (r"^the network has", "n_layers"),
    (r"csv", "data.dataset"),
)


def problem_slot(problem: str) -> str | None:
    """Which widget a validation sentence is about ('data.noise', 'width.2', ...), or None."""
    m = re.match(r"^(data|model|train)\.(\w+)", problem)
    if m:
        return f"{m.group(1)}.{m.group(2)}" if m.group(2) != "hidden" else "n_layers"
    for pattern, slot in _PATTERNS:
        m = re.search(pattern, problem)
        if m:
            return slot.format(*(int(g) - 1 for g in m.groups()))
    return None


def show_problems(prefix: str, problems: list[str]) -> list[str]:
    """Write each problem under the widget it is about; returns the ones no rendered widget owns."""
    slots = st.session_state.get(f"{prefix}._slots") or {}
    by_slot: dict[str, list[str]] = {}
    general = []
    for p in problems:
        s = problem_slot(p)
        k = f"{prefix}.{s}" if s else None
        if k in slots:
            by_slot.setdefault(k, []).append(p)
        else:
            general.append(p)
    for k, msgs in by_slot.items():
        slots[k].markdown("".join(f'<div class="nn-field-error">{_esc(m)}</div>' for m in msgs),
                          unsafe_allow_html=True)
    return general


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------- tooltips

def _help(section: str, name: str, registry: Mapping | None = None, chosen: str | None = None) -> str:
    """The field's sentence, then every choice of its registry (description + formula), the chosen one first."""
    meta = field_meta(SECTIONS[section], name)
    text = meta.get("help", "")
    if isinstance(registry, Registry):
        names = list(registry)
        if chosen in registry:
            names.remove(chosen)
            names.insert(0, chosen)
        text += "\n\n" + "\n".join(f"- **{registry[n].label}**: {registry[n].help}" for n in names)
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None:
        text += f"\n\nRange: {lo:g} to {hi:g}."
    return text


# ---------------------------------------------------------------- widgets

def choice(prefix: str, section: str, name: str, label: str, options: list[str] | None = None, **kw: Any) -> str:
    """A selectbox over a registry (labels and tooltips from its entries) or a fixed list."""
    meta = field_meta(SECTIONS[section], name)
    reg = meta.get("choices")
    opts = options or list(reg)
    k = key(prefix, section, name)
    if st.session_state.get(k) not in opts:
        st.session_state[k] = opts[0]
    fmt = (lambda n: reg[n].label) if isinstance(reg, Registry) else (lambda n: str(n).replace("_", " "))
    value = st.selectbox(label, opts, key=k, format_func=fmt, help=_help(section, name, reg, st.session_state[k]),
                         **kw)
    _slot(k)
    return value


def number(
    prefix: str, section: str, name: str, label: str, slider: bool = False, fmt: str | None = None, **kw: Any
) -> Any:
    """A bounded number widget; a value outside the bounds (e.g. from a URL) is clamped for display only."""
    meta = field_meta(SECTIONS[section], name)
    k = key(prefix, section, name)
    default = dataclasses.fields(SECTIONS[section])
    is_int = isinstance(next(f.default for f in default if f.name == name), int)
    lo, hi = meta["min"], meta["max"]
    cast = int if is_int else float
    lo, hi = cast(lo), cast(hi)
    v = st.session_state.get(k)
    if v is None or not lo <= v <= hi:
        st.session_state[k] = min(max(cast(v if v is not None else lo), lo), hi)
    step = meta.get("step") or (1 if is_int else None)
    step = cast(step) if step is not None else None
    if fmt is None and step is not None and not is_int and step < 0.01:
        fmt = f"%.{max(2, len(f'{step:g}'.split('.')[-1]))}f"
    if slider:
        value = st.slider(label, lo, hi, step=step, key=k, help=_help(section, name), format=fmt, **kw)
    else:
        value = st.number_input(label, lo, hi, step=step, key=k, help=_help(section, name), format=fmt, **kw)
    _slot(k)
    return value


def toggle(prefix: str, section: str, name: str, label: str, **kw: Any) -> bool:
    k = key(prefix, section, name)
    value = st.toggle(label, key=k, help=_help(section, name), **kw)
    _slot(k)
    return value


def learning_rate(prefix: str, label: str = "Learning rate") -> float:
    k = key(prefix, "train", "lr")
    current = float(st.session_state.get(k, 0.03))
    steps = sorted(set(LR_STEPS) | {current})
    value = st.select_slider(label, steps, key=k, help=_help("train", "lr"), format_func=lambda v: f"{v:g}")
    _slot(k)
    return value


def multi(prefix: str, section: str, name: str, label: str, help_of: Mapping[str, str] | None = None) -> tuple:
    """Pills for a tuple field with choices (e.g. augmentations)."""
    meta = field_meta(SECTIONS[section], name)
    k = key(prefix, section, name)
    st.session_state[k] = [v for v in st.session_state.get(k, ()) if v in meta["choices"]]
    text = meta["help"] + ("\n\n" + "\n\n".join(f"**{n}**: {h}" for n, h in help_of.items()) if help_of else "")
    value = tuple(st.pills(label, list(meta["choices"]), selection_mode="multi", key=k, help=text) or ())
    _slot(k)
    return value


def checklist(prefix: str, section: str, name: str, label: str, help_of: Mapping[str, str], columns: int = 2,
              labels: Mapping[str, str] | None = None) -> tuple:
    """One checkbox per choice of a tuple field (TF Playground's feature column), each with its own tooltip."""
    meta = field_meta(SECTIONS[section], name)
    k = key(prefix, section, name)
    chosen = set(st.session_state.get(k, ()))
    st.markdown(f"**{label}**", help=meta["help"])
    cols = st.columns(columns, gap="small")
    for i, c in enumerate(meta["choices"]):
        ck = f"{k}.{c}"
        if ck not in st.session_state:
            st.session_state[ck] = c in chosen
        cols[i % columns].checkbox((labels or {}).get(c, c), key=ck, help=help_of.get(c))
    value = tuple(c for c in meta["choices"] if st.session_state[f"{k}.{c}"])
    st.session_state[k] = list(value)
    _slot(k)
    return value


# ---------------------------------------------------------------- hidden layers

def seed_layers(prefix: str, hidden: tuple[int, ...], activations: tuple[str, ...] = ()) -> None:
    """Write a layer list into the +/- and per-layer width (and activation) widgets' state."""
    st.session_state[f"{prefix}.n_layers"] = len(hidden)
    for i, w in enumerate(hidden):
        st.session_state[f"{prefix}.width.{i}"] = int(w)
        st.session_state[f"{prefix}.act.{i}"] = activations[i] if i < len(activations) else SAME
    st.session_state[key(prefix, "model", "hidden")] = tuple(int(w) for w in hidden)
    st.session_state[key(prefix, "model", "layer_activations")] = list(activations)


def _add_layer(prefix: str, max_layers: int) -> None:
    n = st.session_state.get(f"{prefix}.n_layers", 0)
    if n < max_layers:
        st.session_state.setdefault(f"{prefix}.width.{n}", st.session_state.get(f"{prefix}.width.{n - 1}", 4))
        st.session_state[f"{prefix}.n_layers"] = n + 1
        _store_layers(prefix)


def _remove_layer(prefix: str) -> None:
    st.session_state[f"{prefix}.n_layers"] = max(0, st.session_state.get(f"{prefix}.n_layers", 0) - 1)
    _store_layers(prefix)


def _store_layers(prefix: str) -> None:
    """hidden / layer_activations from the per-layer widgets' state (callbacks and the end of a render)."""
    n = st.session_state.get(f"{prefix}.n_layers", 0)
    st.session_state[key(prefix, "model", "hidden")] = tuple(
        int(st.session_state.get(f"{prefix}.width.{i}", 4)) for i in range(n))
    acts = [st.session_state.get(f"{prefix}.act.{i}", SAME) or SAME for i in range(n)]
    st.session_state[key(prefix, "model", "layer_activations")] = acts if any(acts) else []


def hidden_layers(prefix: str, max_layers: int = 10, max_width: int = 256) -> tuple[int, ...]:
    """Add/remove hidden layers and set neurons per layer, like TF Playground's +/- buttons."""
    nk = f"{prefix}.n_layers"
    if nk not in st.session_state:
        seed_layers(prefix, tuple(st.session_state.get(key(prefix, "model", "hidden"), (4, 2))),
                    tuple(st.session_state.get(key(prefix, "model", "layer_activations"), ())))
    n = st.session_state[nk]
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    c2.button("", icon=":material/add:", key=f"{prefix}.add_layer", help="Add a hidden layer",
              disabled=n >= max_layers, width="stretch", on_click=_add_layer, args=(prefix, max_layers))
    c3.button("", icon=":material/remove:", key=f"{prefix}.del_layer", help="Remove the last hidden layer",
              disabled=n == 0, width="stretch", on_click=_remove_layer, args=(prefix,))
    c1.markdown(f"**{n} hidden layer{'s' if n != 1 else ''}**", help=field_meta(ModelConfig, "hidden")["help"])
    _slot(nk)
    if n:
        cols = st.columns(min(n, 5))
        for i in range(n):
            wk = f"{prefix}.width.{i}"
            st.session_state[wk] = min(max(int(st.session_state.get(wk, 4)), 1), max_width)
            with cols[i % len(cols)]:
                st.number_input(f"layer {i + 1}", 1, max_width, key=wk, help="Neurons in this hidden layer.")
                _slot(wk)
    _store_layers(prefix)
    return st.session_state[key(prefix, "model", "hidden")]


def layer_activations(prefix: str, columns: int = 5) -> None:
    """Optional activation per hidden layer ('same' = the network's activation)."""
    n = st.session_state.get(f"{prefix}.n_layers", 0)
    meta = field_meta(ModelConfig, "layer_activations")
    if not n:
        st.caption("No hidden layers.")
        return
    cols = st.columns(min(n, columns))
    opts = [SAME, *ACTIVATIONS]
    for i in range(n):
        ak = f"{prefix}.act.{i}"
        if st.session_state.get(ak, SAME) not in opts:
            st.session_state[ak] = SAME
        with cols[i % len(cols)]:
            st.selectbox(f"layer {i + 1} activation", opts, key=ak,
                         format_func=lambda a: "same as the network" if a == SAME else ACTIVATIONS[a].label,
                         help=meta["help"] + "\n\n" + _help("model", "activation", ACTIVATIONS))
            _slot(ak)
    _store_layers(prefix)
