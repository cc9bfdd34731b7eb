"""'Change one knob': N copies of a run that differ in exactly one field (same seed, same data), and, for any set
of configs, which fields differ -- what a comparison table highlights."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from nnlib.compare.knobs import KNOBS, Knob
from nnlib.config import ConfigError, RunConfig
from nnlib.data.catalog import DATASETS
from nnlib.idle_fields import idle_fields
from nnlib.models.presets import CNN_PRESETS, matching_preset

MAX_VARIANTS = 6  # a group trains in one worker, lockstep: more would crawl and crowd the overlaid charts
MIN_VARIANTS = 2


class VariantError(ValueError):
    """Every reason the requested variants cannot run, each a sentence for the student."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def knob_of(field: str) -> Knob:
    """The knob named `field` (its name, "dropout", or its path, "model.dropout"); VariantError if none."""
    if field in KNOBS:
        return KNOBS[field]
    for k in KNOBS.values():
        if k.path == field:
            return k
    raise VariantError([f"{field!r} is not a knob that can be varied; choose one of {', '.join(KNOBS)}"])


def variants(cfg: RunConfig, field: str, values: Sequence[Any]) -> list[RunConfig]:
    """One config per value, identical to `cfg` but for `field` (a knob name or path), each validated.

    Same seed and same data for all, so the curves differ only because of the knob. Raises VariantError listing
    every problem: an unknown knob, a knob the run ignores as it stands (nnlib.idle_fields), too few or too many
    values, a value that does not parse, repeats, and each variant's own validation problems (prefixed by the value
    that causes them).
    """
    knob = knob_of(field)
    problems: list[str] = []
    if not knob.applies(cfg):
        kind = "a convolutional network" if cfg.model.cnn is not None else "a dense network"
        problems.append(f"{knob.label} does not apply to {kind}")
    idle = idle_fields(cfg).reason(knob.path)
    if idle:  # N variants of a field the run ignores would train N identical runs (knobs_for does not offer it)
        problems.append(f"{knob.label} changes nothing in this setup ({idle[:-1]})")
    if not MIN_VARIANTS <= len(values) <= MAX_VARIANTS:
        problems.append(f"give {MIN_VARIANTS} to {MAX_VARIANTS} values of {knob.label.lower()}, not {len(values)}")
    parsed: list[Any] = []
    for raw in values:
        try:
            parsed.append(knob.parse(raw))
        except ValueError as e:
            problems.append(f"{knob.label}: {e}")
    seen: set[str] = set()
    for v in parsed:
        if knob.shown(v) in seen:
            problems.append(f"{knob.label} {knob.shown(v)} is listed twice")
        seen.add(knob.shown(v))
    if problems:
        raise VariantError(problems)
    out = []
    for v in parsed:
        variant = knob.set(cfg, v)
        for p in variant.validate():
            problems.append(f"{knob.label} = {knob.shown(v)}: {p}")
        out.append(variant)
    if problems:
        raise VariantError(problems)
    return out


def variant_labels(field: str, configs: Sequence[RunConfig]) -> list[str]:
    """'Dropout = 0.2' for each variant: what legends and tables call them. The knob as the page names it (its
    label, as in the Change-one-knob list and the results table's column), never its key: the CNN head's dropout
    read "dense_dropout = 0.25" in the Compare legend."""
    knob = knob_of(field)
    return [f"{knob.label} = {knob.shown(knob.get(c))}" for c in configs]


def flat_fields(cfg: RunConfig | dict[str, Any]) -> dict[str, Any]:
    """{"train.lr": 0.03, ...}: a config as one level of named fields. A CNN spec is its fields ("cnn.dense_dropout",
    the knob's path, "cnn.blocks", ...) and "model.cnn" names its architecture as the CNN page does (a preset's
    label, else "custom"): as one field, three dense-dropout variants read "custom" in one highlighted column and
    the dropout that differed was shown nowhere."""
    d = cfg.to_dict() if isinstance(cfg, RunConfig) else cfg
    out: dict[str, Any] = {}
    for sect, values in d.items():
        for k, v in values.items():
            if sect == "model" and k == "cnn":
                out["model.cnn"] = architecture(v, d.get("data", {}).get("dataset"))
                out.update({f"cnn.{f}": x for f, x in (v or {}).items()} if isinstance(v, dict) else {})
            else:
                out[f"{sect}.{k}"] = v
    return out


def architecture(spec: Any, dataset: Any) -> Any:
    """The Architecture a CNN page run was set up with, as its picker names it: the preset that builds `spec` for
    the dataset's images (its dense dropout aside: a separate field, and the knob variants change), else "custom";
    `spec` itself (None) for a run that is no image run."""
    entry = DATASETS.get(dataset) if isinstance(dataset, str) else None
    if entry is None or entry.params.get("kind") != "image":
        return spec if spec is None else "custom"
    try:
        cnn = None if spec is None else RunConfig.from_dict({"model": {"cnn": spec}}).model.cnn
    except ConfigError:
        return "custom"
    shape = tuple(int(x) for x in entry.params["shape"])
    name = matching_preset(cnn if cnn is None else replace(cnn, dense_dropout=0.0), shape)  # type: ignore[arg-type]
    return CNN_PRESETS[name].label if name else "custom"


def blocks_text(blocks: Sequence[Any]) -> str:
    """Conv blocks as a student reads them: "conv 8 3x3 max, conv 16 3x3 max" (kind, filters, size, pooling)."""
    parts = []
    for b in blocks:
        if not isinstance(b, dict):
            return ",".join(map(str, blocks))
        pool = "" if b.get("pool") in (None, "none") else f" {b['pool']}"
        parts.append(f"{b.get('kind', 'conv')} {b.get('out_channels')} {b.get('kernel')}x{b.get('kernel')}{pool}")
    return ", ".join(parts) or "none"


def config_diff(configs: Sequence[RunConfig | dict[str, Any]]) -> list[str]:
    """The field paths ("model.dropout") whose value is not the same in every config and that some config uses,
    in RunConfig's order. A field every config ignores (nnlib.idle_fields: two plain-SGD runs with other momenta,
    two constant-rate runs with other LR steps) trains the same either way: a table that highlighted it would teach
    that it made the curves differ. One used by some config and ignored by others is a difference (ignored_in
    says by which)."""
    if not configs:
        return []
    idle = [_idle(c) for c in configs]
    return [k for k in _differing(configs) if not all(k in i for i in idle)]


def ignored_in(configs: Sequence[RunConfig | dict[str, Any]]) -> list[dict[str, str]]:
    """Per config, the fields whose values differ between the configs that this config ignores -> the cause
    ("Optimizer sgd"): what a comparison table marks in that run's cell (nnlib.idle_fields has the sentences)."""
    differ = set(_differing(configs))
    return [{k: cause for k, (cause, _) in _idle(c).items() if k in differ} for c in configs]


def _differing(configs: Sequence[RunConfig | dict[str, Any]]) -> list[str]:
    """The field paths whose value is not the same in every config (a field one config lacks differs), in the
    order the configs name them: what config_diff filters and ignored_in marks."""
    flats = [flat_fields(c) for c in configs]
    keys = dict.fromkeys(k for f in flats for k in f)
    return [k for k in keys if len({repr(f.get(k)) for f in flats}) > 1]


def same_effect(configs: Sequence[RunConfig | dict[str, Any]]) -> list[list[int]]:
    """Groups (2 or more, by position) of configs that train the same run: equal in every field each one uses (two
    plain-SGD runs with other momenta), so with the same seed and data their curves lie on top of each other."""
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(configs):
        idle = _idle(c)
        used = sorted((k, repr(v)) for k, v in flat_fields(c).items() if k not in idle)
        groups.setdefault(repr(used), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def _idle(cfg: RunConfig | dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The fields `cfg` ignores, {} when that cannot be told: a dict that is no valid config, or lacks fields (a
    class preset's hidden ones are removed before a student sees a run: filling them with defaults could call
    momentum idle in a run that used it), so such a field still shows as a difference, as it did before."""
    if isinstance(cfg, RunConfig):
        return idle_fields(cfg).reasons
    try:
        full = RunConfig.from_dict(cfg)
    except ConfigError:
        return {}
    return idle_fields(full).reasons if flat_fields(full).keys() == flat_fields(cfg).keys() else {}


def check_all(configs: Sequence[RunConfig]) -> list[str]:
    """Each config's validation problems, prefixed by its position (for groups built from elsewhere)."""
    problems = []
    for i, c in enumerate(configs, start=1):
        problems += [f"run {i}: {p}" for p in c.validate()]
    return problems


def from_dicts(dicts: Sequence[Any]) -> list[RunConfig]:
    """Configs from plain dicts, every problem a sentence (VariantError)."""
    out, problems = [], []
    for i, d in enumerate(dicts, start=1):
        try:
            out.append(RunConfig.from_dict(d))
        except ConfigError as e:
            problems += [f"run {i}: {p}" for p in e.errors]
    if problems:
        raise VariantError(problems)
    return out
