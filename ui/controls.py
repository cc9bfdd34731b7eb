"""Widgets generated from RunConfig's field metadata and the registries, and the config <-> URL round trip.

Every widget's bounds come from the field metadata and its tooltip from the field's help plus the chosen
registry entry's description and formula, so a new registry entry or a changed bound shows up here unchanged.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import streamlit as st

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig, field_meta, plain_number
from nnlib.registry import Registry

if TYPE_CHECKING:
    from nnlib.idle_fields import IdleFields

SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
LR_STEPS = (0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TF Playground's list


def key(prefix: str, section: str, name: str) -> str:
    return f"{prefix}.{section}.{name}"


def class_rule(prefix: str, section: str, name: str) -> str | None:
    """"hidden" | "locked" | None: what the class preset does to this field's widget (ui.classroom sets
    `{prefix}.rules`; the server enforces the values whatever the widgets do)."""
    rules = st.session_state.get(f"{prefix}.rules")
    field_name = f"{section}.{name}"
    if not rules:
        return None
    return "hidden" if field_name in rules["hidden"] else "locked" if field_name in rules["locked"] else None


def idle_reason(prefix: str, section: str, name: str) -> str:
    """Why this field's widget changes nothing under the current setup ('' if it does): `mark_idle` keeps the
    reasons of nnlib.idle_fields, the one rule. The widget helpers grey such a widget out and say why in its
    tooltip; its value stays in the config and the link, and applies again once it has something to act on."""
    idle = st.session_state.get(f"{prefix}.idle")
    return idle.reason(f"{section}.{name}") if idle is not None else ""


def mark_idle(prefix: str, cfg: RunConfig) -> IdleFields:
    """Work out which widgets drawn after this call have no effect under `cfg` (the setup the widgets describe:
    `config_from_state`, before any widget that changes it within the run, like a dataset list a problem type
    narrows) and return the reasons (their `summary()` says them in sentences)."""
    from nnlib.idle_fields import idle_fields

    idle = idle_fields(cfg)
    st.session_state[f"{prefix}.idle"] = idle
    return idle


def _disabled(prefix: str, section: str, name: str, kw: dict[str, Any], rule: str | None) -> str:
    """Set kw["disabled"] (asked for, locked by a class preset, or idle) and return the tooltip's idle clause."""
    why = idle_reason(prefix, section, name)
    kw["disabled"] = bool(kw.get("disabled", False) or rule == "locked" or why)
    return f"\n\n**Has no effect now.** {why}" if why else ""


def seed_state(prefix: str, cfg: RunConfig, force: bool = False) -> None:
    """Put a config's values into the widgets' session_state keys (first run, URL restore, JSON import)."""
    for section in SECTIONS:
        values = getattr(cfg, section)
        for f in dataclasses.fields(values):
            k = key(prefix, section, f.name)
            if force or k not in st.session_state:
                v = getattr(values, f.name)
                st.session_state[k] = list(v) if isinstance(v, tuple) and f.name != "hidden" else v
    if force:
        seed_layers(prefix, cfg.model.hidden)


PAGE_STATE_KEYS = ("width", "n_layers", "spec", "show_test", "discretize", "probe")  # besides the config fields
NOT_SETTINGS = ("spec.add", "spec.del")  # buttons: their state cannot be set


def settings_store(prefix: str) -> str:
    """The session_state key of a page's settings: no widget owns it, so Streamlit never drops it."""
    return f"{prefix}.settings"


def is_setting(prefix: str, k: str) -> bool:
    """Whether a session_state key holds a setting of this page (a config field, a layer width, the CNN editor,
    a view toggle), as opposed to a button, an upload or bookkeeping."""
    if not k.startswith(prefix + ".") or k == settings_store(prefix):
        return False
    rest = k[len(prefix) + 1:]
    head, dot, _ = rest.partition(".")
    if head in SECTIONS:
        return bool(dot)  # "pg.train" is the Train button; "pg.train.lr" a setting
    return head in PAGE_STATE_KEYS and rest not in NOT_SETTINGS


def restore_settings(prefix: str) -> None:
    """Put back every setting Streamlit dropped since the last run (first thing on every run of a page).

    Streamlit deletes a widget's session_state key at the end of any run that did not render that widget: a
    page switch, or a widget shown only for some choices (momentum, classes, conv blocks). The page then showed
    each widget's first option or minimum, or raised KeyError. The settings live on in a store no widget owns.
    """
    for k, v in st.session_state.get(settings_store(prefix), {}).items():
        if k not in st.session_state:
            st.session_state[k] = v


def remember_settings(prefix: str) -> None:
    """Copy the page's current settings into the store (after its widgets ran, before anything may st.stop)."""
    store = dict(st.session_state.get(settings_store(prefix), {}))
    store.update({k: st.session_state[k] for k in list(st.session_state) if is_setting(prefix, k)})
    st.session_state[settings_store(prefix)] = store


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


def restore_from_url(default: RunConfig, page_keys: tuple[str, ...] = ()) -> tuple[RunConfig, list[str]]:
    """Config from the page's query parameters over `default`; second item: what the link could not set as given
    (unknown parameters ignored, numbers clamped, impossible choices dropped -- ui.links)."""
    from ui.links import lenient_config

    return lenient_config([(k, st.query_params[k]) for k in st.query_params], default, page_keys)


def restore_view_from_url(prefix: str, notes: list[str]) -> None:
    """Set the page's view toggles (ui.links.VIEW_TOGGLES: Show test data, Discretize output) as the link says and
    add its notes to `notes` (the link's notice) -- unless the link was refused as a whole (then nothing of it is
    used, and its one sentence says so)."""
    from ui.links import NONE_USED, view_from_link

    if notes and notes[-1].endswith(NONE_USED):
        return
    values, view_notes = view_from_link((k, st.query_params[k]) for k in st.query_params)
    for name, on in values.items():
        st.session_state[f"{prefix}.{name}"] = on
    notes.extend(view_notes)


def sync_url(cfg: RunConfig, keep: Mapping[str, str] | None = None, hide: frozenset[str] = frozenset()) -> None:
    """Keep the address bar equal to the setup, so copying it shares the exact run; `keep` adds parameters the page
    itself needs across a reload (a class member's `class=CODE`); `hide` names fields left out (those a class
    preset hides from students: the server puts them back at every run)."""
    wanted = {**{k: v for k, v in cfg.to_query_dict().items() if k not in hide}, **(keep or {})}
    current = {k: st.query_params[k] for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


def share_link(cfg: RunConfig, hide: frozenset[str] = frozenset(), keep: Mapping[str, str] | None = None) -> str:
    """The page's address with the setup as its query (without the fields in `hide`; `keep` adds the page's own
    parameters, its view toggles); a bare host gets its '/' (http://host:8501/?...), the form every mail client and
    LMS recognises as one link."""
    from urllib.parse import urlencode, urlsplit

    base = ""
    try:
        base = (st.context.url or "").split("?")[0]
    except Exception:  # noqa: BLE001 - older/bare contexts have no URL
        base = ""
    if base and not urlsplit(base).path:
        base += "/"
    query = urlencode({**{k: v for k, v in cfg.to_query_dict().items() if k not in hide}, **(keep or {})})
    return f"{base}?{query}" if query else base


def _help(section: str, name: str, registry: Mapping | None = None, chosen: str | None = None) -> str:
    meta = field_meta(SECTIONS[section], name)
    text = meta.get("help", "")
    if isinstance(registry, Registry) and chosen in registry:
        text += f"\n\n**{registry[chosen].label}**: {registry[chosen].help}"
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None:
        text += f"\n\n{range_text(lo, hi)}"
    return text


def range_text(lo: float, hi: float) -> str:
    """'Range: 0 to 2,147,483,647.' -- every number widget's tooltip says its bounds this way (`:g` wrote the seed's
    bound as 2.14748e+09)."""
    return f"Range: {plain_number(lo)} to {plain_number(hi)}."


def step_format(step: float) -> str:
    """The printf format of a float widget: as many decimals as its step has, so beta2 0.999 does not read 1.00 and
    the noise in percent (step 5) reads 30, like the other percentages, not 30.00."""
    return f"%.{len(plain_number(step).partition('.')[2])}f"


def choice(prefix: str, section: str, name: str, label: str, options: list[str] | None = None, **kw: Any) -> str:
    """A selectbox over a registry (labels and tooltips from its entries) or a fixed list."""
    meta = field_meta(SECTIONS[section], name)
    reg = meta.get("choices")
    opts = options or list(reg)
    k = key(prefix, section, name)
    if st.session_state.get(k) not in opts:
        st.session_state[k] = opts[0]
    fmt = (lambda n: reg[n].label) if isinstance(reg, Registry) else (lambda n: str(n).replace("_", " "))
    rule = class_rule(prefix, section, name)
    if rule == "hidden":
        return st.session_state[k]
    why = _disabled(prefix, section, name, kw, rule)
    return st.selectbox(label, opts, key=k, format_func=fmt, help=_help(section, name, reg, st.session_state[k]) + why,
                        **kw)


def number(
    prefix: str, section: str, name: str, label: str, slider: bool = False, fmt: str | None = None,
    help: str | None = None, **kw: Any
) -> Any:
    """A bounded number widget. A value outside the bounds is clamped to them in session_state, so the config
    takes the clamped value too (links are clamped earlier, with a notice: ui.links)."""
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
    if fmt is None and not is_int and step:
        fmt = step_format(step)
    rule = class_rule(prefix, section, name)
    if rule == "hidden":
        return st.session_state[k]
    tip = (help or _help(section, name)) + _disabled(prefix, section, name, kw, rule)
    if slider:
        return st.slider(label, lo, hi, step=step, key=k, help=tip, format=fmt, **kw)
    return st.number_input(label, lo, hi, step=step, key=k, help=tip, format=fmt, **kw)


def device_choice(prefix: str, label: str = "Device") -> str:
    """Only the devices this server has; the tooltip says why cuda is missing when it is."""
    from ui.links import NO_CUDA, available_devices

    opts = available_devices()
    k = key(prefix, "train", "device")
    if st.session_state.get(k) not in opts:
        st.session_state[k] = "auto"
    tip = _help("train", "device") + ("" if "cuda" in opts else f"\n\n{NO_CUDA}")
    return st.selectbox(label, opts, key=k, help=tip)


def toggle(prefix: str, section: str, name: str, label: str, **kw: Any) -> bool:
    rule = class_rule(prefix, section, name)
    if rule == "hidden":
        return bool(st.session_state.get(key(prefix, section, name)))
    why = _disabled(prefix, section, name, kw, rule)
    return st.toggle(label, key=key(prefix, section, name), help=_help(section, name) + why, **kw)


def learning_rate(prefix: str, label: str = "Learning rate") -> float:
    k = key(prefix, "train", "lr")
    current = float(st.session_state.get(k, 0.03))
    steps = sorted(set(LR_STEPS) | {current})
    rule = class_rule(prefix, "train", "lr")
    if rule == "hidden":
        return current
    return st.select_slider(label, steps, key=k, help=_help("train", "lr"), format_func=lambda v: f"{v:g}",
                            disabled=rule == "locked")


def multi(prefix: str, section: str, name: str, label: str, help_of: Mapping[str, str] | None = None) -> tuple:
    meta = field_meta(SECTIONS[section], name)
    k = key(prefix, section, name)
    st.session_state[k] = [v for v in st.session_state.get(k, ()) if v in meta["choices"]]
    text = meta["help"] + ("\n\n" + "\n\n".join(f"**{n}**: {h}" for n, h in help_of.items()) if help_of else "")
    rule = class_rule(prefix, section, name)
    if rule == "hidden":
        return tuple(st.session_state[k])
    return tuple(st.pills(label, list(meta["choices"]), selection_mode="multi", key=k, help=text,
                          disabled=rule == "locked") or ())


# the screen-reader-only pattern: clipped to nothing but kept in the accessibility tree (display:none would drop it)
VISUALLY_HIDDEN = ("position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; "
                   "clip-path: inset(50%); white-space: nowrap; border: 0;")


def icon_button(where: Any, name: str, icon: str, key: str, disabled: bool, **kw: Any) -> bool:
    """A button that shows only its icon yet has a name a screen reader says ("Add a hidden layer", not "add
    icon", which is what Streamlit names a button with an empty label). The name is the label, hidden from sight
    by CSS scoped to the button's key class (Streamlit's st-key-<key>); it is also the tooltip."""
    css_class = "st-key-" + re.sub(r"[^a-zA-Z0-9_-]", "-", key.strip())
    st.html(f"<style>.{css_class} [data-testid=stMarkdownContainer] {{ {VISUALLY_HIDDEN} }}</style>")
    return bool(where.button(name, icon=icon, key=key, help=name, disabled=disabled, width="stretch", **kw))


def seed_layers(prefix: str, hidden: tuple[int, ...]) -> None:
    """Write a layer list into the +/- and per-layer width widgets' state."""
    st.session_state[f"{prefix}.n_layers"] = len(hidden)
    for i, w in enumerate(hidden):
        st.session_state[f"{prefix}.width.{i}"] = int(w)


def _change_layers(prefix: str, step: int) -> None:
    """+/- a hidden layer (a new one as wide as the last), in the button's callback: it runs before the page does,
    so the page's whole run sees the new layers -- the idle rule (no hidden layer) greys the activation even where
    it is drawn above the layer editor (the Images & CNNs page)."""
    n = int(st.session_state.get(f"{prefix}.n_layers", 0))
    if step > 0:
        st.session_state.setdefault(f"{prefix}.width.{n}", st.session_state.get(f"{prefix}.width.{n - 1}", 4))
    n = max(0, n + step)
    st.session_state[f"{prefix}.n_layers"] = n
    st.session_state[key(prefix, "model", "hidden")] = tuple(int(st.session_state.get(f"{prefix}.width.{i}", 4))
                                                              for i in range(n))


def hidden_layers(prefix: str, max_layers: int = 10, max_width: int = 256, per_row: int = 5) -> tuple[int, ...]:
    """Add/remove hidden layers and set neurons per layer, like TF Playground's +/- buttons (`per_row` width
    boxes side by side: fewer in a narrow column, so 'layer 1' stays on one line)."""
    nk = f"{prefix}.n_layers"
    if nk not in st.session_state:
        seed_layers(prefix, tuple(st.session_state.get(key(prefix, "model", "hidden"), (4, 2))))
    rule = class_rule(prefix, "model", "hidden")
    if rule == "hidden":
        return tuple(st.session_state.get(key(prefix, "model", "hidden"), ()))
    locked = rule == "locked"
    n = st.session_state[nk]
    c1, c2, c3 = st.columns([3, 1, 1], vertical_alignment="bottom")
    icon_button(c2, "Add a hidden layer", ":material/add:", f"{prefix}.add_layer", locked or n >= max_layers,
                on_click=_change_layers, args=(prefix, +1))
    icon_button(c3, "Remove the last hidden layer", ":material/remove:", f"{prefix}.del_layer", locked or n == 0,
                on_click=_change_layers, args=(prefix, -1))
    c1.markdown(f"**{n} hidden layer{'s' if n != 1 else ''}**", help=field_meta(ModelConfig, "hidden")["help"])
    widths = []
    if n:
        cols = st.columns(min(n, per_row))
        for i in range(n):
            wk = f"{prefix}.width.{i}"
            st.session_state[wk] = min(max(int(st.session_state.get(wk, 4)), 1), max_width)
            widths.append(
                int(
                    cols[i % len(cols)].number_input(
                        f"layer {i + 1}", 1, max_width, key=wk, help="Neurons in this hidden layer.",
                        disabled=locked,
                    )
                )
            )
    st.session_state[key(prefix, "model", "hidden")] = tuple(widths)
    return tuple(widths)
