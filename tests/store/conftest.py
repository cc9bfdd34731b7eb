"""Fixtures for tests against both databases: `db_url` is a fresh SQLite file, then a fresh PostgreSQL database
in a throwaway cluster (started once per test session; a failure to start it fails the tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.store.postgres import PostgresCluster, start_cluster


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = start_cluster()
    yield cluster
    from nnlib.store.db import close_all

    close_all()
    cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'classroom.sqlite3'}"
    return request.getfixturevalue("pg_cluster").new_database()


@pytest.fixture
def engine(db_url: str):
    from nnlib.store.db import open_engine

    return open_engine(db_url)
