"""Class presets enforced on the server: whatever a class member submits (widgets, an edited URL, a hand-made
session state), the preset's locked and hidden fields are put back before the config is validated and trained.

`apply_preset` is the one function that does it; pages call it when they build the config and ui.session calls
it again just before a class member's job is submitted, so a field can only change through the teacher.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, fields
from typing import Any

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig

SECTIONS: dict[str, type] = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}
LOCKABLE: tuple[str, ...] = tuple(f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in fields(cls))


@dataclass(frozen=True)
class ClassPreset:
    """The class's starting config (RunConfig.to_dict()) and the fields students may not change / not see."""

    config: dict[str, Any]
    locked: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()

    @property
    def enforced(self) -> frozenset[str]:
        """Hidden fields are locked too: a student cannot set what they cannot see."""
        return self.locked | self.hidden

    @classmethod
    def from_json(cls, config_json: str, locked: tuple[str, ...] | list[str] = (),
                  hidden: tuple[str, ...] | list[str] = ()) -> ClassPreset:
        cfg = RunConfig.from_json(config_json).checked()
        return cls(cfg.to_dict(), frozenset(locked) & set(LOCKABLE), frozenset(hidden) & set(LOCKABLE))


# What the Playground's widgets call the fields no "Change one knob" registry entry names (nnlib.compare.knobs has
# the others), so a teacher's lock and hide lists read like the page their students see.
WIDGET_LABELS = {"data.dataset": "Dataset", "data.n_samples": "Points", "data.n_classes": "Classes",
                 "data.train_frac": "Training ratio", "data.val_frac": "Validation ratio",
                 "data.features": "Input features", "data.augment": "Augmentations", "data.csv_path": "CSV file",
                 "data.seed": "Data seed", "model.layer_activations": "Activation per layer",
                 "model.batch_norm": "Batch norm", "model.cnn": "Architecture",
                 "cnn.blocks": "Conv blocks", "cnn.head": "Head", "cnn.dense": "Dense layers", "train.loss": "Loss",
                 "train.beta1": "Adam beta1", "train.beta2": "Adam beta2", "train.weight_decay": "Weight decay",
                 "train.lr_step": "LR step (epochs)", "train.lr_gamma": "LR decay factor",
                 "train.lr_patience": "LR plateau patience", "train.until_paused": "Until I pause",
                 "train.speed": "Speed", "train.seed": "Seed", "train.device": "Device"}


def field_label(name: str) -> str:
    """'train.lr' -> 'Learning rate': the label a widget shows for a config field (the knob registry's, else the
    Playground widget's), for lists a teacher reads; an unknown name is returned as it is."""
    from nnlib.compare.knobs import KNOBS

    by_path = {k.path: k.label for k in KNOBS.values()}
    return WIDGET_LABELS.get(name) or by_path.get(name) or name


def unknown_fields(names: list[str] | tuple[str, ...]) -> list[str]:
    """Names a teacher form or a stored preset gives that are not config fields ("section.field")."""
    return [n for n in names if n not in LOCKABLE]


def apply_preset(submitted: dict[str, Any], preset: ClassPreset) -> dict[str, Any]:
    """A copy of `submitted` (RunConfig.to_dict() form) with every enforced field set to the preset's value."""
    out = copy.deepcopy(submitted) if isinstance(submitted, dict) else {}
    for name in preset.enforced:
        section, field_name = name.split(".", 1)
        if not isinstance(out.get(section), dict):
            out[section] = {}
        out[section][field_name] = copy.deepcopy(preset.config.get(section, {}).get(field_name))
    return out


def enforce(cfg: RunConfig, preset: ClassPreset) -> RunConfig:
    """The RunConfig a class member may train: `cfg` with the preset's locked and hidden fields."""
    return RunConfig.from_dict(apply_preset(cfg.to_dict(), preset))


def redact(config: dict[str, Any], hidden: frozenset[str] | set[str]) -> dict[str, Any]:
    """A copy of a config (RunConfig.to_dict() form) without its `hidden` fields: what a class member may be shown
    of a Playground config -- in labels, tables, links and downloads -- when the preset hides those fields."""
    out = copy.deepcopy(config) if isinstance(config, dict) else {}
    for name in hidden:
        section, field_name = name.split(".", 1)
        if isinstance(out.get(section), dict):
            out[section].pop(field_name, None)
    return out


def as_chosen(config: dict[str, Any], preset: ClassPreset, max_epochs: int | None,
              until_paused: bool | None = None) -> dict[str, Any]:
    """The config a student chose, from the one that trained: a run left on the preset's "until I pause" was bounded
    by the server to the class's epoch limit (nnlib.classroom.admission.within_class_epochs); that is the server's
    doing, not a change the student made, so the preset's epochs are put back, with "until I pause" as the student
    had it (the preset's, or switched on). A run whose epochs the student set is returned as it is.

    `until_paused`: whether the student ran it "until I pause", when known (the job's plan says so; a stored run's
    metrics keep it). The trained config alone cannot tell a bounded "until I pause" from Epochs set to the limit
    (both train max_epochs epochs), so without it this is a guess that took Epochs = the limit for the toggle."""
    from nnlib.classroom.admission import ClassLimits, within_class_epochs
    from nnlib.config import ConfigError

    train = config.get("train") if isinstance(config, dict) else None
    preset_train = preset.config.get("train", {})
    if max_epochs is None or not isinstance(train, dict):
        return config
    if until_paused is not None:
        if not until_paused or train.get("until_paused"):  # the epochs are the student's, or nothing was bounded
            return config
        chosen = copy.deepcopy(config)
        chosen["train"].update(until_paused=True, epochs=preset_train.get("epochs"))  # epochs count no more then
        return chosen
    # the preset's own setting, or "until I pause" switched on over the preset's epochs (a preset with it off: the
    # table said "Epochs 60 -> 1000", naming the server's bound, where the student had turned "Until I pause" on)
    for until_paused in dict.fromkeys((preset_train.get("until_paused"), True)):
        chosen = copy.deepcopy(config)
        chosen["train"].update(until_paused=until_paused, epochs=preset_train.get("epochs"))
        try:
            imposed = within_class_epochs(RunConfig.from_dict(chosen), ClassLimits(max_epochs=max_epochs)).train
        except (ConfigError, ValueError, TypeError):
            continue
        if (imposed.until_paused, imposed.epochs) == (train.get("until_paused"), train.get("epochs")):
            return chosen
    return config


def differences(config: dict[str, Any], preset: ClassPreset, max_epochs: int | None = None,
                until_paused: bool | None = None) -> list[str]:
    """What a student changed from the preset, as the teacher's table lists it: the widget's label and the values as
    the student's page shows them ('Learning rate 0.03 → 0.1', 'Activation Tanh → ReLU'), not the config's field
    names. With the class's epoch limit `max_epochs`, what the server imposed on an "until I pause" run is not
    counted as a change; `until_paused` (whether the run was "until I pause", when known) tells that apart from
    Epochs set to the limit (as_chosen)."""
    config = as_chosen(config, preset, max_epochs, until_paused)
    out = []
    for name in LOCKABLE:
        section, field_name = name.split(".", 1)
        mine = config.get(section, {}).get(field_name)
        theirs = preset.config.get(section, {}).get(field_name)
        if json.dumps(mine, sort_keys=True, default=str) != json.dumps(theirs, sort_keys=True, default=str):
            out.append(f"{field_label(name)} {shown_value(name, theirs)} → {shown_value(name, mine)}")
    return out


def shown_value(name: str, value: Any) -> str:
    """A config value as the Playground's widget for field `name` shows it: a registry entry by its label
    ('ReLU', 'Spiral'), other choices with spaces ('xavier uniform'), a toggle on/off, numbers without trailing
    zeros, hidden layers as their widths ('8, 8'); anything long is cut to 30 characters."""
    from nnlib.config import field_meta
    from nnlib.registry import Registry

    section, field_name = name.split(".", 1)
    choices = field_meta(SECTIONS[section], field_name).get("choices") if section in SECTIONS else None
    if isinstance(choices, Registry) and isinstance(value, str) and value in choices:
        text = choices[value].label
    elif isinstance(value, bool):
        text = "on" if value else "off"
    elif isinstance(value, float):
        text = f"{value:g}"
    elif isinstance(value, (list, tuple)) and all(isinstance(v, (int, float, str)) for v in value):
        text = ", ".join(str(v).replace("_", " ") for v in value) or ("no hidden layer" if name == "model.hidden"
                                                                      else "none")
    elif isinstance(value, str):
        text = value.replace("_", " ") if choices else value or "none"
    elif value is None:
        text = "none"
    else:
        text = json.dumps(value, default=str) if isinstance(value, dict) else str(value)
    return text if len(text) <= 30 else text[:27] + "..."
