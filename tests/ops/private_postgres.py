"""A private PostgreSQL server for fault tests: initdb into a scratch directory, its own port, trust auth
on loopback. Stopping and restarting it disturbs nobody else's databases."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.conftest import need
from tests.support import free_port


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


class PrivatePostgres:
    """initdb + pg_ctl on a free loopback port, run as the `postgres` user when we are root."""

    def __init__(self) -> None:
        bin_dir = postgres_bin()
        if bin_dir is None:
            need("postgres", "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb)")
        self.bin = bin_dir
        self.port = free_port()
        # Not under pytest's tmp_path: its 0700 parents would keep the postgres user out.
        self.home = Path(tempfile.mkdtemp(prefix="ouen-pg-"))
        self.data = self.home / "data"
        self.log = self.home / "server.log"
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        self._as_owner(["initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                        "--no-sync"])

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, command: list[str]) -> None:
        program = [str(self.bin / command[0]), *command[1:]]
        if os.geteuid() == 0:
            program = ["runuser", "-u", "postgres", "--", *program]
        subprocess.run(program, check=True, capture_output=True, cwd=self.home, timeout=120)

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.home} -c listen_addresses=127.0.0.1 -c fsync=on"
        self._as_owner(["pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60",
                        "start"])

    def stop(self, mode: str = "fast") -> None:
        """Stop it: fast (clean) or immediate (like a crash; recovery replays the WAL on start)."""
        self._as_owner(["pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop"])

    def destroy(self) -> None:
        """Stop it if running and delete its files."""
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("immediate")
        shutil.rmtree(self.home, ignore_errors=True)
