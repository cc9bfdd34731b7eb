"""Streamlit widgets for the lab pages, built from the settings dataclasses of nnlib.labs.settings.

Every lab keeps its widget values under `lab.<lab>.<field>` keys, restores them after a page switch (Streamlit
drops the keys of widgets a run did not render) with the Playground's settings store, reads a shared link's
query parameters `<lab>.<field>=value` leniently (clamped numbers, dropped choices, one notice), and keeps the
address bar equal to the settings so copying it shares the exact experiment.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import streamlit as st

from nnlib.config import field_meta
from nnlib.labs.settings import LAB_SETTINGS, lab_problems
from nnlib.registry import Registry
from ui.controls import range_text, restore_settings, settings_store, step_format
from ui.labs.links import FLAGS, settings_from_query


def prefix(lab: str) -> str:
    return f"lab.{lab}"


def key(lab: str, name: str) -> str:
    return f"{prefix(lab)}.{name}"


def _fields(lab: str) -> dict[str, dataclasses.Field]:
    return {f.name: f for f in dataclasses.fields(LAB_SETTINGS[lab])}


def is_lab_setting(lab: str, k: str) -> bool:
    """Whether a session_state key holds one of this lab's settings (not a button, not the store itself)."""
    head = prefix(lab) + "."
    return k.startswith(head) and (k[len(head):] in _fields(lab) or k[len(head):] in FLAGS.get(lab, ()))


def begin(labs: Sequence[str]) -> None:
    """First thing on every run of a lab page: put back what Streamlit dropped; on the first visit of the session
    seed the widgets from the link's query parameters and show what the link could not set as given."""
    notes: list[str] = []
    for lab in labs:
        restore_settings(prefix(lab))
        flag = f"{prefix(lab)}.restored"
        if flag not in st.session_state:
            values, lab_notes = settings_from_query(lab, {k: st.query_params[k] for k in st.query_params})
            for name, v in values.items():
                st.session_state[key(lab, name)] = list(v) if isinstance(v, tuple) else v
            st.session_state[flag] = True
            st.session_state[f"{prefix(lab)}.link_notes"] = lab_notes
        notes += st.session_state.get(f"{prefix(lab)}.link_notes", [])
    if notes:
        st.warning("Some settings of the link could not be used as given: " + "; ".join(notes) + ".",
                   icon=":material/link:")


def _entry_label(options: Any, name: str) -> str:
    entry = options[name] if isinstance(options, Mapping) and name in options else None
    label = getattr(entry, "label", None)
    return label if isinstance(label, str) else str(name).replace("_", " ")


def help_text(lab: str, name: str, chosen: str | None = None) -> str:
    """The field's sentence (and formula) from the settings metadata, the range, and the chosen entry's help."""
    meta = field_meta(LAB_SETTINGS[lab], name)
    text = meta.get("help", "")
    reg = meta.get("choices")
    if isinstance(reg, Registry) and chosen in reg:
        text += f"\n\n**{reg[chosen].label}**: {reg[chosen].help}"
    if meta.get("min") is not None:
        text += f"\n\n{range_text(meta['min'], meta['max'])}"
    return text


def number(lab: str, name: str, label: str, slider: bool = True, where: Any = st, **kw: Any) -> Any:
    """A bounded slider (or number box) for a numeric lab setting; a value out of bounds is clamped first."""
    meta = field_meta(LAB_SETTINGS[lab], name)
    k = key(lab, name)
    cast = int if isinstance(_fields(lab)[name].default, int) else float
    lo, hi = cast(meta["min"]), cast(meta["max"])
    v = st.session_state.get(k, _fields(lab)[name].default)
    st.session_state[k] = min(max(cast(v), lo), hi)
    step = cast(meta.get("step") or 1)
    fmt = None if cast is int else step_format(step)  # the Playground's rule: noise in steps of 5 reads 50, not 50.0
    widget = where.slider if slider else where.number_input
    return widget(label, lo, hi, step=step, key=k, help=help_text(lab, name), format=fmt, **kw)


def log_slider(lab: str, name: str, label: str, where: Any = st, points: int = 41) -> float:
    """A slider over log-spaced values between the field's bounds (a temperature from 0.01 to 100 needs equal room
    per decade); the current value is always one of the stops."""
    meta = field_meta(LAB_SETTINGS[lab], name)
    lo, hi = float(meta["min"]), float(meta["max"])
    k = key(lab, name)
    current = min(max(float(st.session_state.get(k, _fields(lab)[name].default)), lo), hi)
    stops = sorted({float(f"{v:.3g}") for v in np.geomspace(lo, hi, points)} | {current})
    st.session_state[k] = current
    return where.select_slider(label, stops, key=k, help=help_text(lab, name), format_func=lambda v: f"{v:g}")


def flag(lab: str, name: str, label: str, help: str, default: bool = True, where: Any = st) -> bool:
    """A toggle for one of the lab's page switches (ui.labs.links.FLAGS), kept and linked like a setting."""
    k = key(lab, name)
    st.session_state.setdefault(k, default)
    return where.toggle(label, key=k, help=help)


def choice(lab: str, name: str, label: str, where: Any = st, horizontal: bool = False) -> str:
    """A selectbox (or segmented control) over the field's choices, labelled from their registry entries."""
    options = field_meta(LAB_SETTINGS[lab], name)["choices"]
    opts = list(options)
    k = key(lab, name)
    if st.session_state.get(k) not in opts:
        st.session_state[k] = _fields(lab)[name].default
    fmt = lambda n: _entry_label(options, n)  # noqa: E731 - a one-line label lookup
    tip = help_text(lab, name, st.session_state[k])
    if horizontal:
        picked = where.segmented_control(label, opts, key=k, format_func=fmt, help=tip)
        return picked or _fields(lab)[name].default
    return where.selectbox(label, opts, key=k, format_func=fmt, help=tip)


def multi(lab: str, name: str, label: str, where: Any = st) -> tuple:
    """Pills for a multi-choice setting (optimizers to race, losses to fit, initializers to compare)."""
    options = field_meta(LAB_SETTINGS[lab], name)["choices"]
    k = key(lab, name)
    st.session_state[k] = [v for v in st.session_state.get(k, list(_fields(lab)[name].default)) if v in options]
    picked = where.pills(label, list(options), selection_mode="multi", key=k, help=help_text(lab, name),
                         format_func=lambda n: _entry_label(options, n))
    return tuple(picked or ())


def finish(lab: str) -> Any | None:
    """After the lab's widgets: remember them, sync the address bar, and return the settings -- or None after
    showing the problems as sentences (nothing is computed from impossible settings)."""
    store = dict(st.session_state.get(settings_store(prefix(lab)), {}))
    store.update({k: st.session_state[k] for k in list(st.session_state) if is_lab_setting(lab, k)})
    st.session_state[settings_store(prefix(lab))] = store
    cls = LAB_SETTINGS[lab]
    values = {}
    for name, f in _fields(lab).items():
        v = st.session_state.get(key(lab, name), f.default)
        values[name] = tuple(v) if isinstance(v, list) else v
    settings = cls(**values)
    _sync_url(lab, settings)
    problems = lab_problems(settings)
    if problems:
        # what is wrong and how to fix it, under the controls it is about ("Cannot compute this" said neither)
        st.warning("Not run yet: " + "; ".join(problems) + ".", icon=":material/error:")
        return None
    return settings


def _sync_url(lab: str, settings: Any) -> None:
    """Write this lab's settings into the query string (`<lab>.<field>`), leaving other parameters alone."""
    for name in _fields(lab):
        v = getattr(settings, name)
        text = ",".join(map(str, v)) if isinstance(v, tuple) else f"{v:g}" if isinstance(v, float) else str(v)
        if st.query_params.get(f"{lab}.{name}") != text:
            st.query_params[f"{lab}.{name}"] = text
    for name in FLAGS.get(lab, ()):
        text = "1" if st.session_state.get(key(lab, name)) else "0"
        if st.query_params.get(f"{lab}.{name}") != text:
            st.query_params[f"{lab}.{name}"] = text


def header(title: str, explanation: str) -> None:
    """The lab's title and its short explanation (the formula and what to look at)."""
    st.markdown(f"### {title}")
    st.markdown(explanation)


def coming_next(text: str) -> None:
    """Where a lab's training experiment will go once it runs through the JobManager: said, not faked."""
    st.info(f"**Coming next:** {text}", icon=":material/schedule:")
