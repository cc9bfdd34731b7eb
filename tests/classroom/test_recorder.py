"""The recorder stores ended runs from the server side (SQLite and PostgreSQL), and nothing twice."""

from __future__ import annotations

import numpy as np

from nnlib.classroom.recorder import RunRecorder, final_metrics
from nnlib.jobs.manager import JobView
from nnlib.store import classes, runs


def view(status: str, weights: dict | None = None, error: str | None = None) -> JobView:
    snap = {"epoch": 2, "history": {"val_loss": [0.6, 0.4], "val_accuracy": [0.7, None]}}
    return JobView("j", status, None, snap, 3, {"weights": weights} if weights else None, error, 1.0, 2.0, 3.0)


class FakeManager:
    """JobManager.find over a dict the test edits."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobView] = {}

    def find(self, job_id: str):
        return ("session", self.jobs[job_id]) if job_id in self.jobs else None


def test_ended_runs_are_stored_once_and_forgotten_ones_dropped(engine):
    klass = classes.create_class(engine, "c")
    m = FakeManager()
    packed = []
    rec = RunRecorder(engine, m.find, lambda cfg, snap, w: packed.append(cfg) or b"file:" + cfg.encode(),
                      start=False)
    weights = {"0.weight": np.zeros((4, 2), np.float32), "0.bias": np.zeros(4, np.float32),
               "bn.running_mean": np.zeros(4, np.float32)}
    m.jobs["a"] = view("running")
    rec.track("a", "student:1", klass.id, "playground", '{"x": 1}')
    rec.track("gone", "student:1", klass.id, "playground", '{"x": 2}')
    assert rec.poll_once() == 0  # still running; "gone" was forgotten by its page before it ended
    assert [t.job_id for t, _, _ in rec.tracked(klass.id)] == ["a"]
    m.jobs["a"] = view("stopped", weights)
    rec.record_now("a")
    assert rec.poll_once() == 0 and rec.tracked(klass.id) == []  # stored by record_now, not again
    (row,) = runs.owner_runs(engine, "student:1")
    assert (row.status, row.class_id, row.config) == ("stopped", klass.id, '{"x": 1}')
    assert row.metrics == {"epochs": 2, "val_loss": 0.4, "val_accuracy": 0.7, "params": 12}
    assert runs.load_run(engine, row.id, owner="student:1").weights == b'file:{"x": 1}'
    m.jobs["f"] = view("failed", error="boom")
    rec.track("f", "student:1", None, "cnn", "{}")
    assert rec.poll_once() == 1
    failed = runs.owner_runs(engine, "student:1", page="cnn")[0]
    assert failed.weights is None and failed.metrics["error"] == "boom"


def test_final_metrics_without_a_snapshot():
    assert final_metrics(None, None) == {"epochs": 0}
