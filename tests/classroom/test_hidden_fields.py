"""A field the class preset hides from students (here the activation, relu) is not spelled out anywhere a class
member looks: the teacher's shared reference's label (references bar, chart legends, hover texts), the Compare
page's tables and export, the leaderboard's config links, the Playground's address, its share link and its config
download -- and the run file, which holds the whole config, is not offered."""

from __future__ import annotations

import json
import os
import time

import pytest
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from nnlib.config import DataConfig, ModelConfig, RunConfig, TrainConfig
from nnlib.store import challenges, classes, presets, runs, students
from tests.classroom.test_class_pages import PAGES
from ui import classroom as CR
from ui import compare_store as store

SECRET = "relu"  # not the default activation (tanh): only the preset can put it anywhere
PRESET = RunConfig(data=DataConfig(dataset="xor", n_samples=200), model=ModelConfig(hidden=(3,), activation=SECRET),
                   train=TrainConfig(lr=0.1, epochs=4, until_paused=False))
HISTORY = {"epoch": [1, 2], "train_loss": [0.7, 0.4], "val_loss": [0.72, 0.45], "train_accuracy": [0.6, 0.9],
           "val_accuracy": [0.6, 0.9]}


@pytest.fixture
def downloads(monkeypatch):
    """What every download button on a page would hand the browser (its data, built now if it is a callable)."""
    seen: dict[str, str] = {}
    original = DeltaGenerator.download_button

    def capture(self, label, data, *args, **kwargs):
        seen[label] = str(data() if callable(data) else data)
        return original(self, label, data, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "download_button", capture)
    return seen


def _class(engine, hidden: list[str]):
    klass = classes.create_class(engine, "Group K")
    presets.save_preset(engine, klass.id, "p", PRESET.to_json(indent=None), [], hidden)
    ann = students.join(engine, klass.id, "Ann", "browser:ann")
    run_id = runs.save_run(engine, job_id="j-ann", owner=f"student:{ann.id}", class_id=klass.id, page="playground",
                           status="finished", config_json=PRESET.to_json(indent=None), history=HISTORY,
                           metrics={"epochs": 2, "val_accuracy": 0.9, "params": 13}, weights=None,
                           created_at=time.time())
    runs.set_shared(engine, run_id, klass.id, True)
    challenges.add_challenge(engine, klass.id, "XOR", "fewest_params", 0.5, None)
    return klass, ann


def _everything_shown(at: AppTest) -> str:
    """Every element's message as sent to the browser (labels, markdown, chart specs, tables, links, tooltips)."""
    parts: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts).replace("\\\\u00b7", "·")  # chart specs are JSON inside the message: "·" escaped


def _open(page: str, klass, student) -> AppTest:
    at = AppTest.from_file(os.path.join(PAGES, page), default_timeout=120)
    at.session_state["nn_person"] = "browser:ann"
    at.session_state["class.ctx"] = CR.ClassContext(klass.id, klass.code, klass.name, student.id, student.name)
    return at.run()


def _pin_own_run() -> None:
    store.clear("browser:ann")
    store.pin("browser:ann", store.Pin("own", "playground run 1", "playground", PRESET.to_dict(), status="finished",
                                       epoch=2, history=HISTORY))


def test_a_hidden_activation_shows_nowhere_a_student_looks(class_db, downloads):
    klass, ann = _class(class_db, hidden=["model.activation"])
    playground = _open("playground.py", klass, ann)
    assert not playground.exception, playground.exception
    shown = _everything_shown(playground)
    assert "reference: xor · 3 · lr 0.1" in shown and "[config](/?" in shown  # the label, the board
    assert SECRET not in shown.lower()
    assert "model.activation" not in dict(playground.query_params) and playground.query_params["class"] == klass.code
    assert downloads["Config (JSON)"] and SECRET not in downloads["Config (JSON)"]

    _pin_own_run()  # the student's own run carries the preset's activation too
    compare = _open("compare.py", klass, ann)
    assert not compare.exception, compare.exception
    shown = _everything_shown(compare)
    assert "reference: xor · 3 · lr 0.1" in shown and "playground run 1" in shown
    assert SECRET not in shown.lower()
    assert '"label": "playground run 1"' in downloads["Export JSON"] and SECRET not in downloads["Export JSON"]
    assert SECRET not in downloads["Export CSV"]
    store.clear("browser:ann")


def test_without_hidden_fields_everything_is_shown_as_before(class_db, downloads):
    klass, ann = _class(class_db, hidden=[])
    playground = _open("playground.py", klass, ann)
    assert f"reference: xor · 3 {SECRET} · lr 0.1" in _everything_shown(playground)
    assert dict(playground.query_params)["model.activation"] == SECRET
    assert f'"activation": "{SECRET}"' in downloads["Config (JSON)"]


def test_a_hidden_field_is_neither_shown_nor_flagged_on_compare_with_the_pages_own_pin_names(class_db, downloads):
    """The Playground pins its runs as page "Playground" (ui.compare_panel), the stored reference's slot is
    "playground": both are Playground configs, both redacted; the hidden field is not a "setting that differs"
    (the reference reads none where the student's run would read relu), and the reference's row says "Playground"."""
    klass, ann = _class(class_db, hidden=["model.activation"])
    store.clear("browser:ann")
    store.pin("browser:ann", store.Pin("own", "Playground run 1", "Playground", PRESET.to_dict(),
                                       status="finished", epoch=2, history=HISTORY))
    compare = _open("compare.py", klass, ann)
    assert not compare.exception, compare.exception
    shown = _everything_shown(compare)
    assert "Playground run 1" in shown and SECRET not in shown.lower()
    assert "model.activation" not in shown and "playground" not in shown.replace("Playground run", "")
    exported = json.loads(downloads["Export JSON"])
    assert "model.activation" not in exported["differs"]
    assert all("activation" not in r["config"]["model"] for r in exported["runs"])
    store.clear("browser:ann")
