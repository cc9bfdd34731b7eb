"""One typed snapshot: what the worker fills is what the typed dicts declare, and every key a page reads by name is
declared -- a key added on one side only fails here instead of drawing nothing."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

from nnlib.config import RunConfig
from nnlib.inspect.snapshot import SCALAR_KEYS, ImageSnapshot, PlaygroundSnapshot, Status
from nnlib.models.presets import preset_spec
from nnlib.train.job import payload_builder
from nnlib.train.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]


def keys(td: type) -> set[str]:
    return set(typing.get_type_hints(td))


def build(cfg: RunConfig, open_ended: bool = False) -> dict:
    trainer = Trainer(cfg)
    trainer.run()
    return payload_builder(cfg, open_ended=open_ended)(trainer, True)


@pytest.mark.parametrize("open_ended", [False, True])
def test_playground_snapshots_fill_what_the_type_declares(open_ended):
    snap = build(RunConfig().replace(train={"epochs": 3}), open_ended)
    assert keys(Status) <= set(snap) <= keys(PlaygroundSnapshot)
    assert set(snap["history"]) <= {*SCALAR_KEYS, "weight_norm"}
    assert snap.get("until_paused", False) is open_ended


def test_image_snapshots_fill_what_the_type_declares():
    cfg = RunConfig().replace(
        data={"dataset": "digits", "n_samples": 300, "train_frac": 0.7, "val_frac": 0.15},
        model={"cnn": preset_spec("tiny", (1, 8, 8)), "activation": "relu", "initializer": "he_uniform"},
        train={"optimizer": "adam", "lr": 0.01, "epochs": 1, "batch_size": 64, "device": "cpu"})
    snap = build(cfg)
    assert keys(Status) <= set(snap) <= keys(ImageSnapshot)
    assert {"filters", "confusion", "per_class", "mistakes", "history"} <= set(snap)


READ = re.compile(r"""(?:\bsnap|\bsnapshot|\(view\.snapshot or \{\}\))(?:\.get\(|\[)["']([a-z_]+)["']""")


@pytest.mark.parametrize("path, td", [("ui/plots.py", PlaygroundSnapshot), ("ui/cnn_plots.py", ImageSnapshot),
                                      ("ui/run_controls.py", PlaygroundSnapshot),
                                      ("ui/status_line.py", PlaygroundSnapshot),
                                      ("ui/playground_views.py", PlaygroundSnapshot)])
def test_every_key_a_page_reads_is_declared(path, td):
    read = set(READ.findall((ROOT / path).read_text()))
    assert read, f"no snapshot reads found in {path}: the pattern is stale"
    assert read <= keys(td) | keys(ImageSnapshot) | keys(PlaygroundSnapshot), read - keys(td)
