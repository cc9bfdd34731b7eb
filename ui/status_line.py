"""The numbers of a run's status line, apart from the plots: the page's run bar and the live route both read them, so
what a student sees while training and after it ended is one computation."""

from __future__ import annotations

from typing import Any

from nnlib.inspect.snapshot import AnySnapshot


def status_text(snap: AnySnapshot | None, status: str, queue_position: int | None = None,
                plan: dict[str, Any] | None = None) -> dict[str, Any]:
    """The numbers of the status line (epoch, elapsed, last metrics), shared by the page and the live route. `plan`
    is the job's announced plan (nnlib.validation.run_plan): before the first snapshot (a CNN's worker loads torch
    and the data for ~2 s) the line reads "Epoch 0 / 40", not "Epoch 0 / 0", and says what it prepares (`stage`)."""
    snap = snap or {}
    plan = plan or {}
    hist = snap.get("history") or {}
    last = {k: v[-1] for k, v in hist.items() if v}
    return {"status": status, "stage": stage(snap, status, plan), "epoch": snap.get("epoch", 0),
            "epochs": snap.get("epochs") or plan.get("epochs", 0),
            "until_paused": bool(snap.get("until_paused") or plan.get("until_paused")),
            "elapsed": round(float(snap.get("elapsed", 0.0)), 3), "reason": snap.get("reason", ""),
            "queue": queue_position, "device": snap.get("device", ""), "fast": snap.get("fast_path", False),
            "train_loss": last.get("train_loss"), "val_loss": last.get("val_loss"),
            "val_accuracy": last.get("val_accuracy"), "val_rmse": last.get("val_rmse"),
            "zero_weights": int(last["zero_weights"]) if last.get("zero_weights") else 0,  # L1's exact zeros
            "best_epoch": snap.get("best_epoch")}


def stage(snap: AnySnapshot, status: str, plan: dict[str, Any]) -> str:
    """What a running job does before its first epoch ends, in words ("" after it): the worker prepares (imports,
    data, the network) until its first snapshot, then trains epoch 1 -- a CNN's first epoch takes a second or more.
    The status line says it in place of "0 ms of training", which read as a run that was stuck."""
    if status != "running" or snap.get("epoch") or snap.get("final"):
        return ""
    return "Training epoch 1…" if snap else plan.get("preparing") or "Preparing the run…"
