"""Account management (issue 12 item 4): the secretariat adds users, disables and enables them, resets
passwords, changes roles, lists and revokes sessions and tokens; a user changes their own password and
signs out their own sessions; disabled users cannot sign in or use tokens. The same from the command
line. Every change is one auth.* event. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.auth.service import create_user
from tests.coordinator.disasters_support import assert_error
from tests.coordinator.test_auth_cli import ouen

PASSWORD = "a long enough password"


@pytest.fixture
def boss(make_user, auth) -> dict[str, str]:
    """Headers of a secretariat user."""
    return auth(make_user("secretariat", "clair")[1])


def signed_in(client: TestClient, login: str, password: str = PASSWORD) -> Any:
    return client.post("/api/v1/auth/login", json={"login": login, "password": password})


def auth_events(engine: Engine) -> list[tuple[str, Any]]:
    """(type, actor) of every account event, besides the audit of refused requests (auth.denied)."""
    with engine.connect() as connection:
        return [(row[0], row[1]) for row in connection.execute(text(
            "SELECT type, actor_user_id FROM event WHERE type LIKE 'auth.%' AND type <> 'auth.denied' ORDER BY seq"))]


def test_the_secretariat_manages_an_account_from_creation_to_revocation(
        client: TestClient, boss: dict[str, str], engine: Engine) -> None:
    created = client.post("/api/v1/users", headers=boss, json={
        "login": "Sato@Example.jp", "display_name": "佐藤", "role": "staff", "association_id": "pref_toyama"})
    assert created.status_code == 201, created.text
    user, password = created.json()["user"], created.json()["secret"]
    assert user["login"] == "sato@example.jp" and len(password) >= 20
    listed = {u["login"]: u for u in client.get("/api/v1/users", headers=boss).json()}
    assert listed["sato@example.jp"]["open_sessions"] == 0 and listed["sato@example.jp"]["active_tokens"] == 0

    phone, desk = TestClient(client.app), TestClient(client.app)
    assert signed_in(phone, "sato@example.jp", password).status_code == 200
    assert signed_in(desk, "sato@example.jp", password).status_code == 200
    sessions = client.get(f"/api/v1/users/{user['id']}/sessions", headers=boss).json()
    assert len(sessions) == 2 and all(s["client_ip"] == "testclient" for s in sessions)
    assert client.get("/api/v1/users", headers=boss).json()[-1]["open_sessions"] == 2
    token = client.post(f"/api/v1/users/{user['id']}/tokens", headers=boss, json={"name": "連携"}).json()
    bearer = {"Authorization": f"Bearer {token['secret']}"}
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200

    # Revoke one session: that browser is signed out, the other is not.
    assert client.post(f"/api/v1/sessions/{sessions[0]['id']}/revoke", headers=boss).status_code == 200
    assert sorted(c.get("/api/v1/auth/me").status_code for c in (phone, desk)) == [200, 401]
    # Reset the password: the old one no longer works, the new one does, every session is signed out.
    reset = client.post(f"/api/v1/users/{user['id']}/reset-password", headers=boss).json()
    assert reset["secret"] != password
    assert [c.get("/api/v1/auth/me").status_code for c in (phone, desk)] == [401, 401]
    assert_error(signed_in(TestClient(client.app), "sato@example.jp", password), 401)
    assert signed_in(phone, "sato@example.jp", reset["secret"]).status_code == 200
    # Change the role: staff of Toyama becomes an observer; what the user may do changes at once.
    moved = client.post(f"/api/v1/users/{user['id']}/role", headers=boss, json={"role": "observer"})
    assert moved.status_code == 200 and moved.json()["association_id"] is None
    assert phone.get("/api/v1/auth/me").json()["role"] == "observer"
    assert_error(client.post(f"/api/v1/users/{user['id']}/role", headers=boss,
                             json={"role": "staff", "association_id": "nowhere"}), 422, "association_id")
    # Disable: no sign-in, no token, no session; enable again: the password works, the sessions stay gone.
    assert client.post(f"/api/v1/users/{user['id']}/disable", headers=boss).json()["is_active"] is False
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert_error(signed_in(TestClient(client.app), "sato@example.jp", reset["secret"]), 401)
    assert client.post(f"/api/v1/users/{user['id']}/enable", headers=boss).json()["is_active"] is True
    assert phone.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    [listed_token] = client.get(f"/api/v1/users/{user['id']}/tokens", headers=boss).json()
    assert "secret" not in listed_token and listed_token["prefix"] == token["secret"][:11]
    assert client.post(f"/api/v1/tokens/{listed_token['id']}/revoke", headers=boss).status_code == 200
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401

    types = [t for t, _ in auth_events(engine)]
    for expected in ("auth.user_created", "auth.session_revoked", "auth.password_reset", "auth.role_changed",
                     "auth.user_disabled", "auth.user_enabled", "auth.token_created", "auth.token_revoked"):
        assert expected in types, expected
    boss_id = client.get("/api/v1/auth/me", headers=boss).json()["id"]
    assert all(actor == boss_id for t, actor in auth_events(engine)
               if t in ("auth.user_disabled", "auth.password_reset", "auth.role_changed", "auth.token_revoked"))


def test_only_the_secretariat_manages_accounts(client: TestClient, make_user, auth, boss: dict[str, str],
                                               engine: Engine) -> None:
    victim, _ = make_user("staff", "pref_fukui")
    for role, association in (("staff", "pref_toyama"), ("observer", None), ("staff", "pref_osaka")):
        headers = auth(make_user(role, association)[1])
        before = auth_events(engine)
        for method, path, body in (
                ("GET", "/api/v1/users", None),
                ("POST", "/api/v1/users", {"login": "x-y", "display_name": "x", "role": "staff",
                                           "association_id": "pref_toyama"}),
                ("POST", f"/api/v1/users/{victim.id}/disable", None),
                ("POST", f"/api/v1/users/{victim.id}/reset-password", None),
                ("POST", f"/api/v1/users/{victim.id}/role", {"role": "secretariat"}),
                ("GET", f"/api/v1/users/{victim.id}/sessions", None),
                ("GET", f"/api/v1/users/{victim.id}/tokens", None),
                ("POST", f"/api/v1/users/{victim.id}/tokens", {"name": "x"}),
                ("POST", "/api/v1/tokens/1/revoke", None)):
            response = client.request(method, path, json=body, headers=headers)
            assert_error(response, 403)
        assert auth_events(engine) == before  # nothing changed
    assert client.get("/api/v1/users").status_code == 401


def test_nobody_locks_the_secretariat_out(client: TestClient, boss: dict[str, str]) -> None:
    me = client.get("/api/v1/auth/me", headers=boss).json()
    assert_error(client.post(f"/api/v1/users/{me['id']}/disable", headers=boss), 409, "user_id")
    assert_error(client.post(f"/api/v1/users/{me['id']}/role", headers=boss, json={"role": "observer"}), 409,
                 "user_id")
    assert_error(client.post("/api/v1/users/999999/disable", headers=boss), 404, "user_id")


def test_a_user_changes_their_own_password_and_signs_out_their_other_sessions(
        client: TestClient, engine: Engine) -> None:
    with Session(engine) as session:
        create_user(session, login="kimura", display_name="木村", role="staff", association_id="pref_mie",
                    password=PASSWORD)
    here, elsewhere = TestClient(client.app), TestClient(client.app)
    assert signed_in(here, "kimura").status_code == 200 and signed_in(elsewhere, "kimura").status_code == 200
    mine = here.get("/api/v1/auth/sessions").json()
    assert len(mine) == 2
    assert_error(here.post("/api/v1/auth/password", json={"current_password": "wrong one!!",
                                                          "new_password": "brand new password"}), 401,
                 "current_password")
    assert_error(here.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "short"}),
                 422, "new_password")
    changed = here.post("/api/v1/auth/password", json={"current_password": PASSWORD,
                                                       "new_password": "brand new password"})
    assert changed.status_code == 200
    assert here.get("/api/v1/auth/me").status_code == 200  # this session stays
    assert elsewhere.get("/api/v1/auth/me").status_code == 401  # the others are signed out
    assert signed_in(TestClient(client.app), "kimura", "brand new password").status_code == 200
    # One's own sessions only: another person's session id is not found.
    other = here.get("/api/v1/auth/sessions").json()
    assert_error(here.post("/api/v1/auth/sessions/not-a-session/revoke"), 404, "session_id")
    assert here.post(f"/api/v1/auth/sessions/{other[-1]['id']}/revoke").status_code == 200


def test_accounts_from_the_command_line(tmp_path: Path) -> None:
    db_url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    assert ouen(db_url, "db", "upgrade").exit_code == 0
    added = ouen(db_url, "users", "add", "tanaka", "--role", "staff", "--association", "pref_gifu")
    password = re.search(r"password \(shown only now\): (\S+)", added.stdout).group(1)
    from coordinator.app import create_app
    from coordinator.settings import Settings

    with TestClient(create_app(Settings(database_url=db_url))) as client:
        assert signed_in(client, "tanaka", password).status_code == 200
        disabled = ouen(db_url, "users", "disable", "tanaka")
        assert disabled.exit_code == 0, disabled.stderr
        assert client.get("/api/v1/auth/me").status_code == 401
        assert_error(signed_in(TestClient(client.app), "tanaka", password), 401)
        assert ouen(db_url, "users", "enable", "tanaka").exit_code == 0
        reset = ouen(db_url, "users", "reset-password", "tanaka")
        new = re.search(r"new password \(shown only now\): (\S+)", reset.stdout).group(1)
        assert new != password and signed_in(client, "tanaka", new).status_code == 200
        listed = ouen(db_url, "users", "sessions", "--login", "tanaka")
        session_id = listed.stdout.splitlines()[1].split("\t")[0]
        assert len(session_id) == 64 and "testclient" in listed.stdout
        assert ouen(db_url, "users", "revoke-session", session_id).exit_code == 0
        assert client.get("/api/v1/auth/me").status_code == 401
        role = ouen(db_url, "users", "set-role", "tanaka", "--role", "observer")
        assert role.exit_code == 0 and "observer" in role.stdout
        bad = ouen(db_url, "users", "set-role", "tanaka", "--role", "staff", "--association", "nowhere")
        assert bad.exit_code == 1 and "association_id" in bad.stderr
        assert ouen(db_url, "users", "disable", "nobody").exit_code == 1
