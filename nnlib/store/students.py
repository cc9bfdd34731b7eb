"""Students: a display name within a class, bound to the browser that first chose it (no accounts)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from nnlib.store.schema import students

MAX_NAME = 40
RELEASED = ""  # the `person` of a name the teacher released: no browser's key is empty


class NameTaken(ValueError):
    """Another browser already uses this display name in the class."""


@dataclass(frozen=True)
class StudentRow:
    id: int
    class_id: int
    name: str
    person: str
    created_at: float


def clean_name(name: str) -> str:
    """A display name as stored: printable, single spaces, at most MAX_NAME characters."""
    return " ".join("".join(ch for ch in str(name) if ch.isprintable()).split())[:MAX_NAME]


def join(engine: sa.Engine, class_id: int, name: str, person: str) -> StudentRow:
    """The student `name` of the class: created on first use; the same browser (person) gets it back after a
    reload or a server restart; another browser asking for a taken name gets NameTaken."""
    name = clean_name(name)
    if not name:
        raise ValueError("pick a display name first")
    for _ in range(2):  # a concurrent first join of the same name: the loser reads the winner's row
        with engine.connect() as conn:
            row = conn.execute(sa.select(students).where(students.c.class_id == class_id,
                                                         students.c.name == name)).first()
        if row is not None:
            student = StudentRow(**row._mapping)
            if student.person == RELEASED and _claim(engine, student.id, person):
                return StudentRow(student.id, class_id, name, person, student.created_at)
            if student.person != person:
                raise NameTaken(f"the name {name!r} is already used in this class by another browser; pick "
                                "another one (or, if it is yours, ask your teacher to hand it to this browser)")
            return student
        try:
            now = time.time()
            with engine.begin() as conn:
                new_id = conn.execute(sa.insert(students).values(class_id=class_id, name=name, person=person,
                                                                 created_at=now).returning(students.c.id)
                                      ).scalar_one()
            return StudentRow(new_id, class_id, name, person, now)
        except sa.exc.IntegrityError:
            continue
    raise NameTaken(f"the name {name!r} was just taken; pick another one")


def _claim(engine: sa.Engine, student_id: int, person: str) -> bool:
    """Bind a released name to `person`; False if another browser claimed it first."""
    with engine.begin() as conn:
        return bool(conn.execute(sa.update(students).where(students.c.id == student_id,
                                                           students.c.person == RELEASED)
                                 .values(person=person)).rowcount)


def release(engine: sa.Engine, class_id: int, student_id: int) -> bool:
    """Let the next browser that joins with this name take it, runs included (the teacher's answer to a student on
    a new laptop: the name is bound to a browser, and only the teacher, who sees the student, may hand it over).
    False if the student is not in that class."""
    with engine.begin() as conn:
        return bool(conn.execute(sa.update(students).where(students.c.id == student_id,
                                                           students.c.class_id == class_id)
                                 .values(person=RELEASED)).rowcount)


def holder(engine: sa.Engine, student_id: int) -> str | None:
    """The browser (person key) that holds this name now: RELEASED once the teacher handed it over and before the
    next browser took it; None if there is no such student."""
    with engine.connect() as conn:
        return conn.execute(sa.select(students.c.person).where(students.c.id == student_id)).scalar_one_or_none()


def class_students(engine: sa.Engine, class_id: int) -> list[StudentRow]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(students).where(students.c.class_id == class_id)
                            .order_by(students.c.name)).all()
    return [StudentRow(**r._mapping) for r in rows]
