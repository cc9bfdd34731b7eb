"""A throwaway PostgreSQL cluster for the store tests: initdb + pg_ctl in a temp dir, as the postgres user, on
loopback and a free port. Never skipped: if it cannot start, the tests fail saying how to install PostgreSQL."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

INSTALL_HINT = ("PostgreSQL is needed for the store tests (they never skip): install Debian's package with "
                "'apt-get install -y postgresql' (make test does this), or set NNLIB_PG_BIN to a folder holding "
                "initdb and pg_ctl")


def pg_bin() -> Path:
    """The folder of initdb/pg_ctl: $NNLIB_PG_BIN, else Debian's newest /usr/lib/postgresql/N/bin."""
    if os.environ.get("NNLIB_PG_BIN"):
        return Path(os.environ["NNLIB_PG_BIN"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if not found:
        raise RuntimeError(INSTALL_HINT + " (no /usr/lib/postgresql/*/bin/initdb found)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """initdb'd data directory + a running postgres on 127.0.0.1:port; `stop()` removes everything."""

    def __init__(self) -> None:
        self.bin = pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="nnlib-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0  # postgres refuses to run as root
        if self._as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o700)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-instructions")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off", "start")

    def _run(self, tool: str, *args: str) -> None:
        cmd = [str(self.bin / tool), *args]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode:
            log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr[-800:]} {log[-800:]}\n"
                               + INSTALL_HINT)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh empty database (each test gets its own) and its URL."""
        import sqlalchemy as sa

        name = "t_" + uuid.uuid4().hex[:12]
        engine = sa.create_engine(self.url(), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> PostgresCluster:
    try:
        return PostgresCluster()
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"{e}\n{INSTALL_HINT}") from e
