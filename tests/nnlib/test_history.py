"""One history store: what an epoch logged reaches the record, the columns, the live snapshot, the page's CSV
download and the CLI's files alike, including metrics added after the epoch ended (an image run's test split)."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest

from nnlib.config import RunConfig
from nnlib.models.presets import preset_spec
from nnlib.train.callbacks import History, columns_csv
from nnlib.train.job import payload_builder
from nnlib.train.trainer import Trainer


def digits_cfg(epochs: int = 2) -> RunConfig:
    return RunConfig().replace(
        data={"dataset": "digits", "train_frac": 0.7, "val_frac": 0.15},
        model={"cnn": preset_spec("tiny", (1, 8, 8)), "activation": "relu", "initializer": "he_uniform"},
        train={"optimizer": "adam", "lr": 0.01, "epochs": epochs, "batch_size": 64, "device": "cpu"})


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def image_run() -> tuple[Trainer, dict]:
    trainer = Trainer(digits_cfg())
    trainer.run()
    return trainer, payload_builder(digits_cfg())(trainer, True)  # the final snapshot, as run_training builds it


def test_image_run_final_snapshot_carries_the_test_metrics(image_run):
    trainer, snap = image_run
    last = trainer.history.records[-1]
    assert 0.0 <= last["test_accuracy"] <= 1.0 and last["test_loss"] > 0
    hist = snap["history"]
    assert hist["test_accuracy"][-1] == pytest.approx(last["test_accuracy"])
    assert hist["test_loss"][-1] == pytest.approx(last["test_loss"])
    assert hist["test_accuracy"][:-1] == [None]  # measured once, at the end (epochs 1..n-1 have none)
    assert {len(v) for v in hist.values()} == {2}


def test_page_history_csv_carries_the_test_metrics(image_run):
    from ui.playground_views import history_csv

    trainer, snap = image_run
    rows = csv_rows(history_csv(snap).decode())
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert rows[0]["test_accuracy"] == "" and rows[0]["test_loss"] == ""
    assert float(rows[-1]["test_accuracy"]) == pytest.approx(trainer.history.records[-1]["test_accuracy"], 1e-5)
    assert float(rows[-1]["test_loss"]) == pytest.approx(trainer.history.records[-1]["test_loss"], 1e-5)


def test_cli_history_files_carry_the_test_metrics(tmp_path):
    from nnlib.cli import main

    config = tmp_path / "digits.json"
    config.write_text(digits_cfg().to_json())
    out = tmp_path / "run"
    assert main(["train", "--config", str(config), "--out", str(out), "--quiet", "--threads", "1"]) == 0
    records = json.loads((out / "history.json").read_text())
    assert len(records) == 2 and "test_accuracy" not in records[0]
    assert 0.0 <= records[-1]["test_accuracy"] <= 1.0 and records[-1]["test_loss"] > 0
    rows = csv_rows((out / "history.csv").read_text())
    assert float(rows[-1]["test_accuracy"]) == pytest.approx(records[-1]["test_accuracy"], 1e-5)
    assert float(rows[-1]["test_loss"]) == pytest.approx(records[-1]["test_loss"], 1e-5)


def test_weight_norm_column_has_one_entry_per_epoch_matching_the_records():
    trainer = Trainer(RunConfig().replace(train={"epochs": 4}))
    trainer.run()
    h = trainer.history
    assert {len(col) for col in h.columns.values()} == {4}
    expected = [math.sqrt(sum(w * w for w in r["weight_norms"])) for r in h.records]
    assert h.columns["weight_norm"] == pytest.approx(expected)


def test_update_last_changes_record_and_columns_together():
    h = History()
    h.append({"epoch": 1, "val_loss": 0.5})
    h.append({"epoch": 2, "val_loss": 0.4, "fast_path": True})
    h.update_last({"val_loss": 0.3, "test_accuracy": 0.9, "test_loss": float("nan")})
    assert h.records[-1] == {"epoch": 2, "val_loss": 0.3, "fast_path": True, "test_accuracy": 0.9,
                             "test_loss": h.records[-1]["test_loss"]}
    assert h.columns == {"epoch": [1.0, 2.0], "val_loss": [0.5, 0.3], "test_accuracy": [None, 0.9],
                         "test_loss": [None, None]}
    h.append({"epoch": 3})
    assert h.column("test_accuracy") == [None, 0.9, None] and h.column("val_loss") == [0.5, 0.3, None]
    with pytest.raises(ValueError, match="history is empty"):
        History().update_last({"test_loss": 1.0})


def test_columns_csv_puts_epoch_first_and_leaves_missing_values_empty():
    text = columns_csv({"train_accuracy": [0.5, None], "epoch": [1.0, 2.0], "lr": [0.1, 0.05]})
    assert text == "epoch,train_accuracy,lr\n1,0.5,0.1\n2,,0.05\n"
