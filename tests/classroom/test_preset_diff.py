"""The teacher's table says what a student changed from the preset -- not what the server imposed: a run left on
the preset's "until I pause" is bounded to the class's epoch limit (within_class_epochs), which is no change of
the student's."""

from __future__ import annotations

from nnlib.classroom.admission import ClassLimits, within_class_epochs
from nnlib.classroom.presets import ClassPreset, differences
from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig

PRESET_CFG = RunConfig(data=DataConfig(dataset="spiral"), model=ModelConfig(hidden=(8, 8), activation="relu"),
                       train=TrainConfig(lr=0.1, epochs=300, until_paused=True))
PRESET = ClassPreset.from_json(PRESET_CFG.to_json(), locked=["train.lr"], hidden=["model.activation"])
LIMITS = ClassLimits(max_epochs=1000)


def _trained(cfg: RunConfig) -> dict:
    """What the server trains and the recorder keeps for a class member's submission."""
    return within_class_epochs(cfg, LIMITS).to_dict()


def test_an_untouched_until_paused_run_is_the_preset_as_given() -> None:
    trained = _trained(PRESET_CFG)
    assert (trained["train"]["until_paused"], trained["train"]["epochs"]) == (False, 1000)  # the server's bound
    assert differences(trained, PRESET, LIMITS.max_epochs) == []


def test_what_the_student_did_change_is_still_listed() -> None:
    noisier = _trained(PRESET_CFG.replace(data={"noise": 20.0}))
    assert differences(noisier, PRESET, LIMITS.max_epochs) == ["Noise (%) 0 → 20"]
    bounded = _trained(PRESET_CFG.replace(train={"until_paused": False}))
    assert differences(bounded, PRESET, LIMITS.max_epochs) == ["Until I pause on → off"]
    longer = _trained(PRESET_CFG.replace(train={"until_paused": False, "epochs": 500}))
    assert differences(longer, PRESET, LIMITS.max_epochs) == ["Epochs 300 → 500",
                                                              "Until I pause on → off"]


def test_changes_read_like_the_students_page_not_like_config_field_names() -> None:
    """The teacher reads the widget labels the student sees and the values as their widgets show them (it said
    'train.lr 0.1 -> 0.3', 'model.hidden [8, 8] -> [16]', 'model.initializer xavier_uniform -> he_normal')."""
    changed = _trained(PRESET_CFG.replace(train={"lr": 0.3}, model={"hidden": (16,), "initializer": "he_normal",
                                                                     "activation": "tanh"}))
    listed = differences(changed, PRESET, LIMITS.max_epochs)
    assert listed == ["Hidden layers 8, 8 → 16", "Activation relu → tanh", "Initializer xavier (glorot) uniform → "
                      "he (kaiming) normal", "Learning rate 0.1 → 0.3"], listed
    assert not any("." in item.split(" ")[0] for item in listed)  # no "train.lr"-style names


def test_until_i_pause_switched_on_over_a_bounded_preset_is_listed_as_that_not_as_the_servers_epochs() -> None:
    """A preset of 60 epochs; the student turned "Until I pause" on, and the class bounded the run to 1000 epochs:
    the table said "Epochs 60 → 1000", a number the student never set, and not what they did change."""
    bounded_preset = ClassPreset.from_json(PRESET_CFG.replace(train={"until_paused": False, "epochs": 60}).to_json())
    trained = _trained(PRESET_CFG.replace(train={"until_paused": True, "epochs": 60}))
    assert (trained["train"]["until_paused"], trained["train"]["epochs"]) == (False, 1000)
    assert differences(trained, bounded_preset, LIMITS.max_epochs) == ["Until I pause off → on"]
    longer = _trained(PRESET_CFG.replace(train={"until_paused": False, "epochs": 500}))
    assert differences(longer, bounded_preset, LIMITS.max_epochs) == ["Epochs 60 → 500"]


def test_epochs_set_to_the_limit_is_not_read_as_until_i_pause() -> None:
    """Epochs = the class's limit and a bounded "until I pause" train the same config (1000 epochs, the toggle off):
    from the config alone the table guessed, and read a student who set Epochs 60 -> 1000 as "Until I pause off ->
    on" (and one who turned the preset's toggle off at 1000 epochs as "the preset as given"). The job's plan says
    which it was, and the table passes it on."""
    bounded_preset = ClassPreset.from_json(PRESET_CFG.replace(train={"until_paused": False, "epochs": 60}).to_json())
    at_limit = _trained(PRESET_CFG.replace(train={"until_paused": False, "epochs": 1000}))
    until_paused = _trained(PRESET_CFG.replace(train={"until_paused": True, "epochs": 60}))
    assert at_limit == until_paused  # the ambiguity: only the plan tells them apart
    assert differences(at_limit, bounded_preset, LIMITS.max_epochs, until_paused=False) == ["Epochs 60 → 1000"]
    assert differences(until_paused, bounded_preset, LIMITS.max_epochs, until_paused=True) == \
        ["Until I pause off → on"]
    # the preset runs until paused (300 epochs shown): the student turned it off and set the limit
    assert differences(at_limit, PRESET, LIMITS.max_epochs, until_paused=False) == ["Epochs 300 → 1000",
                                                                                    "Until I pause on → off"]
    assert differences(until_paused, PRESET, LIMITS.max_epochs, until_paused=True) == []


def test_the_class_table_tells_epochs_at_the_limit_from_until_i_pause(class_db, monkeypatch) -> None:
    """End to end: Ann turns "Until I pause" on, Ben sets Epochs to the class's limit; both train the same config.
    The recorder keeps each job's plan in the stored run's metrics, and the teacher's table reads it."""
    from streamlit.testing.v1 import AppTest

    from nnlib.store import classes, presets, runs, students
    from tests.classroom.test_class_pages import PRESET as BOUNDED  # 4 epochs, "until I pause" off
    from tests.classroom.test_teacher_watch import _teacher, _wait
    from ui import classroom as CR
    from ui.services import job_manager

    monkeypatch.setenv("NNLIB_CLASS_MAX_EPOCHS", "6")
    klass = classes.create_class(class_db, "Group E")
    presets.save_preset(class_db, klass.id, "p", BOUNDED.to_json(indent=None), [], [])
    chosen = {"Ann": {"until_paused": True}, "Ben": {"epochs": 6}}
    for name, train in chosen.items():
        member = students.join(class_db, klass.id, name, f"browser:{name}")
        at = AppTest.from_function(_start_run, default_timeout=60)
        at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, member.id, member.name)
        at.session_state["cfg"] = BOUNDED.replace(train={**train, "speed": "fast"}).to_dict()
        at.run()
        assert not at.exception, at.exception
        job_id = at.session_state["job_playground"]
        _wait(lambda j=job_id: job_manager().find(j)[1].status == "finished", f"{name}'s run to finish")
        CR.recorder().record_now(job_id)
    stored = runs.class_runs(class_db, klass.id)
    assert len({r.config for r in stored}) == 1  # the same trained config: 6 epochs, the toggle off
    rows = [e.value for e in _teacher().markdown if "epochs ·" in str(e.value)]
    assert any(r.startswith("**Ann**") and r.endswith("changed: Until I pause off → on; Speed normal → fast")
               for r in rows), rows
    assert any(r.startswith("**Ben**") and r.endswith("changed: Epochs 4 → 6; Speed normal → fast")
               for r in rows), rows


def _start_run() -> None:
    import streamlit as st

    from ui import session as S

    st.session_state["job_playground"] = S.start_job("playground", {"config": st.session_state["cfg"]})
