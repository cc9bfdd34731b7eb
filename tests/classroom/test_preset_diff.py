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
