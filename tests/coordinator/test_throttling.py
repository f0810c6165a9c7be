"""Sign-in throttling that neither leaks nor locks out (issue 12 item 5): back-off per client address, for
one login and across logins (spraying); five wrong passwords from one address never lock the secretariat
out for everyone; X-Forwarded-For is believed only from OUEN_TRUSTED_PROXIES, in the app and in
`ouen serve` (uvicorn's own proxy handling off). SQLite and PostgreSQL; one real `ouen serve`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.app import create_app
from coordinator.auth.addresses import client_address
from coordinator.auth.service import create_user
from coordinator.settings import Settings
from tests.coordinator.disasters_support import assert_error
from tests.support import sqlite_url, start_serve

PASSWORD = "the secretariat's password"


def client_for(db_url: str, engine: Engine, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(database_url=db_url, **settings), engine=engine))


@pytest.fixture
def secretariat(engine: Engine) -> str:
    with Session(engine) as session:
        create_user(session, login="secretariat", display_name="事務局", role="secretariat", association_id="clair",
                    password=PASSWORD)
    return "secretariat"


def login(client: TestClient, user: str, password: str, address: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/api/v1/auth/login", json={"login": user, "password": password}, headers=headers)


def audited_addresses(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT DISTINCT client_ip FROM login_attempt"))}


def test_five_wrong_passwords_from_one_address_do_not_lock_the_secretariat_out(
        db_url: str, engine: Engine, secretariat: str) -> None:
    with client_for(db_url, engine, trusted_proxies=["testclient"]) as client:
        for _ in range(5):
            assert_error(login(client, secretariat, "guess guess", "203.0.113.9"), 401, "password")
        held = login(client, secretariat, PASSWORD, "203.0.113.9")
        assert_error(held, 429, "login")
        assert 0 < int(held.headers["Retry-After"]) <= 300
        # The secretariat's own office, another address: signs in at once.
        assert login(client, secretariat, PASSWORD, "198.51.100.20").status_code == 200
        assert audited_addresses(engine) == {"203.0.113.9", "198.51.100.20"}


def test_a_forged_forwarded_for_is_ignored_without_trusted_proxies(
        db_url: str, engine: Engine, secretariat: str) -> None:
    with client_for(db_url, engine) as client:  # no OUEN_TRUSTED_PROXIES
        for n in range(5):
            assert_error(login(client, secretariat, "guess guess", f"192.0.2.{n}"), 401)
        # A fresh forged address does not buy a fresh set of tries.
        assert_error(login(client, secretariat, PASSWORD, "192.0.2.99"), 429, "login")
        assert audited_addresses(engine) == {"testclient"}


def test_spraying_many_logins_from_one_address_is_held_back_there_only(
        db_url: str, engine: Engine, secretariat: str) -> None:
    with client_for(db_url, engine, trusted_proxies=["testclient"], login_address_max_failures=8) as client:
        for n in range(8):
            assert_error(login(client, f"guess-{n}", "guess guess", "203.0.113.50"), 401)
        # Any login, even the right password of a real one, waits at that address...
        assert_error(login(client, secretariat, PASSWORD, "203.0.113.50"), 429, "login")
        # ...and nowhere else.
        assert login(client, secretariat, PASSWORD, "198.51.100.7").status_code == 200


def test_throttled_answers_say_nothing_about_whether_the_login_exists(
        db_url: str, engine: Engine, secretariat: str) -> None:
    with client_for(db_url, engine, trusted_proxies=["testclient"]) as client:
        answers = {}
        for user in (secretariat, "nobody-here"):
            wrong = [login(client, user, "guess guess", f"203.0.113.{len(user)}") for _ in range(5)]
            throttled = login(client, user, PASSWORD, f"203.0.113.{len(user)}")
            answers[user] = ([r.status_code for r in wrong], [r.json() for r in wrong], throttled.status_code,
                             throttled.json()["error"]["code"], throttled.json()["error"]["field"])
        assert answers[secretariat] == answers["nobody-here"]


def test_client_address_reads_forwarded_for_only_through_trusted_proxies() -> None:
    headers = {"x-forwarded-for": "198.51.100.1, 10.0.0.5, 10.0.0.6"}
    assert client_address("203.0.113.1", headers, []) == "203.0.113.1"
    assert client_address("203.0.113.1", headers, ["10.0.0.0/8"]) == "203.0.113.1"  # the peer is not a proxy
    assert client_address("10.0.0.6", headers, ["10.0.0.0/8"]) == "198.51.100.1"  # both hops are proxies
    assert client_address("10.0.0.6", headers, ["10.0.0.6"]) == "10.0.0.5"
    assert client_address("10.0.0.6", {}, ["10.0.0.6"]) == "10.0.0.6"
    assert client_address("::1", {"x-forwarded-for": "2001:db8::7"}, ["::1"]) == "2001:db8::7"


@pytest.fixture
def serve_db(tmp_path: Path) -> Iterator[str]:
    yield sqlite_url(tmp_path / "serve.sqlite3")


@pytest.mark.parametrize("trusted", [None, '["127.0.0.1"]'])
def test_ouen_serve_believes_forwarded_for_only_from_its_named_proxies(
        serve_db: str, tmp_path: Path, trusted: str | None) -> None:
    """uvicorn on its own believes X-Forwarded-For from 127.0.0.1; `ouen serve` does not, unless told."""
    server, _ = start_serve(serve_db, tmp_path, "serve", env={"OUEN_TRUSTED_PROXIES": trusted} if trusted else {})
    base = server.base_url
    try:
        response = httpx.post(f"{base}/api/v1/auth/login", json={"login": "nobody", "password": "guess guess"},
                              headers={"X-Forwarded-For": "203.0.113.77"})
        assert response.status_code == 401
    finally:
        server.stop()
    from coordinator.db import make_engine

    engine = make_engine(serve_db)
    try:
        expected = "203.0.113.77" if trusted else "127.0.0.1"
        assert audited_addresses(engine) == {expected}
    finally:
        engine.dispose()
