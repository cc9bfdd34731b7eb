"""The store fixtures (a SQLite file and a throwaway PostgreSQL) for the classroom tests too, and `class_db`: the
app's classroom services on a fresh SQLite file with a teacher password set."""

import pytest

from tests.store.conftest import db_url, engine, pg_cluster  # noqa: F401 - pytest fixtures by name
from ui import classroom as CR


@pytest.fixture
def class_db(tmp_path, monkeypatch):
    monkeypatch.setenv("NNLIB_DATABASE_URL", f"sqlite:///{tmp_path / 'c.sqlite3'}")
    monkeypatch.setenv("NNLIB_TEACHER_PASSWORD", "let me in")
    CR.close_classroom()
    yield CR.engine()
    CR.close_classroom()
