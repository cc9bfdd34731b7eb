"""A comparison as files: every run's config and history, as JSON (complete) and CSV (one row per run and epoch,
the config fields that differ as columns), so a student can plot it elsewhere or hand it in."""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Collection, Sequence
from typing import Any

from nnlib.compare.variants import blocks_text, config_diff, flat_fields

EXPORT_METRICS = ("train_loss", "val_loss", "test_loss", "train_accuracy", "val_accuracy", "test_accuracy",
                  "train_rmse", "val_rmse", "test_rmse", "lr")


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _differs(runs: Sequence[dict[str, Any]], hidden: Collection[str]) -> list[str]:
    """The fields that differ between the runs' configs, less `hidden` ones (a class preset's: never a column)."""
    return [k for k in config_diff([r["config"] for r in runs]) if k not in hidden]


def comparison_json(runs: Sequence[dict[str, Any]], hidden: Collection[str] = ()) -> str:
    """{"differs": [...], "runs": [{"label", "status", "config", "history"}]}: runs are dicts with those keys
    (config a RunConfig dict, history the snapshot's columns); NaN/inf become null so any JSON reader copes.
    `hidden` fields are never listed as differing (the caller leaves them out of the configs it may not show)."""
    out = {"differs": _differs(runs, hidden),
           "runs": [{"label": r.get("label", f"run {i}"), "status": r.get("status", ""), "config": r["config"],
                     "history": {k: [_clean(v) for v in col] for k, col in (r.get("history") or {}).items()}}
                    for i, r in enumerate(runs, start=1)]}
    return json.dumps(out, indent=1, allow_nan=False)


def comparison_csv(runs: Sequence[dict[str, Any]], hidden: Collection[str] = ()) -> str:
    """One row per (run, epoch): run label, the differing config fields (not `hidden` ones), epoch and the metrics
    any run has."""
    differs = _differs(runs, hidden)
    metrics = [m for m in EXPORT_METRICS if any((r.get("history") or {}).get(m) for r in runs)]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["run", *differs, "epoch", *metrics])
    for r in runs:
        hist = r.get("history") or {}
        flat = flat_fields(r["config"])
        fixed = [_text(flat.get(k)) for k in differs]
        epochs = hist.get("epoch") or []
        for i, ep in enumerate(epochs):
            row = [_text(_value(hist.get(m), i)) for m in metrics]
            w.writerow([r.get("label", ""), *fixed, int(ep), *row])
    return buf.getvalue()


def _value(col: list | None, i: int) -> Any:
    return col[i] if col is not None and i < len(col) else None


def _text(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        return blocks_text(v) if any(isinstance(x, dict) for x in v) else ",".join(map(str, v))
    return str(v)
