"""The classroom's rules without Streamlit: preset enforcement, the password gate, challenges, admission."""

from __future__ import annotations

import pytest

from nnlib.classroom.admission import ClassLimits, model_params, refusal
from nnlib.classroom.auth import AttemptLimiter, TeacherGate
from nnlib.classroom.challenges import leaderboard
from nnlib.classroom.presets import LOCKABLE, ClassPreset, apply_preset, differences, enforce, unknown_fields
from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from nnlib.store.runs import RunRow

PRESET_CFG = RunConfig(data=DataConfig(dataset="spiral"), model=ModelConfig(hidden=(6, 4)),
                       train=TrainConfig(lr=0.03, epochs=50))


def preset(**kw) -> ClassPreset:
    return ClassPreset.from_json(PRESET_CFG.to_json(), kw.get("locked", ()), kw.get("hidden", ()))


def test_locked_and_hidden_fields_take_the_preset_value_whatever_was_submitted():
    p = preset(locked=["train.lr", "model.hidden"], hidden=["data.dataset"])
    edited = RunConfig(data=DataConfig(dataset="xor", noise=10.0), model=ModelConfig(hidden=(64, 64, 64)),
                       train=TrainConfig(lr=3.0, epochs=20))
    out = enforce(edited, p)
    assert (out.train.lr, out.model.hidden, out.data.dataset) == (0.03, (6, 4), "spiral")
    assert (out.data.noise, out.train.epochs) == (10.0, 20)  # not locked: the student's choice
    raw = apply_preset({"train": {"lr": 9}, "junk": 1}, p)  # a hand-made payload: fields filled in, not trusted
    assert raw["train"]["lr"] == 0.03 and raw["data"]["dataset"] == "spiral" and raw["model"]["hidden"] == [6, 4]


def test_preset_field_names_are_checked_and_differences_listed():
    assert unknown_fields(["train.lr", "train.colour"]) == ["train.colour"]
    assert "train.lr" in LOCKABLE and "model.cnn" in LOCKABLE
    p = ClassPreset.from_json(PRESET_CFG.to_json(), ["train.lr", "nope.x"])
    assert p.locked == frozenset({"train.lr"})
    changed = differences(PRESET_CFG.replace(train={"lr": 0.1}).to_dict(), p)
    assert changed == ["Learning rate 0.03 → 0.1"]


def test_gate_off_without_password_and_hash_only_in_memory():
    off = TeacherGate(None)
    assert not off.enabled and off.check("x", "a")[0] is False
    gate = TeacherGate("s3cret pass")
    assert gate.enabled and "s3cret" not in repr(vars(gate)).lower()
    assert gate.check("wrong", "a") == (False, "Wrong password.")
    assert gate.check("s3cret pass", "a") == (True, "Unlocked.")


def test_wrong_passwords_are_rate_limited_per_person():
    now = [0.0]
    gate = TeacherGate("right", AttemptLimiter(max_failures=3, window=60.0, clock=lambda: now[0]))
    for _ in range(3):
        assert not gate.check("guess", "student")[0]
    ok, message = gate.check("right", "student")  # even the right one waits: no oracle for a guessing loop
    assert not ok and message.startswith("Too many wrong passwords; try again in 60")
    assert gate.check("right", "teacher")[0]  # another person is not blocked
    now[0] = 61.0
    assert gate.check("right", "student")[0]


def _run(i: int, owner: str, params: int, acc: float, losses: list[float]) -> RunRow:
    return RunRow(i, f"j{i}", owner, 1, "playground", "finished", f'{{"i": {i}}}', {"val_loss": losses},
                  {"params": params, "val_accuracy": acc}, False, 0.0, float(i))


def test_leaderboards_rank_the_best_run_per_student():
    runs = [_run(1, "a", 40, 0.97, [0.5, 0.2]), _run(2, "a", 25, 0.96, [0.4, 0.3]), _run(3, "b", 30, 0.99, [0.1]),
            _run(4, "c", 10, 0.80, [0.9, 0.05, 0.01])]
    fewest = leaderboard("fewest_params", 0.95, None, runs)
    assert [(e.owner, e.score, e.run_id) for e in fewest] == [("a", 25.0, 2), ("b", 30.0, 3)]
    assert fewest[0].config == '{"i": 2}' and "25 parameters" in fewest[0].shown
    lowest = leaderboard("lowest_val_loss", None, 2, runs)  # c's 0.01 came at epoch 3: too late
    assert [(e.owner, e.score) for e in lowest] == [("c", 0.05), ("b", 0.1), ("a", 0.2)]
    with pytest.raises(ValueError):
        leaderboard("fastest", None, None, runs)


def test_admission_refuses_with_a_sentence():
    limits = ClassLimits(class_jobs=2, student_jobs=1, max_epochs=100, max_params=50, student_cpu_seconds=10)
    ok = {"epochs": 50, "params": 25, "cpu_seconds": 2.0, "class_active": 0, "student_active": 0,
          "student_cpu_active": 0.0}
    assert refusal(limits, **ok) is None
    assert "at most 100 epochs" in refusal(limits, **{**ok, "epochs": 500})
    assert "at most 50 parameters" in refusal(limits, **{**ok, "params": 51})
    assert "already have 1 run" in refusal(limits, **{**ok, "student_active": 1})
    assert "of CPU" in refusal(limits, **{**ok, "cpu_seconds": 11.0})
    assert "try again in a minute" in refusal(limits, **{**ok, "class_active": 2})
    assert model_params(RunConfig()) == 2 * 4 + 4 + 4 * 2 + 2 + 2 * 1 + 1
