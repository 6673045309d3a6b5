"""A throwaway PostgreSQL with pgvector on a loopback port, for tests, the benchmark and trying things out.

It runs the PostgreSQL 16 + pgvector binaries that the `pgserver` wheel bundles (a dev dependency), since
the machine's own PostgreSQL may lack pgvector. Production points NEWSDESK_DATABASE_URL at a real server.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from newsdesk.errors import StoreError


def _binaries() -> Path:
    spec = importlib.util.find_spec("pgserver")  # found, not imported: only its bundled binaries are used
    if spec is None or spec.origin is None:
        raise StoreError("the local PostgreSQL needs the pgserver wheel: pip install pgserver")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalPostgres:
    """A PostgreSQL server in a temporary folder, listening on 127.0.0.1:<free port>, trust auth."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = Path(folder or tempfile.mkdtemp(prefix="newsdesk-pg-"))
        self.port = _free_port()
        self._bin = _binaries()
        # PostgreSQL refuses to run as root: run it as the `postgres` user when there is one
        self._user = "postgres" if os.geteuid() == 0 else None

    def _usable_binaries(self) -> Path:
        """The binaries, copied where the `postgres` user can run them when their folder is private."""
        if not self._user:
            return self._bin
        check = ["runuser", "-u", self._user, "--", "test", "-x", str(self._bin / "postgres")]
        if subprocess.run(check, capture_output=True, check=False).returncode == 0:
            return self._bin
        shared = Path(tempfile.gettempdir()) / "newsdesk-pgserver"
        package = self._bin.parent.parent  # .../pgserver; its binaries find their libraries in ../pgserver.libs
        if not (shared / "pgserver" / "pginstall" / "bin" / "postgres").exists():
            for name in ("pgserver", "pgserver.libs"):
                shutil.copytree(package.parent / name, shared / name, dirs_exist_ok=True)
            for path in [shared, *shared.rglob("*")]:
                path.chmod(path.stat().st_mode | (0o055 if path.is_dir() else 0o044))
        return shared / "pgserver" / "pginstall" / "bin"

    def _run(self, *args: str) -> None:
        command = [str(self._bin / args[0]), *args[1:]]
        if self._user:
            command = ["runuser", "-u", self._user, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise StoreError(f"local PostgreSQL: {args[0]} failed: {(done.stderr or done.stdout).strip()[-300:]}")

    def start(self) -> LocalPostgres:
        """initdb (once) and start the server."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._bin = self._usable_binaries()
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        data = self.folder / "data"
        if not (data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "-N")
        options = f"-h 127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(data), "-w", "-l", str(self.folder / "log"), "-o", options, "start")
        return self

    def stop(self, remove: bool = True) -> None:
        """Stop the server (fast shutdown) and, by default, delete its folder."""
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-w", "-m", "fast", "stop")
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        """A connection URL for one database on this server."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create an empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{name}"'.encode())
        return self.url(name)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
