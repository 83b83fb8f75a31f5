"""A throw-away PostgreSQL server for the tests and benches: Debian's `postgresql` binaries,
a temporary data directory, a free port on 127.0.0.1, the unix socket in the same directory.

PostgreSQL refuses to run as root, so as root the data directory is given to the `postgres`
user and initdb / pg_ctl run as that user (`runuser -u postgres --`); as anyone else they
run as that user. fsync is off: the data is thrown away. One server per test session
(`tests/conftest.py: postgres_server`); each test gets its own schema (`postgres_url`).

    server = PostgresServer.start()
    url = server.url            # postgresql://postgres@127.0.0.1:PORT/postgres
    server.stop()
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL's server programs (initdb, pg_ctl) were not found. Install Debian's server: "
    "`sudo apt-get install -y postgresql` (they land in /usr/lib/postgresql/<version>/bin), "
    "or set PG_BINDIR to the folder holding initdb and pg_ctl."
)


class PostgresMissing(RuntimeError):
    pass


def find_bindir() -> Path:
    """PG_BINDIR, else the newest /usr/lib/postgresql/*/bin, else initdb on PATH."""
    candidates = [os.environ.get("PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))
    for folder in candidates:
        if folder and (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    raise PostgresMissing(INSTALL_HINT)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    root: Path
    port: int
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    @classmethod
    def start(cls, port: int | None = None) -> PostgresServer:
        bindir = find_bindir()
        as_postgres = os.geteuid() == 0
        # As root, the postgres user must reach the folder: /tmp, not a private TMPDIR.
        root = Path(tempfile.mkdtemp(prefix="shuangjian-pg-", dir="/tmp" if as_postgres else None))
        server = cls(bindir, root, port or free_port(), as_postgres)
        if as_postgres:
            shutil.chown(root, "postgres", "postgres")
        root.chmod(0o700)
        server._run("initdb", "-D", str(root / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        server._run("pg_ctl", "-D", str(root / "data"), "-o", options, "-l", str(root / "server.log"), "-w", "-t", "60", "start")
        return server

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bindir / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.root)
        if done.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-2000:] if (self.root / "server.log").exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()[-2000:]}\n{log}")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def kill_connections(self) -> None:
        """Terminate every other backend (as when the database restarts under the bot)."""
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'")

    def new_schema(self) -> str:
        """A fresh, empty schema; its URL (search_path set to it)."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {name}")  # a generated identifier, not data
        return f"{self.url}?options=-csearch_path%3D{name}"

    def drop_schema(self, url: str) -> None:
        import psycopg

        name = url.rsplit("%3D", 1)[1]
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def wait_until_accepting(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(url, connect_timeout=2):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
