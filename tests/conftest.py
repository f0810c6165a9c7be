"""Shared fixtures. PostgreSQL and browser tests skip locally when absent, and fail in CI
(OUEN_TEST_REQUIRE=postgres,browser,sources,node,packaging,shared) so that CI can never pass by skipping them."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from coordinator.app import create_app
from coordinator.auth.models import User
from coordinator.db import make_engine
from coordinator.settings import Settings
from tests.support import MakeUser, ServerProcess, create_user_with_token, prepare_database, sqlite_url

ROOT = Path(__file__).resolve().parent.parent
REQUIRED = {part.strip() for part in os.environ.get("OUEN_TEST_REQUIRE", "").split(",") if part.strip()}


def need(resource: str, reason: str) -> None:
    """Skip for a missing optional resource, or fail when CI requires it."""
    if resource in REQUIRED:
        pytest.fail(f"{resource} is required here (OUEN_TEST_REQUIRE) but unavailable: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of a real PostgreSQL server for tests (OUEN_TEST_POSTGRES_URL)."""
    url = os.environ.get("OUEN_TEST_POSTGRES_URL")
    if not url:
        need("postgres", "OUEN_TEST_POSTGRES_URL is not set")
    return url  # type: ignore[return-value]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium for browser tests (OUEN_TEST_CHROMIUM or /usr/bin/chromium)."""
    path = os.environ.get("OUEN_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        need("browser", f"no Chromium at {path}")
    return path


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
