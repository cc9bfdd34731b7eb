"""The preset's common settings are real widgets (the whole config stays editable as JSON under "Advanced"): a
teacher sets dataset, activation and learning rate without writing JSON, pastes a config and changes one widget
and gets both, and a typo gets a sentence, not a traceback."""

from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from nnlib.config import RunConfig
from nnlib.store import classes, presets
from tests.classroom.test_class_pages import PAGES, PRESET, texts


def _preset_tab(engine) -> tuple[AppTest, classes.ClassRow]:
    klass = classes.create_class(engine, "Group P")
    at = AppTest.from_file(os.path.join(PAGES, "teacher.py"), default_timeout=60)
    at.session_state["teacher.ok"] = True
    return at.run(), klass


def _save(at: AppTest) -> AppTest:
    return next(b for b in at.button if b.label == "Save preset").click().run()


def test_the_common_settings_are_widgets_and_json_stays_for_the_rest(class_db):
    at, klass = _preset_tab(class_db)
    key = f"teacher.preset.{klass.id}.0"
    at.selectbox(key=f"{key}.dataset").set_value("spiral")
    at.selectbox(key=f"{key}.activation").set_value("relu")
    at.number_input(key=f"{key}.lr").set_value(0.03)
    at.text_input(key=f"{key}.hidden").set_value("8, 8")
    _save(at)
    assert "Preset saved." in texts(at), texts(at)
    saved = RunConfig.from_json(presets.current_preset(class_db, klass.id).config)
    assert (saved.data.dataset, saved.model.activation, saved.train.lr, saved.model.hidden) == (
        "spiral", "relu", 0.03, (8, 8))
    assert saved.train.epochs == RunConfig().train.epochs  # what no widget changed stays as it was

    at.run()  # the saved preset seeds the widgets (a new key per preset)
    row = presets.current_preset(class_db, klass.id)
    key = f"teacher.preset.{klass.id}.{row.id}"
    assert at.selectbox(key=f"{key}.dataset").value == "spiral"
    at.text_area(key=f"teacher.preset_json.{klass.id}").set_value(PRESET.to_json())  # pasted under Advanced
    at.number_input(key=f"{key}.epochs").set_value(30)  # and one widget changed: both apply
    _save(at)
    saved = RunConfig.from_json(presets.current_preset(class_db, klass.id).config)
    assert saved == PRESET.replace(train={"epochs": 30}), saved

    at.run()
    key = f"teacher.preset.{klass.id}.{presets.current_preset(class_db, klass.id).id}"
    at.text_input(key=f"{key}.hidden").set_value("8, x")
    _save(at)
    assert not at.exception and "This config cannot be used" in texts(at), texts(at)
