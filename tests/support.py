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


class ServerProcess:
    """`uvicorn coordinator.app:create_app` in a child process on a loopback port, against `db_url`."""

    def __init__(self, db_url: str, log_path: Path, *, env: dict[str, str] | None = None) -> None:
        self.db_url = db_url
        self.log_path = log_path
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self, *, ready_within: float = 60.0) -> str:
        """Start the server and wait until /healthz answers; returns the base URL."""
        port = free_port()
        env = {**os.environ, **self.env, "OUEN_DATABASE_URL": self.db_url}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "coordinator.app:create_app", "--factory",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}: {self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return self.base_url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"server not ready within {ready_within} s: {self.log()}")

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
        """What the server printed so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

