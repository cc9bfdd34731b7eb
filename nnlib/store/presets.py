"""Class presets: the RunConfig a class starts from and which of its fields students may not change or see."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import sqlalchemy as sa

from nnlib.store.schema import presets


@dataclass(frozen=True)
class PresetRow:
    id: int
    class_id: int
    name: str
    config: str  # RunConfig JSON
    locked: tuple[str, ...]  # "section.field"
    hidden: tuple[str, ...]
    created_at: float


def _row(r: sa.Row) -> PresetRow:
    m = dict(r._mapping)
    return PresetRow(**{**m, "locked": tuple(json.loads(m["locked"])), "hidden": tuple(json.loads(m["hidden"]))})


def save_preset(engine: sa.Engine, class_id: int, name: str, config_json: str, locked: list[str],
                hidden: list[str]) -> PresetRow:
    """Store a new preset for the class (the newest one is the class's current preset)."""
    now = time.time()
    values = {"class_id": class_id, "name": name.strip()[:120] or "Preset", "config": config_json,
              "locked": json.dumps(sorted(set(locked))), "hidden": json.dumps(sorted(set(hidden))), "created_at": now}
    with engine.begin() as conn:
        new_id = conn.execute(sa.insert(presets).values(**values).returning(presets.c.id)).scalar_one()
    return PresetRow(new_id, class_id, values["name"], config_json, tuple(sorted(set(locked))),
                     tuple(sorted(set(hidden))), now)


def current_preset(engine: sa.Engine, class_id: int) -> PresetRow | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(presets).where(presets.c.class_id == class_id)
                           .order_by(presets.c.id.desc()).limit(1)).first()
    return _row(row) if row else None
