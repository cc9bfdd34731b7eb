"""The comparison export: JSON has every run's config and history; CSV one row per run and epoch."""

from __future__ import annotations

import csv
import io
import json
import math

from nnlib.compare import comparison_csv, comparison_json, variants
from nnlib.config import RunConfig

CFGS = variants(RunConfig(), "lr", [0.01, 0.1])
RUNS = [{"label": "lr = 0.01", "status": "finished", "config": CFGS[0].to_dict(),
         "history": {"epoch": [1, 2], "train_loss": [0.9, 0.5], "val_loss": [1.0, math.nan]}},
        {"label": "lr = 0.1", "status": "running", "config": CFGS[1].to_dict(),
         "history": {"epoch": [1], "train_loss": [0.4], "val_loss": [0.6], "val_accuracy": [0.75]}}]


def test_json_round_trips_configs_and_histories() -> None:
    out = json.loads(comparison_json(RUNS))
    assert out["differs"] == ["train.lr"]
    assert [r["label"] for r in out["runs"]] == ["lr = 0.01", "lr = 0.1"]
    assert RunConfig.from_dict(out["runs"][1]["config"]) == CFGS[1]
    assert out["runs"][0]["history"]["val_loss"] == [1.0, None]  # NaN is not JSON


def test_csv_has_one_row_per_run_and_epoch() -> None:
    rows = list(csv.DictReader(io.StringIO(comparison_csv(RUNS))))
    assert [(r["run"], r["epoch"]) for r in rows] == [("lr = 0.01", "1"), ("lr = 0.01", "2"), ("lr = 0.1", "1")]
    assert rows[0]["train.lr"] == "0.01" and rows[2]["train.lr"] == "0.1"
    assert rows[1]["val_loss"] == "" and rows[2]["val_accuracy"] == "0.75" and rows[0]["val_accuracy"] == ""
    assert "test_rmse" not in rows[0]  # metrics no run has are left out
