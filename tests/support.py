"""Plain helpers shared by the tests (fixtures are in tests/conftest.py): a free port, SQLite URLs, a
migrated database with the associations, token users, and the one real-server helper (ServerProcess)."""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.associations.service import load_associations
from coordinator.auth.models import User
from coordinator.auth.service import create_token, create_user
from coordinator.migrations import upgrade_engine
from coordinator.settings import get_settings

ROOT = Path(__file__).resolve().parent.parent
MakeUser = Callable[..., tuple[User, str]]
_logins = itertools.count(1)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"


def prepare_database(engine: Engine) -> None:
    """Migrate to head and load the associations, as `ouen serve` does."""
    upgrade_engine(engine)
    with Session(engine) as session:
        load_associations(session, data_dir=get_settings().data_dir)


def create_user_with_token(engine: Engine, role: str, association_id: str | None = None,
                           login: str | None = None) -> tuple[User, str]:
    """A new token-only user (no password) and the secret of a bearer token for it."""
    login = login or f"{role}-{association_id or 'none'}-{next(_logins)}".replace("_", "-")
    with Session(engine, expire_on_commit=False) as session:
        user = create_user(session, login=login, display_name=f"Test {login}", role=role,
                           association_id=association_id, password=None)
        _, secret = create_token(session, user_id=user.id or 0, name="test")
    return user, secret


APP = ["-m", "uvicorn", "coordinator.app:create_app", "--factory", "--host", "127.0.0.1", "--port", "{port}"]
OUEN_SERVE = ["-c", "import sys; sys.argv[0] = 'ouen'; from coordinator.cli import main; main()",
              "serve", "--port", "{port}"]


class ServerProcess:
    """The one real-server helper: a child process on a loopback port against `db_url`, by default
    `uvicorn coordinator.app:create_app` (`argv` runs another server, e.g. OUEN_SERVE; "{port}" is filled in).
    stdout and stderr go to log_path, or stdout to stdout_path when what the server prints matters."""

    def __init__(self, db_url: str, log_path: Path, *, env: dict[str, str] | None = None,
                 argv: list[str] | None = None, stdout_path: Path | None = None, log_level: str = "warning",
                 ready: Callable[[httpx.Response], bool] | None = None, ready_path: str = "/healthz") -> None:
        self.db_url = db_url
        self.log_path = log_path
        self.env = env or {}
        self.argv = argv or [*APP, "--log-level", log_level]
        self.stdout_path = stdout_path
        self.ready = ready or (lambda response: response.status_code == 200)
        self.ready_path = ready_path
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.base_url = ""

    def start(self, *, ready_within: float = 120.0, same_port: bool = False) -> str:
        """Start the server (on the port it had, with same_port) and wait until it is ready; the base URL."""
        if not (same_port and self.port):
            self.port = free_port()
        env = {**os.environ, **self.env, "OUEN_DATABASE_URL": self.db_url, "PYTHONUNBUFFERED": "1"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        argv = [sys.executable, *(part.replace("{port}", str(self.port)) for part in self.argv)]
        with self.log_path.open("ab") as log, (self.stdout_path or self.log_path).open("ab") as out:
            self.process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out,
                                            stderr=log if self.stdout_path else subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            try:
                if self.ready(httpx.get(f"{self.base_url}{self.ready_path}", timeout=2)):
                    return self.base_url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server not ready within {ready_within} s: {self.log()}")

    def restart(self) -> str:
        """Start the stopped server again on the same address (same origin for a browser)."""
        return self.start(same_port=True)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to flush or clean up."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM and wait; SIGKILL if it does not stop within 15 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        """What the server logged so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def printed(self) -> list[str]:
        """The lines the server printed on stdout so far (stdout_path)."""
        assert self.stdout_path is not None
        return self.stdout_path.read_text(errors="replace").splitlines() if self.stdout_path.exists() else []


def start_serve(db_url: str, folder: Path, name: str, env: dict[str, str] | None = None
                ) -> tuple[ServerProcess, list[str]]:
    """`ouen serve` started through the real-server helper (stderr into NAME.err, stdout into NAME.out),
    and the lines it printed before its `ouen: ready at <url>/` line."""
    server = ServerProcess(db_url, folder / f"{name}.err", env=env, argv=OUEN_SERVE,
                           stdout_path=folder / f"{name}.out")
    server.start(ready_within=90)
    deadline = time.monotonic() + 30  # healthz can answer a moment before the ready line is printed
    while time.monotonic() < deadline:
        lines = server.printed()
        ready = [i for i, line in enumerate(lines) if line.startswith(f"ouen: ready at {server.base_url}/")]
        if ready:
            return server, lines[:ready[0]]
        time.sleep(0.1)
    server.stop()
    raise AssertionError(f"no ready line: {server.printed()}")
