"""The retention rule that keeps the database bounded, enforced when the store opens and then every hour.

A run is deleted when it ended more than NNLIB_RUN_RETENTION_DAYS days ago (default 30), or when its owner has
more than NNLIB_RUNS_PER_OWNER newer runs (default 50). Runs the teacher shared with a class are kept either way
(they are few, and a class's reference must not vanish mid-course). Classes, presets, challenges and students
are kept until deleted.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import sqlalchemy as sa

from nnlib.store.schema import runs

DAY = 86400.0


@dataclass(frozen=True)
class RetentionRule:
    max_age_days: float = 30.0
    max_per_owner: int = 50

    @classmethod
    def from_env(cls) -> RetentionRule:
        return cls(float(os.environ.get("NNLIB_RUN_RETENTION_DAYS", 30)),
                   int(os.environ.get("NNLIB_RUNS_PER_OWNER", 50)))


def prune(engine: sa.Engine, rule: RetentionRule, now: float | None = None) -> int:
    """Delete the runs the rule no longer keeps; returns how many."""
    now = time.time() if now is None else now
    not_shared = runs.c.shared.is_(False)
    with engine.begin() as conn:
        deleted = conn.execute(sa.delete(runs).where(not_shared,
                                                     runs.c.finished_at < now - rule.max_age_days * DAY)).rowcount
        rank = sa.func.row_number().over(partition_by=runs.c.owner,
                                         order_by=(runs.c.finished_at.desc(), runs.c.id.desc())).label("rank")
        ranked = sa.select(runs.c.id, rank).where(not_shared).subquery()
        surplus = sa.select(ranked.c.id).where(ranked.c.rank > rule.max_per_owner)
        deleted += conn.execute(sa.delete(runs).where(runs.c.id.in_(surplus))).rowcount
    return deleted
