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


def test_only_the_save_button_saves_the_value_typed_and_the_editor_shows_what_was_saved(class_db):
    """Enter in a form's field submits the form: the editor has no form, so a field's change (Enter, or leaving the
    field: one rerun) saves nothing; Save saves the value typed; afterwards the JSON and lists show the saved
    preset (they read the old one until a reload)."""
    at, klass = _preset_tab(class_db)
    save = next(b for b in at.button if b.label == "Save preset")
    assert not save.proto.form_id, "in an st.form, Enter in any of its fields submits it"
    key = f"teacher.preset.{klass.id}.0"
    at.number_input(key=f"{key}.epochs").set_value(300).run()  # what Enter in the field does without a form
    at.text_input(key=f"{key}.hidden").set_value("8, 8").run()
    assert presets.current_preset(class_db, klass.id) is None and "Preset saved." not in texts(at)
    at.checkbox(key=f"{key}.until_paused").uncheck()
    at.multiselect(key=f"teacher.locked.{klass.id}").set_value(["train.lr"])
    _save(at)
    assert "Preset saved." in texts(at), texts(at)
    row = presets.current_preset(class_db, klass.id)
    saved = RunConfig.from_json(row.config)
    assert (saved.train.epochs, saved.train.until_paused, saved.model.hidden) == (300, False, (8, 8))
    assert RunConfig.from_json(at.text_area(key=f"teacher.preset_json.{klass.id}").value) == saved
    assert at.multiselect(key=f"teacher.locked.{klass.id}").value == ["train.lr"]
    assert at.number_input(key=f"teacher.preset.{klass.id}.{row.id}.epochs").value == 300


def test_the_lock_and_hide_lists_read_like_the_widgets(class_db):
    at, klass = _preset_tab(class_db)
    for name in (f"teacher.locked.{klass.id}", f"teacher.hidden.{klass.id}"):
        options = at.multiselect(key=name).options
        assert "Learning rate" in options and "Activation" in options and "Until I pause" in options, options
        assert not any(o.startswith(("train.", "model.", "data.")) for o in options), options
