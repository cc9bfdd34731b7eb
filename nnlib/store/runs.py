"""Finished runs: config, history, final metrics and the weights (a safetensors file), per owner and class.

Listings never load the weights (a class table of 40 students stays cheap); `load_run` fetches one with them.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from nnlib.store.schema import runs

LIST_COLUMNS = [c for c in runs.c if c.name != "weights"]


@dataclass(frozen=True)
class RunRow:
    id: int
    job_id: str
    owner: str
    class_id: int | None
    page: str
    status: str
    config: str  # RunConfig JSON
    history: dict[str, list[Any]]
    metrics: dict[str, Any]
    shared: bool
    created_at: float
    finished_at: float
    weights: bytes | None = field(default=None, repr=False)


def _row(r: sa.Row) -> RunRow:
    m = dict(r._mapping)
    return RunRow(**{**m, "history": json.loads(m["history"]), "metrics": json.loads(m["metrics"]),
                     "shared": bool(m["shared"])})


def save_run(engine: sa.Engine, *, job_id: str, owner: str, class_id: int | None, page: str, status: str,
             config_json: str, history: dict[str, list[Any]], metrics: dict[str, Any], weights: bytes | None,
             created_at: float, finished_at: float | None = None) -> int:
    """Store one ended run; storing the same job twice keeps the first copy. Twice can be at once: the recorder's
    thread and a page's record_now both find no row and both insert; the loser's unique-key error then means
    "stored already" and it returns the winner's row (it was logged as a failure and retried)."""
    values = {"job_id": job_id, "owner": owner, "class_id": class_id, "page": page, "status": status,
              "config": config_json, "history": json.dumps(history, allow_nan=False),
              "metrics": json.dumps(metrics, allow_nan=False), "weights": weights, "shared": False,
              "created_at": created_at, "finished_at": finished_at or time.time()}
    by_job = sa.select(runs.c.id).where(runs.c.job_id == job_id)
    try:
        with engine.begin() as conn:
            existing = conn.execute(by_job).scalar()
            if existing is not None:
                return int(existing)
            return int(conn.execute(sa.insert(runs).values(**values).returning(runs.c.id)).scalar_one())
    except sa.exc.IntegrityError:
        with engine.connect() as conn:  # a new transaction: PostgreSQL's failed one sees nothing more
            existing = conn.execute(by_job).scalar()
        if existing is None:  # another constraint broke, not the race
            raise
        return int(existing)


def owner_runs(engine: sa.Engine, owner: str, page: str | None = None, limit: int = 50) -> list[RunRow]:
    """This owner's runs, newest first, without weights."""
    q = sa.select(*LIST_COLUMNS).where(runs.c.owner == owner)
    if page:
        q = q.where(runs.c.page == page)
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(runs.c.finished_at.desc(), runs.c.id.desc()).limit(limit)).all()
    return [_row(r) for r in rows]


def class_runs(engine: sa.Engine, class_id: int, shared_only: bool = False, limit: int = 2000) -> list[RunRow]:
    """A class's runs (or only those the teacher shared), newest first, without weights."""
    q = sa.select(*LIST_COLUMNS).where(runs.c.class_id == class_id)
    if shared_only:
        q = q.where(runs.c.shared.is_(True))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(runs.c.finished_at.desc(), runs.c.id.desc()).limit(limit)).all()
    return [_row(r) for r in rows]


def class_run_by_job(engine: sa.Engine, class_id: int, job_id: str) -> RunRow | None:
    """The stored run of a class's job (what the teacher's live view turns into once the job has ended), without
    weights; None if it is not stored yet or not this class's."""
    q = sa.select(*LIST_COLUMNS).where(runs.c.job_id == job_id, runs.c.class_id == class_id)
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return _row(row) if row else None


def load_run(engine: sa.Engine, run_id: int, *, owner: str | None = None, class_id: int | None = None,
             shared: bool = False) -> RunRow | None:
    """One run with its weights, if the caller may see it: its owner's, or (shared=True) shared in `class_id`."""
    q = sa.select(runs).where(runs.c.id == run_id)
    if shared:
        q = q.where(runs.c.class_id == class_id, runs.c.shared.is_(True))
    elif owner is not None:
        q = q.where(runs.c.owner == owner)
    elif class_id is not None:
        q = q.where(runs.c.class_id == class_id)
    else:
        raise ValueError("load_run needs an owner, a class, or shared=True with a class")
    with engine.connect() as conn:
        row = conn.execute(q).first()
    return _row(row) if row else None


def set_shared(engine: sa.Engine, run_id: int, class_id: int, shared: bool) -> bool:
    """Show a class's run to everyone (or stop); False if the run is not in that class."""
    with engine.begin() as conn:
        done = conn.execute(sa.update(runs).where(runs.c.id == run_id, runs.c.class_id == class_id)
                            .values(shared=shared)).rowcount
    return bool(done)
