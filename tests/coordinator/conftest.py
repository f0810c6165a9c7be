"""Shared coordinator fixtures: a fresh migrated database per test (SQLite file, and PostgreSQL schema when
OUEN_TEST_POSTGRES_URL is set), the app and a client on it, users with bearer tokens, and real servers.

Fixture names other test modules rely on: db_url, engine, app, client, make_user, auth, live_db_url,
live_server, live_make_user, server_factory. Plain helpers: ServerProcess, free_port, prepare_database,
create_user_with_token.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from coordinator.app import create_app
from coordinator.associations.service import load_associations
from coordinator.auth.models import User
from coordinator.auth.service import create_token, create_user
from coordinator.db import make_engine
from coordinator.migrations import upgrade_engine
from coordinator.settings import Settings, get_settings
from tests.conftest import ROOT

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


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file with associations, copied for each test (migrating each time is slower)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(sqlite_url(path))
    prepare_database(engine)
    engine.dispose()  # closing the last connection checkpoints the WAL into the main file
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture(scope="session")
def _postgres_admin(postgres_url: str) -> Iterator[Engine]:
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> Iterator[str]:
    """URL of a fresh database for this test: a SQLite file, or a PostgreSQL schema of its own.

    The SQLite file is already migrated (a copy of the session's template); the PostgreSQL schema is
    empty until the `engine` fixture migrates it.
    """
    if request.param == "sqlite":
        path = tmp_path / "ouen.sqlite3"
        shutil.copyfile(_sqlite_template, path)
        yield sqlite_url(path)
        return
    admin: Engine = request.getfixturevalue("_postgres_admin")
    schema = f"test_{uuid.uuid4().hex[:16]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(request.getfixturevalue("postgres_url")).update_query_dict(
        {"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as connection:
        # A connection some test leaked would block the drop for ever; give up after a while instead.
        connection.execute(text("SET LOCAL lock_timeout = '20s'"))
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database, migrated to head (upgrade_engine) with the associations loaded."""
    engine = make_engine(db_url)
    prepare_database(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def app(db_url: str, engine: Engine) -> FastAPI:
    """The application on the test's database."""
    return create_app(Settings(database_url=db_url), engine=engine)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client on the app (runs its lifespan)."""
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def make_user(engine: Engine) -> MakeUser:
    """make_user(role, association_id=None, login=None) -> (User, bearer token secret)."""

    def _make(role: str, association_id: str | None = None, login: str | None = None) -> tuple[User, str]:
        return create_user_with_token(engine, role, association_id, login)

    return _make


@pytest.fixture
def auth() -> Callable[[str], dict[str, str]]:
    """auth(token) -> the Authorization header for a bearer token."""

    def _headers(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    return _headers


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


@pytest.fixture
def live_db_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A migrated SQLite file database (with associations) for real servers."""
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(_sqlite_template, path)
    return sqlite_url(path)


@pytest.fixture
def server_factory(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """server_factory(db_url, env=None) -> a started ServerProcess; every one is stopped afterwards."""
    servers: list[ServerProcess] = []

    def _start(db_url: str, env: dict[str, str] | None = None) -> ServerProcess:
        server = ServerProcess(db_url, tmp_path / f"server-{len(servers)}.log", env=env)
        servers.append(server)
        server.start()
        return server

    yield _start
    for server in servers:
        server.stop()


@pytest.fixture
def live_server(live_db_url: str, server_factory: Callable[..., ServerProcess]) -> str:
    """Base URL (http://127.0.0.1:PORT) of a real uvicorn server on live_db_url."""
    return server_factory(live_db_url).base_url


@pytest.fixture
def live_make_user(live_db_url: str) -> Iterator[MakeUser]:
    """make_user for the live server's database: (role, association_id=None, login=None) -> (User, token)."""
    engine = make_engine(live_db_url)

    def _make(role: str, association_id: str | None = None, login: str | None = None) -> tuple[User, str]:
        return create_user_with_token(engine, role, association_id, login)

    yield _make
    engine.dispose()
