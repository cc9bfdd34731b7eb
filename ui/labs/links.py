"""A lab's settings from a shared link's query parameters, kept lenient like ui.links does for runs: a number out
of range is clamped, an unknown choice dropped, text that is not a number ignored -- each with a sentence, never
a traceback. No streamlit here, so the parsing is tested alone."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from nnlib.config import field_meta
from nnlib.labs.settings import LAB_SETTINGS

# Page switches that are not part of a lab's settings dataclass (they pick inputs, not numbers to compute with).
FLAGS: dict[str, tuple[str, ...]] = {"conv": ("lecture",)}
TRUE = ("1", "true", "on", "yes")


def _number(text: str, default: Any) -> int | float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return int(round(value)) if isinstance(default, int) else value


def settings_from_query(lab: str, query: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """The values a link sets for `lab` (parameters named `<lab>.<field>`), and what it could not set as given.
    Parameters of other labs or pages (and tracking parameters) are not this lab's business and pass silently."""
    cls = LAB_SETTINGS[lab]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    values: dict[str, Any] = {}
    notes: list[str] = []
    for param, text in query.items():
        head, dot, name = param.partition(".")
        if head != lab or not dot:
            continue
        if name in FLAGS.get(lab, ()):
            values[name] = text.lower() in TRUE
            continue
        if name not in fields:
            notes.append(f"{param} is not a setting of this lab and was ignored")
            continue
        meta, default = field_meta(cls, name), fields[name].default
        if "min" in meta:
            try:
                v = _number(text, default)
            except ValueError:
                notes.append(f"{param}={text!r} is not a number, so {default:g} is used")
                continue
            lo, hi = meta["min"], meta["max"]
            if not lo <= v <= hi:
                clamped = type(v)(min(max(v, lo), hi))
                notes.append(f"{param}={v:g} is out of range ({lo:g} to {hi:g}), so {clamped:g} is used")
                v = clamped
            values[name] = v
        elif isinstance(default, tuple):
            picked = [t for t in text.split(",") if t]
            kept = tuple(t for t in picked if t in meta["choices"])
            if len(kept) < len(picked):
                dropped = ", ".join(t for t in picked if t not in meta["choices"])
                notes.append(f"{param}: unknown {dropped} dropped")
            values[name] = kept
        elif text in meta["choices"]:
            values[name] = text
        else:
            notes.append(f"{param}={text!r} is not one of: {', '.join(meta['choices'])}; {default} is used")
    return values, notes
