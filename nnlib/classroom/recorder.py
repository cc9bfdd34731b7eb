"""Stores every ended run of the Playground and CNN pages in the database, from the server side.

A page registers a job when it submits it (`track`); a background thread polls the job manager and stores the
run (config, history, final metrics, weights) once it has ended, whether or not its page is still open. A page
that is about to forget a job (Train again, Reset) calls `record_now` first, so a quick student loses nothing.
The recorder also answers the teacher's live table (the class's active jobs) and runs the retention rule.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from nnlib.store import retention, runs

log = logging.getLogger(__name__)
ACTIVE = frozenset({"queued", "running", "paused"})
Find = Callable[[str], "tuple[str, Any] | None"]  # JobManager.find: job id -> (session id, JobView) | None
Pack = Callable[[str, dict, dict], bytes]  # (config JSON, final snapshot, weights) -> a run file (safetensors)


@dataclass(frozen=True)
class Tracked:
    job_id: str
    owner: str
    class_id: int | None
    page: str
    config_json: str  # a group's: its first variant (what differs from the preset is the same knob in each)
    submitted_at: float
    variants: tuple[str, ...] = ()  # a group job's variant labels (Compare, a lab); () for a single run


def final_metrics(snapshot: dict[str, Any] | None, weights: dict[str, Any] | None) -> dict[str, Any]:
    """The numbers a run is judged by: last validation/test metrics, epochs trained, trainable parameters."""
    hist = (snapshot or {}).get("history") or {}
    out: dict[str, Any] = {"epochs": int((snapshot or {}).get("epoch") or 0)}
    for k in ("val_accuracy", "val_loss", "val_rmse", "test_accuracy", "test_loss", "train_loss"):
        last = [v for v in hist.get(k) or [] if v is not None]
        if last:
            out[k] = float(last[-1])
    if weights:
        out["params"] = int(sum(getattr(v, "size", 0) for k, v in weights.items()
                                if "running_" not in k and "num_batches" not in k))
    return out


def group_rows(view: Any) -> list[dict[str, Any]]:
    """Each variant of a group job (nnlib.compare.group snapshot) as the teacher's table shows it: label, status,
    epoch and its last validation metric."""
    out = []
    for run in (view.snapshot or {}).get("runs") or []:
        hist = run.get("history") or {}
        acc = [v for v in hist.get("val_accuracy") or [] if v is not None]
        loss = [v for v in hist.get("val_loss") or [] if v is not None]
        out.append({"label": str(run.get("label", "")), "status": run.get("status", ""),
                    "epoch": int(run.get("epoch") or 0), "val_accuracy": acc[-1] if acc else None,
                    "val_loss": loss[-1] if loss else None})
    return out


def live_row(view: Any) -> dict[str, Any]:
    """Status, epoch and validation metric of a job as the teacher's table shows it."""
    snap = view.snapshot or {}
    hist = snap.get("history") or {}
    acc = [v for v in hist.get("val_accuracy") or [] if v is not None]
    loss = [v for v in hist.get("val_loss") or [] if v is not None]
    return {"status": view.status, "epoch": int(snap.get("epoch") or 0),
            "val_accuracy": acc[-1] if acc else None, "val_loss": loss[-1] if loss else None,
            "queue_position": view.queue_position}


class RunRecorder:
    """Polls tracked jobs every `poll_s` seconds, stores the ended ones, prunes by the retention rule hourly."""

    def __init__(self, engine: sa.Engine, find: Find, pack: Pack, *, poll_s: float = 0.5,
                 rule: retention.RetentionRule | None = None, prune_every_s: float = 3600.0,
                 start: bool = True) -> None:
        self.engine, self._find, self._pack = engine, find, pack
        self.poll_s, self.rule, self.prune_every_s = poll_s, rule or retention.RetentionRule.from_env(), prune_every_s
        self._tracked: dict[str, Tracked] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._next_prune = 0.0
        self.stored = 0
        self._thread = threading.Thread(target=self._loop, name="nnlib-run-recorder", daemon=True)
        if start:
            self._thread.start()

    def track(self, job_id: str, owner: str, class_id: int | None, page: str, config_json: str,
              variants: tuple[str, ...] = ()) -> None:
        """Follow a job until it ends. A group job (`variants` named) is listed for the teacher but never stored:
        its runs keep no weights, and its curves are its page's; it is listed until the job manager forgets it."""
        with self._lock:
            self._tracked[job_id] = Tracked(job_id, owner, class_id, page, config_json, time.time(), tuple(variants))

    def tracked(self, class_id: int) -> list[tuple[Tracked, str, Any]]:
        """(run, session id, JobView) of the class's jobs the manager still holds and that are not stored yet."""
        with self._lock:
            mine = [t for t in self._tracked.values() if t.class_id == class_id]
        out = []
        for t in mine:
            found = self._find(t.job_id)
            if found is not None:
                out.append((t, found[0], found[1]))
        return out

    def record_now(self, job_id: str) -> None:
        """Store the job at once if it has ended (called before a page forgets it)."""
        with self._lock:
            t = self._tracked.get(job_id)
        if t is not None:
            self._check(t)

    def poll_once(self) -> int:
        """Store every tracked job that has ended; drop those the manager forgot. Returns how many were stored."""
        with self._lock:
            pending = list(self._tracked.values())
        return sum(self._check(t) for t in pending)

    def _check(self, t: Tracked) -> int:
        found = self._find(t.job_id)
        if found is None:  # forgotten before it ended (replaced while running): nothing to keep
            self._untrack(t.job_id)
            return 0
        view = found[1]
        if view.status in ACTIVE or t.variants:
            return 0
        weights = (view.result or {}).get("weights")
        snapshot = view.snapshot or {}
        try:
            blob = self._pack(t.config_json, snapshot, weights) if weights else None
            metrics = final_metrics(snapshot, weights)
            if isinstance(view.plan, dict):  # "until I pause" or not: a class-bounded run trained like Epochs = limit
                metrics["until_paused"] = bool(view.plan.get("until_paused"))
            if view.error:
                metrics["error"] = str(view.error)[:500]
            runs.save_run(self.engine, job_id=t.job_id, owner=t.owner, class_id=t.class_id, page=t.page,
                          status=view.status, config_json=t.config_json, history=snapshot.get("history") or {},
                          metrics=metrics, weights=blob, created_at=t.submitted_at,
                          finished_at=view.finished_at or time.time())
        except sa.exc.SQLAlchemyError:
            log.exception("could not store run %s; will retry", t.job_id)
            return 0
        self._untrack(t.job_id)
        self.stored += 1
        return 1

    def _untrack(self, job_id: str) -> None:
        with self._lock:
            self._tracked.pop(job_id, None)

    def prune(self) -> int:
        return retention.prune(self.engine, self.rule)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_s):
            try:
                self.poll_once()
                if time.monotonic() >= self._next_prune:
                    self._next_prune = time.monotonic() + self.prune_every_s
                    self.prune()
            except Exception:  # noqa: BLE001 - the recorder must outlive a database hiccup
                log.exception("run recorder tick failed")

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
