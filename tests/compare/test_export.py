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


def test_a_hidden_field_is_never_a_differing_column() -> None:
    """A class member's Playground config has the hidden activation removed, a CNN run keeps its own: the export
    must not list (or add a column for) the field the class preset hides."""
    shown = [dict(r, config={**r["config"], "model": {k: v for k, v in r["config"]["model"].items()
                                                      if k != "activation"}}) if i == 0 else r
             for i, r in enumerate(RUNS)]
    assert "model.activation" in json.loads(comparison_json(shown))["differs"]  # without `hidden`: flagged
    assert json.loads(comparison_json(shown, {"model.activation"}))["differs"] == ["train.lr"]
    header = comparison_csv(shown, {"model.activation"}).splitlines()[0]
    assert "model.activation" not in header and "train.lr" in header
