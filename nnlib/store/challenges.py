"""Challenges a teacher sets for a class (what is measured is in nnlib.classroom.challenges)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from nnlib.store.schema import challenges


@dataclass(frozen=True)
class ChallengeRow:
    id: int
    class_id: int
    title: str
    kind: str
    threshold: float | None
    max_epochs: int | None
    created_at: float


def add_challenge(engine: sa.Engine, class_id: int, title: str, kind: str, threshold: float | None,
                  max_epochs: int | None) -> ChallengeRow:
    now = time.time()
    values = {"class_id": class_id, "title": title.strip()[:200], "kind": kind, "threshold": threshold,
              "max_epochs": max_epochs, "created_at": now}
    with engine.begin() as conn:
        new_id = conn.execute(sa.insert(challenges).values(**values).returning(challenges.c.id)).scalar_one()
    return ChallengeRow(new_id, **values)


def class_challenges(engine: sa.Engine, class_id: int) -> list[ChallengeRow]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(challenges).where(challenges.c.class_id == class_id)
                            .order_by(challenges.c.id.desc())).all()
    return [ChallengeRow(**r._mapping) for r in rows]
