"""The teacher's preset editor: the settings a teacher sets most often as real widgets (dataset, noise, hidden
layers, activation, optimizer, learning rate, epochs, batch size), the whole config as JSON under "Advanced" for
everything else, and which settings students may not change or see.

Both ways edit one config: the JSON is the base and a widget the teacher changed (its value differs from the saved
preset's) wins over it, so pasting a Playground config and then changing one widget both apply. Every check is the
server's: `ui.classroom_teacher.save_preset`.

No st.form: Enter in a form's text or number field submits the form, which saved a half-made preset (before the
locks were picked). Only the Save button saves; a saved preset reseeds every field (widgets, JSON, lists).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from nnlib.activations import ACTIVATIONS
from nnlib.classroom.admission import ClassLimits
from nnlib.classroom.presets import LOCKABLE, field_label
from nnlib.config import ConfigError, DataConfig, ModelConfig, RunConfig, TrainConfig, field_meta
from nnlib.data.catalog import names_of_kind
from nnlib.optimizers import OPTIMIZERS
from nnlib.store import classes, presets
from nnlib.words import count
from ui import classroom as CR
from ui import classroom_teacher as T

COMMON = ("data.dataset", "data.noise", "model.hidden", "model.activation", "train.optimizer", "train.lr",
          "train.epochs", "train.until_paused", "train.batch_size")
SAVED = "teacher.preset_saved"  # the message of the last save, shown after the rerun that reseeds the fields
SECTIONS = {"data": DataConfig, "model": ModelConfig, "train": TrainConfig}


def _layers(text: str) -> list[int] | str:
    """'8, 8' -> [8, 8]; '' -> [] (no hidden layer); anything else is passed on as text for the checks to name."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    return [int(p) for p in parts] if all(p.isdigit() for p in parts) else text


def _widgets(base: dict[str, Any], key: str) -> dict[str, Any]:
    """The common settings' widgets, started from the saved preset `base`; their values by field name."""
    meta = {name: field_meta(SECTIONS[name.split(".")[0]], name.split(".")[1]) for name in COMMON}
    value = {name: base[name.split(".")[0]][name.split(".")[1]] for name in COMMON}
    c1, c2, c3, c4 = st.columns(4)
    datasets = names_of_kind("toy2d")
    out = {"data.dataset": c1.selectbox("Dataset", datasets, index=datasets.index(value["data.dataset"])
                                        if value["data.dataset"] in datasets else 0, key=f"{key}.dataset",
                                        help=meta["data.dataset"].get("help")),
           "data.noise": c2.number_input("Noise (%)", 0.0, 50.0, float(value["data.noise"]), 5.0,
                                         key=f"{key}.noise", help=meta["data.noise"].get("help")),
           "model.hidden": _layers(c3.text_input("Hidden layers", ", ".join(map(str, value["model.hidden"])),
                                                 key=f"{key}.hidden", help="Neurons per hidden layer, e.g. '8, 8' "
                                                 "(empty: no hidden layer).")),
           "model.activation": c4.selectbox("Activation", list(ACTIVATIONS),
                                            index=list(ACTIVATIONS).index(value["model.activation"]),
                                            key=f"{key}.activation", help=meta["model.activation"].get("help"))}
    c1, c2, c3, c4, c5 = st.columns([4, 4, 3, 3, 3], vertical_alignment="bottom")
    out["train.optimizer"] = c1.selectbox("Optimizer", list(OPTIMIZERS),
                                          index=list(OPTIMIZERS).index(value["train.optimizer"]),
                                          key=f"{key}.optimizer", help=meta["train.optimizer"].get("help"))
    out["train.lr"] = c2.number_input("Learning rate", 1e-5, 10.0, float(value["train.lr"]), format="%g",
                                      key=f"{key}.lr", help=meta["train.lr"].get("help"))
    limit = ClassLimits.from_env().max_epochs
    out["train.epochs"] = int(c3.number_input("Epochs", 1, 10000, int(value["train.epochs"]), key=f"{key}.epochs",
                                              help="Passes over the training data: what a student's run trains "
                                              "when 'Until I pause' is off."))
    out["train.until_paused"] = c4.checkbox("Until I pause", bool(value["train.until_paused"]),
                                            key=f"{key}.until_paused",
                                            help="On: a student's run goes on until they pause or stop it, at most "
                                            f"the class's limit of {count(limit, 'epoch')} (Epochs is then not used). "
                                            "Off: it trains exactly Epochs.")
    out["train.batch_size"] = int(c5.number_input("Batch size", 1, 4096, int(value["train.batch_size"]),
                                                  key=f"{key}.batch", help=meta["train.batch_size"].get("help")))
    return out


def merged(json_text: str, base: dict[str, Any], widgets: dict[str, Any]) -> str:
    """The config to save: the JSON, with every widget the teacher changed from `base` (the saved preset) on top.
    ConfigError if the JSON is not a config."""
    config = RunConfig.from_json(json_text).to_dict()
    for name, value in widgets.items():
        section, field_name = name.split(".", 1)
        if value != base[section][field_name] and not (isinstance(value, list)
                                                       and list(base[section][field_name]) == value):
            config[section][field_name] = value
    return RunConfig.from_dict(config).to_json(indent=None)


def _reseed(klass_id: int) -> None:
    """Forget the fields keyed by class, not by preset (JSON, lists), so they show the preset just saved."""
    for name in (f"teacher.preset_json.{klass_id}", f"teacher.locked.{klass_id}", f"teacher.hidden.{klass_id}"):
        st.session_state.pop(name, None)


def preset_editor(klass: classes.ClassRow) -> None:
    current = presets.current_preset(CR.engine(), klass.id)
    base = RunConfig.from_json(current.config).to_dict() if current else RunConfig().to_dict()
    key = f"teacher.preset.{klass.id}.{current.id if current else 0}"  # a saved preset seeds fresh widgets
    with st.container(border=True, key=f"teacher-preset-{klass.id}"):
        st.markdown("**Class preset**: the setup students start from; locked settings cannot be changed, hidden "
                    "ones are not shown (both are enforced by the server).")
        widgets = _widgets(base, key)
        with st.expander("Advanced: the whole config as JSON"):
            text = st.text_area("Preset config (JSON)", value=current.config if current else RunConfig().to_json(),
                                height=160, key=f"teacher.preset_json.{klass.id}",
                                help="A RunConfig as JSON: the Playground's 'Config (JSON)' download pastes here. "
                                     "A setting you change above wins over the same setting here.")
        locked = st.multiselect("Locked settings", list(LOCKABLE), default=list(current.locked) if current else [],
                                format_func=field_label, key=f"teacher.locked.{klass.id}",
                                help="Shown but disabled for students.")
        hidden = st.multiselect("Hidden settings", list(LOCKABLE), default=list(current.hidden) if current else [],
                                format_func=field_label, key=f"teacher.hidden.{klass.id}",
                                help="Not shown to students; fixed to the preset's value.")
        if st.button("Save preset", type="primary", key=f"teacher.preset_save.{klass.id}",
                     help="Students get it at their next Train."):
            try:
                T.save_preset(klass.id, merged(text, base, widgets), locked, hidden)
            except ConfigError as e:
                st.error("This config cannot be used:\n\n" + "\n".join(f"- {x}" for x in e.errors))
            except ValueError as e:
                st.error(f"This preset cannot be used: {e}.")
            else:
                _reseed(klass.id)
                st.session_state[f"{SAVED}.{klass.id}"] = "Preset saved."
                st.rerun()
        saved = st.session_state.pop(f"{SAVED}.{klass.id}", None)
        if saved:
            st.success(saved)
