"""`ouen serve` as a real process: first start creates one secretariat account and prints its password once;
later starts create none. Also checks the live_server fixture serves real HTTP."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from sqlmodel import Session, select

from coordinator.auth.models import ROLE_OBSERVER, User
from coordinator.db import make_engine
from tests.support import sqlite_url, start_serve


def test_first_start_creates_one_secretariat_and_prints_its_password_once(tmp_path: Path) -> None:
    db_url = sqlite_url(tmp_path / "serve.sqlite3")
    first, printed = start_serve(db_url, tmp_path, "first")
    base_url = first.base_url
    try:
        text = "\n".join(printed)
        login = re.search(r"login:\s+(\S+)", text).group(1)
        password = re.search(r"password:\s+(\S+)", text).group(1)
        assert login == "secretariat" and len(password) >= 16
        assert text.count(password) == 1
        assert "事務局アカウント" in text
        signed_in = httpx.post(f"{base_url}/api/v1/auth/login", json={"login": login, "password": password})
        assert signed_in.status_code == 200
        assert signed_in.json()["role"] == "secretariat" and signed_in.json()["association_id"] == "clair"
        assert httpx.get(f"{base_url}/healthz").json() == {"status": "ok"}
    finally:
        first.stop()
    # The password is nowhere but the one terminal line: not in the server's log, not in the database file.
    assert password not in (tmp_path / "first.err").read_text(errors="replace")
    for path in tmp_path.glob("serve.sqlite3*"):
        assert password.encode() not in path.read_bytes()

    second, printed_again = start_serve(db_url, tmp_path, "second")
    base_url = second.base_url
    try:
        assert not any("password" in line for line in printed_again)
        assert httpx.post(f"{base_url}/api/v1/auth/login", json={"login": login, "password": password}
                          ).status_code == 200
    finally:
        second.stop()
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            assert [u.login for u in session.exec(select(User))] == ["secretariat"]
    finally:
        engine.dispose()


def test_live_server_fixture_serves_the_app_over_real_http(live_server: str, live_make_user) -> None:
    user, token = live_make_user(ROLE_OBSERVER)
    assert live_server.startswith("http://127.0.0.1:")
    me = httpx.get(f"{live_server}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200 and me.json()["login"] == user.login
    assert httpx.get(f"{live_server}/api/v1/associations").status_code == 401
