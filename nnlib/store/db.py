"""Where the classroom database lives and how it is brought up to date: SQLite under $NNLIB_DATA_DIR by default,
PostgreSQL when NNLIB_DATABASE_URL is set; Alembic migrations run (through its API) every time one is opened."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_NAME = "classroom.sqlite3"


class StoreError(RuntimeError):
    """The database cannot be opened or migrated; the message says which database and why."""


def database_url() -> str:
    """NNLIB_DATABASE_URL (e.g. postgresql+psycopg://user:pw@127.0.0.1/nnlib), else a SQLite file in data/."""
    url = os.environ.get("NNLIB_DATABASE_URL", "").strip()
    if url:
        return url
    folder = Path(os.environ.get("NNLIB_DATA_DIR") or "data")
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(folder / SQLITE_NAME).resolve()}"


def _sqlite_pragmas(dbapi_conn: object, _record: object) -> None:
    """Foreign keys on (SQLite's default is off), and WAL so page reads do not wait for the recorder's writes."""
    cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str) -> sa.Engine:
    """An engine for `url`; SQLite gets foreign keys + WAL, PostgreSQL a pre-pinged pool (server restarts)."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def migrate(engine: sa.Engine) -> None:
    """Run every Alembic migration not yet applied (the `alembic_version` table says which)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


_engines: dict[str, sa.Engine] = {}
_lock = threading.Lock()


def open_engine(url: str | None = None) -> sa.Engine:
    """The process's engine for `url` (default: database_url()), created and migrated on first use."""
    url = url or database_url()
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = make_engine(url)
            try:
                migrate(engine)
            except Exception as e:  # noqa: BLE001 - say which database failed, without the password
                engine.dispose()
                shown = sa.engine.make_url(url).render_as_string(hide_password=True)
                raise StoreError(f"the classroom database {shown} cannot be opened: {e}") from e
            _engines[url] = engine
        return engine


def close_all() -> None:
    """Dispose every engine (tests that stop a database server)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
