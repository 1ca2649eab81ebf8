"""A throwaway PostgreSQL server for the database tests: initdb into a temporary
directory, start it on a free loopback port, stop and delete it at the end.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
`postgres` system user (present wherever Debian's package is installed).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER = "pglint"
DATABASE = "pglint"


class Unavailable(Exception):
    """No server can be started here; the message says why."""


@dataclass
class Server:
    port: int
    data: Path
    bin_dir: Path
    run_as: str | None

    @property
    def dsn(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def libpq(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={DATABASE}"

    def tagged(self, name: str) -> str:
        """A DSN whose connections show as ``name`` in pg_stat_activity."""
        return f"{self.dsn}?application_name={name}"

    def connections(self, name: str) -> int:
        """How many connections tagged ``name`` the server has open right now."""
        import psycopg

        with psycopg.connect(self.libpq) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
            ).fetchone()
        return row[0]

    def stop(self) -> None:
        _run(self, self.bin_dir / "pg_ctl", "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.data.parent, ignore_errors=True)


def start() -> Server:
    bin_dir = _bin_dir()
    run_as = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("running as root and there is no `postgres` user") from None
        run_as = "postgres"
    root = Path(tempfile.mkdtemp(prefix="pglint-pg-"))
    data = root / "data"
    if run_as:
        shutil.chown(root, user=run_as)
    server = Server(_free_port(), data, bin_dir, run_as)
    _run(server, bin_dir / "initdb", "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8",
         "--no-sync")  # fmt: skip
    options = f"-p {server.port} -c listen_addresses=127.0.0.1 -k {root} -c fsync=off"
    _run(server, bin_dir / "pg_ctl", "-D", str(data), "-o", options, "-w", "-l",
         str(root / "log"), "start")  # fmt: skip
    _run(server, bin_dir / "createdb", "-h", "127.0.0.1", "-p", str(server.port), "-U", USER,
         DATABASE)  # fmt: skip
    return server


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if candidates:
        return Path(candidates[-1]).parent
    raise Unavailable(
        "no PostgreSQL server binaries (pg_ctl, initdb) on PATH or in the usual places"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(server: Server, *command: object) -> None:
    args = [str(c) for c in command]
    if server.run_as:
        args = ["runuser", "-u", server.run_as, "--", *args]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise Unavailable(f"`{' '.join(args)}` failed: {result.stderr.strip() or result.stdout}")
