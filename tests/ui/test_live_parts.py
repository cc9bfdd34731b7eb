"""The live route's answer from the pictures a job's worker built (ui.live_parts) is the answer it would build
from the snapshot: same patches for every `have`; a browser asking for the discretized boundary gets that."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from nnlib.jobs.manager import JobView
from ui import live
from ui.live_parts import patches_json, picture_fragment


@pytest.fixture(scope="module")
def snapshot() -> dict:
    from nnlib.config import RunConfig
    from nnlib.inspect.snapshot import playground_snapshot
    from nnlib.train.trainer import Trainer

    trainer = Trainer(RunConfig().replace(train={"epochs": 40, "until_paused": False}))
    trainer.run()
    return playground_snapshot(trainer, False)


def _view(snap: dict, pictures: bytes | None) -> JobView:
    return JobView("tok", "running", None, snap, 5, None, None, 0.0, 0.0, None, pictures=pictures)


@pytest.mark.parametrize("test", ["0", "1"])
@pytest.mark.parametrize("have", ["0", "35", "40"])
def test_ready_pictures_give_the_answer_built_from_the_snapshot(snapshot: dict, have: str, test: str) -> None:
    """...and the curves of the page's options: the test loss only for a page with "Show test data" on."""
    opts = {"have": have, "disc": "0", "test": test}
    built = json.loads(live._answer(_view(snapshot, None), "playground", opts))
    ready = json.loads(live._answer(_view(snapshot, picture_fragment(snapshot)), "playground", opts))
    assert ready == built and built["patches"]["boundary"] and built["patches"]["network"]
    test_curve = ready["patches"]["loss"]["2"]
    assert test_curve["showlegend"] is (test == "1")
    new_points = len(base64.b64decode(test_curve["y"]["bdata"])) // 4  # float32s
    assert new_points == (40 - int(have) if test == "1" else 0)


def test_what_the_pictures_do_not_show_is_built_from_the_snapshot(snapshot: dict) -> None:
    view = _view(snapshot, picture_fragment(snapshot))
    assert patches_json(view, "playground", {"have": "0", "disc": "1"}) is None  # a discretized boundary
    assert patches_json(view, "cnn", {"have": "0"}) is None
    assert patches_json(replace(view, pictures=None), "playground", {"have": "0"}) is None
    discretized = json.loads(live._answer(view, "playground", {"have": "0", "disc": "1"}))
    assert discretized == json.loads(live._answer(replace(view, pictures=None), "playground",
                                                  {"have": "0", "disc": "1"}))
    assert set(discretized["patches"]["boundary"]["0"]["z"]) and discretized != json.loads(
        live._answer(view, "playground", {"have": "0"}))
