"""Shared links and imported configs that degrade gracefully, and the devices this server really has.

A link that went through an LMS or a mail client gains tracking parameters (`utm_source`), a teacher may add a page
switch (`hide=controls`) or type `train.epochs=20000`. Throwing away the whole setup for one such parameter loses
what the teacher meant, so every setting that can be used is kept, unknown ones are ignored, numbers out of range
are clamped to their bounds and impossible choices dropped -- and the student is told which, in one notice.
No streamlit here: the pages call these and show the notices.
"""

from __future__ import annotations

import functools
import typing
from collections.abc import Iterable
from typing import Any

from nnlib.config import (
    MAX_CONFIG_CHARS,
    ConfigError,
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    field_meta,
    parse_text,
    plain_number,
    shown,
    too_long,
)

SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
MAX_NOTED = 8  # a notice lists at most this many adjustments, then "and N more"
NONE_USED = "so none of its settings is used"  # ends the note of a link refused as a whole


@functools.cache
def cuda_available() -> bool:
    """One `torch.cuda.is_available()` per server process (the answer cannot change while it runs)."""
    import torch

    return bool(torch.cuda.is_available())


def available_devices() -> list[str]:
    """The device choices this server can honour: cuda only where a CUDA GPU is present."""
    return ["auto", "cpu", "cuda"] if cuda_available() else ["auto", "cpu"]


NO_CUDA = ("cuda is not offered: this server has no CUDA GPU (torch.cuda.is_available() is False), so runs use "
           "the CPU.")


def fit_to_server(cfg: RunConfig) -> tuple[RunConfig, list[str]]:
    """A config this server can run: a cuda device on a server without a GPU becomes 'auto' (with a note)."""
    if cfg.train.device == "cuda" and "cuda" not in available_devices():
        return cfg.replace(train={"device": "auto"}), ["train.device: this server has no CUDA GPU, so 'cuda' "
                                                      "became 'auto' (the CPU)"]
    return cfg, []


def _clamp_numbers(section: type, values: dict[str, Any], where: str, notes: list[str]) -> dict[str, Any]:
    """Numbers outside a field's bounds -> the nearest bound; choices outside a registry -> dropped."""
    out = dict(values)
    for name, v in values.items():
        meta = field_meta(section, name)
        if "min" in meta and isinstance(v, (int, float)) and not isinstance(v, bool):
            lo, hi = meta["min"], meta["max"]
            if not lo <= v <= hi:
                fixed = type(v)(min(max(v, lo), hi))
                out[name] = fixed
                given = v if isinstance(v, int) else f"{v:g}"  # as the link wrote it; the bounds as people write them
                notes.append(f"{where}.{name}={given} is out of range ({plain_number(lo)} to {plain_number(hi)}), "
                             f"so {plain_number(fixed)} is used")
        elif "choices" in meta:
            opts = list(meta["choices"])
            if isinstance(v, list):
                bad = [x for x in v if x not in opts]
                if bad:
                    out[name] = [x for x in v if x in opts]
                    notes.append(f"{where}.{name}: {_listed(bad)} {'is' if len(bad) == 1 else 'are'} not available "
                                 "and left out")
            elif v not in opts:
                del out[name]
                notes.append(f"{where}.{name}={shown(v)} is not one of {', '.join(map(str, opts))}, so it is "
                             "ignored")
    return out


def _listed(items: list[Any], first: int = 4) -> str:
    """The first few items quoted, then how many more (a link may carry thousands)."""
    more = f" and {len(items) - first:,} more" if len(items) > first else ""
    return ", ".join(shown(x) for x in items[:first]) + more


def _clamp_layer_activations(values: dict[str, Any], notes: list[str]) -> None:
    """At most one activation per possible hidden layer; unknown names become '' (the model's activation)."""
    from nnlib.activations import ACTIVATIONS
    from nnlib.config import MAX_HIDDEN_LAYERS

    acts = values.get("layer_activations")
    if not isinstance(acts, list):
        return
    bad = [a for a in acts if a and a not in ACTIVATIONS]
    if bad:
        notes.append(f"model.layer_activations: {_listed(bad)} {'is' if len(bad) == 1 else 'are'} no activation, "
                     "so those layers use the model's activation")
    if len(acts) > MAX_HIDDEN_LAYERS:
        notes.append(f"model.layer_activations lists {len(acts)} layers; the first {MAX_HIDDEN_LAYERS} are used")
    values["layer_activations"] = [a if a in ACTIVATIONS else "" for a in acts[:MAX_HIDDEN_LAYERS]]


def _clamp_hidden(values: dict[str, Any], notes: list[str]) -> None:
    from nnlib.config import MAX_HIDDEN_LAYERS, MAX_WIDTH

    hidden = values.get("hidden")
    if not isinstance(hidden, list):
        return
    fixed = [min(max(int(w), 1), MAX_WIDTH) for w in hidden[:MAX_HIDDEN_LAYERS]]
    if fixed != hidden:
        values["hidden"] = fixed
        notes.append(f"model.hidden={','.join(map(str, hidden))} is out of range (up to {MAX_HIDDEN_LAYERS} "
                     f"layers of 1 to {MAX_WIDTH}), so {','.join(map(str, fixed))} is used")


def lenient_config(pairs: Iterable[tuple[str, str]], base: RunConfig,
                   page_keys: Iterable[str] = ()) -> tuple[RunConfig, list[str]]:
    """`base` with every usable setting of a link applied; second item: what was ignored or adjusted, as phrases.

    `page_keys` are link parameters the page itself reads (the CNN page's `arch`, `probe`): neither applied nor
    reported.
    """
    pairs = list(pairs)
    size = sum(len(k) + len(v) + 2 for k, v in pairs)
    if size > MAX_CONFIG_CHARS:  # refused before any parameter is parsed
        return base, [f"{too_long('link', size)}, {NONE_USED}"]
    notes: list[str] = []
    ignored: list[str] = []
    merged = base.to_dict()
    page = set(page_keys)
    for key, text in pairs:
        if key in page:
            continue
        sect, _, name = key.partition(".")
        cls = SECTIONS.get(sect)
        hints = typing.get_type_hints(cls) if cls else {}
        if name not in hints:
            ignored.append(key)
            continue
        try:
            value = parse_text(text, hints[name])
            RunConfig.from_dict({sect: {name: value}})  # the type of this one field
        except (ValueError, ConfigError) as e:
            notes.append(f"{key}: {'; '.join(e.errors) if isinstance(e, ConfigError) else e}, so it is ignored")
            continue
        values = _clamp_numbers(cls, {name: value}, sect, notes)
        if sect == "model":
            _clamp_hidden(values, notes)
            _clamp_layer_activations(values, notes)
        merged[sect].update(values)
    if ignored:
        notes.insert(0, f"unknown link parameter{'s' if len(ignored) > 1 else ''} {_listed(ignored, MAX_NOTED)} "
                        "ignored")
    try:
        cfg = RunConfig.from_dict(merged)
    except ConfigError as e:  # each setting passed alone; together they should too, but a link never breaks a page
        return base, [f"the link's settings do not fit together ({'; '.join(e.errors)}), {NONE_USED}"]
    cfg, device_notes = fit_to_server(cfg)
    return cfg, idle_noted(notes, cfg) + device_notes


def idle_noted(notes: list[str], cfg: RunConfig) -> list[str]:
    """Each note about a setting `cfg` ignores says so (nnlib.idle_fields): "train.lr_step=0 is out of range ... (it
    has no effect now: LR schedule constant)". The page hides or greys such a setting, so a note that only said it
    was adjusted would send a student looking for a step size a constant rate never reads."""
    import re

    from nnlib.idle_fields import idle_fields

    idle = idle_fields(cfg).reasons
    out = []
    for note in notes:
        named = re.match(r"(\w+\.\w+)[=:]", note)
        cause = idle.get(named.group(1)) if named else None
        out.append(f"{note} (it has no effect now: {cause[0]})" if cause else note)
    return out


def notice(notes: list[str]) -> str:
    """One short sentence listing what a link or file could not set as given."""
    if len(notes) == 1 and notes[0].endswith(NONE_USED):
        return f"This link cannot be used: {notes[0]}; the page shows its usual setup."
    shown = notes[:MAX_NOTED] + ([f"and {len(notes) - MAX_NOTED} more"] if len(notes) > MAX_NOTED else [])
    return "The rest of the setup was applied, but: " + "; ".join(shown) + "."


# The Playground's view toggles that change what a student sees (not what trains, so not RunConfig fields): link
# parameter -> the page's session_state name. A shared link or a reload showed them off whatever the sender saw.
VIEW_TOGGLES: dict[str, str] = {"view.show_test": "show_test", "view.discretize": "discretize"}
ON_WORDS, OFF_WORDS = ("1", "true", "on", "yes"), ("0", "false", "off", "no")


def view_from_link(pairs: Iterable[tuple[str, str]]) -> tuple[dict[str, bool], list[str]]:
    """The view toggles a link sets ({session_state name: on}) and a note per value that is no on/off word (such a
    toggle keeps its default, off). Parameters other than VIEW_TOGGLES are lenient_config's to judge."""
    values: dict[str, bool] = {}
    notes: list[str] = []
    for param, text in pairs:
        if param not in VIEW_TOGGLES:
            continue
        word = text.strip().lower()
        if word in ON_WORDS + OFF_WORDS:
            values[VIEW_TOGGLES[param]] = word in ON_WORDS
        else:
            notes.append(f"{param}={shown(text)} is not 1 (on) or 0 (off), so it is ignored")
    return values, notes


def view_query(state: typing.Mapping[str, Any], prefix: str) -> dict[str, str]:
    """The link parameters of the toggles that are on in `state` (off, the default, is left out: a short link)."""
    return {param: "1" for param, name in VIEW_TOGGLES.items() if state.get(f"{prefix}.{name}")}
