"""A real PostgreSQL server for tests: Debian's `postgresql` package, a throwaway cluster on loopback.

`PostgresServer.start` runs initdb into a temporary folder and starts the server on a free port,
listening on 127.0.0.1 only (its socket in the same folder); as root both run as the `postgres` user,
who owns the folder. `stop` stops the server by its PID (fast shutdown) and waits for it to go.
`.ci/run` installs the package; without it the tests that need a server fail and say so.
"""

import contextlib
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

PG_ROOTS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _binaries() -> Path:
    for root in PG_ROOTS:
        if (root / "initdb").exists():
            return root
    raise RuntimeError("PostgreSQL's server binaries are missing: install Debian's `postgresql` package "
                       "(`.ci/run` does: apt-get install -y postgresql)")


class PostgresServer:
    """One throwaway cluster; `new_database()` hands each test a database of its own."""

    def __init__(self, folder: Path | None = None) -> None:
        # A folder of its own under the system temporary folder: the `postgres` user must reach it.
        self.folder = folder or Path(tempfile.mkdtemp(prefix="copilot-insight-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.bin = _binaries()
        self._names = itertools.count(1)
        self._as_postgres = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        command = [str(a) for a in argv]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr or done.stdout}")

    def start(self) -> "PostgresServer":
        self.folder.mkdir(mode=0o700, exist_ok=True)
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self._run(self.bin / "initdb", "-D", self.data, "--auth=trust", "-U", "postgres", "-E", "UTF8",
                  "--no-locale")
        self.resume()
        return self

    def resume(self) -> None:
        """Start the (initialised) server, waiting until it accepts connections."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(self.bin / "pg_ctl", "-D", self.data, "-w", "-t", "60", "-l", self.folder / "server.log",
                  "-o", options, "start")

    @property
    def pid(self) -> int | None:
        pid_file = self.data / "postmaster.pid"
        try:
            return int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self, timeout: float = 60.0) -> None:
        """Fast shutdown of the server this object started, by its PID."""
        pid = self.pid
        if pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise RuntimeError(f"PostgreSQL (PID {pid}) did not stop within {timeout} s")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def new_database(self) -> str:
        """Create an empty database; return its URL."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
