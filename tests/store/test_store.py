"""The classroom store on SQLite and on a real PostgreSQL: migrations, each repository, retention."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sqlalchemy as sa

from nnlib.store import challenges, classes, presets, retention, runs, students
from nnlib.store.db import database_url, open_engine
from nnlib.store.schema import metadata


def _run(engine, owner="student:1", class_id=None, job_id="j1", finished_at=1000.0, **kw):
    return runs.save_run(engine, job_id=job_id, owner=owner, class_id=class_id, page="playground",
                         status=kw.get("status", "finished"), config_json='{"train": {"lr": 0.1}}',
                         history={"val_loss": [0.5, 0.25]}, metrics={"val_accuracy": 0.9, "params": 17},
                         weights=kw.get("weights", b"\x00weights"), created_at=finished_at - 5,
                         finished_at=finished_at)


def test_migrations_create_the_schema_and_are_idempotent(db_url):
    engine = open_engine(db_url)
    inspector = sa.inspect(engine)
    assert set(metadata.tables) <= set(inspector.get_table_names())
    for name, table in metadata.tables.items():
        assert {c["name"] for c in inspector.get_columns(name)} == {c.name for c in table.c}, name
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar() == "0001"
    from nnlib.store.db import migrate

    migrate(engine)  # a second start changes nothing


def test_class_preset_challenge_student_round_trip(engine):
    c = classes.create_class(engine, "  Intro to NNs  ")
    assert c.name == "Intro to NNs" and len(c.code) == classes.CODE_LENGTH
    assert classes.by_code(engine, c.code.lower() + " ") == c
    assert classes.by_code(engine, "NOPE42") is None
    p = presets.save_preset(engine, c.id, "spiral", '{"data": {"dataset": "spiral"}}', ["train.lr", "train.lr"],
                            ["model.activation"])
    assert p.locked == ("train.lr",)
    assert presets.current_preset(engine, c.id) == p
    ch = challenges.add_challenge(engine, c.id, "95% with fewest parameters", "fewest_params", 0.95, None)
    assert challenges.class_challenges(engine, c.id) == [ch]
    ann = students.join(engine, c.id, "  Ann\x00  Lee ", "browser:a")
    assert ann.name == "Ann Lee"
    assert students.join(engine, c.id, "Ann Lee", "browser:a") == ann  # same browser, back again
    with pytest.raises(students.NameTaken, match="another browser"):
        students.join(engine, c.id, "Ann Lee", "browser:b")
    with pytest.raises(ValueError):
        students.join(engine, c.id, "   ", "browser:b")
    assert [s.name for s in students.class_students(engine, c.id)] == ["Ann Lee"]


def test_runs_listing_loading_sharing_and_owner_checks(engine):
    c = classes.create_class(engine, "c")
    rid = _run(engine, class_id=c.id)
    assert _run(engine, class_id=c.id) == rid  # the same job stored twice keeps one row
    listed = runs.owner_runs(engine, "student:1")
    assert [r.id for r in listed] == [rid] and listed[0].weights is None
    assert listed[0].history == {"val_loss": [0.5, 0.25]} and listed[0].metrics["params"] == 17
    assert runs.load_run(engine, rid, owner="student:1").weights == b"\x00weights"
    assert runs.load_run(engine, rid, owner="student:2") is None  # never someone else's run
    assert runs.load_run(engine, rid, class_id=c.id, shared=True) is None  # not shared yet
    assert runs.set_shared(engine, rid, c.id, True)
    assert not runs.set_shared(engine, rid, c.id + 1, True)  # not that class's run
    assert runs.load_run(engine, rid, class_id=c.id, shared=True).shared
    assert [r.id for r in runs.class_runs(engine, c.id, shared_only=True)] == [rid]
    with pytest.raises(ValueError):
        runs.load_run(engine, rid)


def test_retention_prunes_old_runs_and_the_surplus_per_owner_but_keeps_shared(engine):
    c = classes.create_class(engine, "c")
    now = 100 * retention.DAY
    old = _run(engine, job_id="old", finished_at=now - 40 * retention.DAY)
    old_shared = _run(engine, job_id="old-shared", class_id=c.id, finished_at=now - 40 * retention.DAY)
    runs.set_shared(engine, old_shared, c.id, True)
    recent = [_run(engine, job_id=f"r{i}", finished_at=now - i) for i in range(5)]
    other = _run(engine, owner="student:2", job_id="other", finished_at=now - 10)
    deleted = retention.prune(engine, retention.RetentionRule(max_age_days=30, max_per_owner=3), now=now)
    kept = {r.id for r in runs.owner_runs(engine, "student:1")} | {r.id for r in runs.owner_runs(engine,
                                                                                                  "student:2")}
    assert kept == {old_shared, *recent[:3], other}
    assert deleted == 3 and old not in kept


def test_default_database_is_a_sqlite_file_under_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("NNLIB_DATABASE_URL", raising=False)
    monkeypatch.setenv("NNLIB_DATA_DIR", str(tmp_path / "d"))
    url = database_url()
    assert url == f"sqlite:///{tmp_path / 'd' / 'classroom.sqlite3'}"
    open_engine(url)
    assert (tmp_path / "d" / "classroom.sqlite3").exists()
    monkeypatch.setenv("NNLIB_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"


def test_the_store_imports_neither_streamlit_nor_torch():
    code = ("import sys, nnlib.store.db, nnlib.store.runs, nnlib.store.retention, nnlib.store.classes, "
            "nnlib.store.presets, nnlib.store.students, nnlib.store.challenges;"
            "print(json.dumps(sorted(m for m in ('streamlit', 'torch') if m in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_saving_a_run_that_another_writer_just_stored_keeps_that_copy(engine):
    """The recorder's thread and a page's record_now can store the same ended job at once: both find no row, both
    insert, and the second used to fail with 'UNIQUE constraint failed: runs.job_id' (logged, retried). The loser
    now returns the winner's row. The race is forced: another connection stores the job just before our insert."""
    raced: list[int] = []

    def other_writer_first(conn, cursor, statement, parameters, context, executemany):
        if not raced and statement.lstrip().upper().startswith("INSERT INTO RUNS"):
            raced.append(0)
            raced[0] = _run(engine, job_id="j-race", owner="student:other")

    sa.event.listen(engine, "before_cursor_execute", other_writer_first)
    try:
        mine = _run(engine, job_id="j-race", owner="student:1")
    finally:
        sa.event.remove(engine, "before_cursor_execute", other_writer_first)
    assert raced and mine == raced[0]
    stored = runs.owner_runs(engine, "student:other")
    assert [r.id for r in stored] == [mine] and runs.owner_runs(engine, "student:1") == []
