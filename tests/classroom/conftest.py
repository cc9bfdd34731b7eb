"""The store fixtures (a SQLite file and a throwaway PostgreSQL) for the classroom tests too."""

from tests.store.conftest import db_url, engine, pg_cluster  # noqa: F401 - pytest fixtures by name
