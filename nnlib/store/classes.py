"""Classes: a name and a short join code students type or open as `/?class=CODE`."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from nnlib.store.schema import classes

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or from a projector
CODE_LENGTH = 6


@dataclass(frozen=True)
class ClassRow:
    id: int
    code: str
    name: str
    created_at: float


def normalize_code(code: str) -> str:
    """What a student typed, as stored: upper case, no spaces."""
    return "".join(str(code).split()).upper()[:16]


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def create_class(engine: sa.Engine, name: str) -> ClassRow:
    """A new class with a fresh join code (retried on the rare collision)."""
    name = name.strip()[:120]
    if not name:
        raise ValueError("a class needs a name")
    for _ in range(20):
        code, now = new_code(), time.time()
        try:
            with engine.begin() as conn:
                new_id = conn.execute(sa.insert(classes).values(code=code, name=name, created_at=now)
                                      .returning(classes.c.id)).scalar_one()
            return ClassRow(new_id, code, name, now)
        except sa.exc.IntegrityError:
            continue
    raise RuntimeError("could not find a free class code")


def by_code(engine: sa.Engine, code: str) -> ClassRow | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(classes).where(classes.c.code == normalize_code(code))).first()
    return ClassRow(**row._mapping) if row else None


def by_id(engine: sa.Engine, class_id: int) -> ClassRow | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(classes).where(classes.c.id == class_id)).first()
    return ClassRow(**row._mapping) if row else None


def all_classes(engine: sa.Engine) -> list[ClassRow]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(classes).order_by(classes.c.created_at.desc())).all()
    return [ClassRow(**r._mapping) for r in rows]
