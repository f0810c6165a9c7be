"""Sign-in with cookies, throttling, bearer tokens, and what is stored (hashes only)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.app import create_app
from coordinator.auth.models import (
    ROLE_OBSERVER,
    ROLE_SECRETARIAT,
    ROLE_STAFF,
    ApiToken,
    LoginAttempt,
    LoginSession,
    User,
    utcnow,
)
from coordinator.auth.service import authenticate_token, create_token, create_user, revoke_token
from coordinator.db import unit_of_work
from coordinator.errors import Conflict, Invalid, NotFound
from coordinator.events.models import Event
from coordinator.settings import Settings

PASSWORD = "correct horse battery staple"


def add_password_user(engine: Engine, login: str = "ana@example.org", role: str = ROLE_STAFF,
                      association_id: str | None = "pref_ishikawa", password: str = PASSWORD) -> User:
    with Session(engine, expire_on_commit=False) as session:
        return create_user(session, login=login, display_name="Ana", role=role, association_id=association_id,
                           password=password)


def events_of_type(engine: Engine, type_: str) -> list[Event]:
    with Session(engine) as session:
        return list(session.exec(select(Event).where(Event.type == type_).order_by(col(Event.seq))))


def app_client(db_url: str, engine: Engine, client_address: tuple[str, int] = ("198.51.100.7", 40000),
               **settings: object) -> TestClient:
    return TestClient(create_app(Settings(database_url=db_url, **settings), engine=engine),
                      client=client_address)


def test_login_sets_a_httponly_samesite_cookie_and_me_returns_the_user(client: TestClient, engine: Engine) -> None:
    user = add_password_user(engine)
    response = client.post("/api/v1/auth/login", json={"login": "ANA@example.org", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == user.id and body["login"] == "ana@example.org" and body["role"] == "staff"
    assert body["association_id"] == "pref_ishikawa"
    assert "password_hash" not in body
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("ouen_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["login"] == "ana@example.org"
    assert [e.payload["login"] for e in events_of_type(engine, "auth.login_succeeded")] == ["ana@example.org"]


def test_logout_revokes_the_session_on_the_server(client: TestClient, engine: Engine) -> None:
    add_password_user(engine)
    client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
    cookie_value = client.cookies["ouen_session"]
    assert client.post("/api/v1/auth/logout").status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    # Replaying the old cookie value does not work either: the session row is revoked.
    client.cookies.set("ouen_session", cookie_value)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert len(events_of_type(engine, "auth.logout")) == 1


def test_cookie_is_secure_when_settings_say_so(db_url: str, engine: Engine) -> None:
    add_password_user(engine)
    with app_client(db_url, engine, cookie_secure=True) as client:
        response = client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]


def test_expired_session_is_rejected(client: TestClient, engine: Engine) -> None:
    add_password_user(engine)
    client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
    with Session(engine) as session, unit_of_work(session):
        row = session.exec(select(LoginSession)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.add(row)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_password_and_unknown_login_get_the_same_answer(client: TestClient, engine: Engine) -> None:
    add_password_user(engine)
    wrong = client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": "not it at all"})
    unknown = client.post("/api/v1/auth/login", json={"login": "nobody@example.org", "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"
        assert response.json()["error"]["message"]["ja"] == "ログイン名またはパスワードが違います"
        assert "set-cookie" not in response.headers
    assert wrong.json() == unknown.json()
    assert client.get("/api/v1/auth/me").status_code == 401
    assert len(events_of_type(engine, "auth.login_failed")) == 2


def test_token_only_account_cannot_sign_in_with_any_password(client: TestClient, make_user) -> None:
    make_user(ROLE_OBSERVER, login="robot")
    response = client.post("/api/v1/auth/login", json={"login": "robot", "password": PASSWORD})
    assert response.status_code == 401


def test_inactive_user_cannot_sign_in_or_use_tokens(client: TestClient, engine: Engine, auth) -> None:
    user = add_password_user(engine)
    with Session(engine, expire_on_commit=False) as session:
        _, secret = create_token(session, user_id=user.id, name="laptop")
        with unit_of_work(session):
            row = session.get(User, user.id)
            row.is_active = False
            session.add(row)
    assert client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD}
                       ).status_code == 401
    assert client.get("/api/v1/auth/me", headers=auth(secret)).status_code == 401


def test_throttling_locks_login_and_address_after_n_failures(db_url: str, engine: Engine) -> None:
    add_password_user(engine)
    add_password_user(engine, login="ben@example.org")
    with app_client(db_url, engine, login_max_failures=3, login_window_seconds=600) as client:
        for _ in range(3):
            response = client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": "wrong!"})
            assert response.status_code == 401
        locked = client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
        assert locked.status_code == 429
        error = locked.json()["error"]
        assert error["code"] == "too_many_requests" and error["field"] == "login"
        retry_after = int(locked.headers["retry-after"])
        assert 1 <= retry_after <= 600
        assert error["details"]["retry_after_seconds"] == retry_after
        assert "set-cookie" not in locked.headers
        # Another login from the same address is not locked.
        assert client.post("/api/v1/auth/login", json={"login": "ben@example.org", "password": PASSWORD}
                           ).status_code == 200
    # The same login from another address is not locked either.
    with app_client(db_url, engine, ("203.0.113.9", 40001), login_max_failures=3) as other:
        assert other.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD}
                          ).status_code == 200
    denials = events_of_type(engine, "auth.login_throttled")
    assert len(denials) == 1
    assert denials[0].payload == {"login": "ana@example.org", "client_ip": "198.51.100.7"}
    with Session(engine) as session:
        outcomes = [a.outcome for a in session.exec(select(LoginAttempt).where(
            LoginAttempt.login == "ana@example.org").order_by(col(LoginAttempt.id)))]
    assert outcomes == ["failed", "failed", "failed", "throttled", "succeeded"]


def test_a_successful_sign_in_resets_the_failure_count(db_url: str, engine: Engine) -> None:
    add_password_user(engine)
    with app_client(db_url, engine, login_max_failures=3) as client:
        for _ in range(2):
            for _ in range(2):
                client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": "wrong!"})
            ok = client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
            assert ok.status_code == 200


def test_bearer_token_create_use_revoke(client: TestClient, engine: Engine, auth) -> None:
    user = add_password_user(engine)
    with Session(engine, expire_on_commit=False) as session:
        token, secret = create_token(session, user_id=user.id, name="laptop")
    assert secret.startswith("ouen_") and len(secret) >= 5 + 43
    assert token.prefix == secret[:11]
    me = client.get("/api/v1/auth/me", headers=auth(secret))
    assert me.status_code == 200 and me.json()["id"] == user.id
    with Session(engine) as session:
        assert session.get(ApiToken, token.id).last_used_at is not None
        revoke_token(session, token_id=token.id)
    denied = client.get("/api/v1/auth/me", headers=auth(secret))
    assert denied.status_code == 401
    assert denied.headers["www-authenticate"] == "Bearer"
    assert denied.json()["error"]["message"]["en"] == "Invalid or revoked API token"
    assert [e.type for e in events_of_type(engine, "auth.token_revoked")] == ["auth.token_revoked"]


@pytest.mark.parametrize("header", ["Basic YW5hOnB3", "Bearer", "Bearer ouen_not-a-real-token", "Bearer x"])
def test_bad_authorization_headers_are_401(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/auth/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["error"]["field"] == "authorization"


def test_a_bad_bearer_token_does_not_fall_back_to_the_cookie(client: TestClient, engine: Engine, auth) -> None:
    add_password_user(engine)
    client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
    assert client.get("/api/v1/auth/me").status_code == 200
    assert client.get("/api/v1/auth/me", headers=auth("ouen_wrong")).status_code == 401


def test_secrets_are_stored_only_hashed(client: TestClient, engine: Engine) -> None:
    user = add_password_user(engine)
    with Session(engine, expire_on_commit=False) as session:
        _, secret = create_token(session, user_id=user.id, name="laptop")
    client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": "a wrong guess here"})
    client.post("/api/v1/auth/login", json={"login": "ana@example.org", "password": PASSWORD})
    cookie_value = client.cookies["ouen_session"]
    dump = []
    with engine.connect() as connection:
        for table in ("app_user", "api_token", "login_session", "login_attempt", "event"):
            dump += [repr(tuple(row)) for row in connection.execute(text(f"SELECT * FROM {table}"))]
    everything = "\n".join(dump)
    for secret_value in (PASSWORD, "a wrong guess here", secret, secret[len("ouen_"):], cookie_value):
        assert secret_value not in everything
    with Session(engine) as session:
        stored_user = session.get(User, user.id)
        assert stored_user.password_hash.startswith("$argon2id$")
        token_row = session.exec(select(ApiToken)).one()
        assert token_row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert session.exec(select(LoginSession)).one().id == hashlib.sha256(cookie_value.encode()).hexdigest()


def test_authenticate_token_service(engine: Engine) -> None:
    user = add_password_user(engine)
    with Session(engine, expire_on_commit=False) as session:
        _, secret = create_token(session, user_id=user.id, name="cli")
        assert authenticate_token(session, secret).id == user.id
        assert authenticate_token(session, secret + "x") is None
        assert authenticate_token(session, "not-ouen") is None


@pytest.mark.parametrize(("role", "association_id", "field"), [
    ("staff", None, "association_id"),
    ("staff", "clair", "association_id"),
    ("staff", "pref_atlantis", "association_id"),
    ("secretariat", "pref_ishikawa", "association_id"),
    ("observer", "pref_atlantis", "association_id"),
    ("admin", None, "role"),
])
def test_create_user_rejects_bad_role_or_association(engine: Engine, role: str, association_id: str | None,
                                                     field: str) -> None:
    with Session(engine) as session, pytest.raises(Invalid) as caught:
        create_user(session, login="someone", display_name="Someone", role=role,
                    association_id=association_id, password=PASSWORD)
    assert caught.value.field == field
    assert caught.value.message_ja and caught.value.message_en
    with Session(engine) as session:
        assert session.exec(select(User)).all() == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"login": " "}, "login"), ({"login": "has space"}, "login"), ({"display_name": ""}, "display_name"),
    ({"password": "short"}, "password"),
])
def test_create_user_rejects_bad_fields(engine: Engine, changes: dict[str, str], field: str) -> None:
    values = {"login": "someone", "display_name": "Someone", "password": PASSWORD, **changes}
    with Session(engine) as session, pytest.raises(Invalid) as caught:
        create_user(session, role=ROLE_OBSERVER, association_id=None, **values)
    assert caught.value.field == field


def test_secretariat_users_belong_to_clair_and_logins_are_unique(engine: Engine) -> None:
    with Session(engine) as session:
        user = create_user(session, login="Sec@clair.or.jp", display_name="事務局", role=ROLE_SECRETARIAT,
                           association_id=None, password=PASSWORD)
        assert user.association_id == "clair" and user.login == "sec@clair.or.jp"
        with pytest.raises(Conflict) as caught:
            create_user(session, login="SEC@clair.or.jp", display_name="again", role=ROLE_OBSERVER,
                        association_id=None, password=None)
        assert caught.value.field == "login"
    assert len(events_of_type(engine, "auth.user_created")) == 1


def test_tokens_need_an_existing_user_and_a_name(engine: Engine) -> None:
    user = add_password_user(engine)
    with Session(engine) as session:
        with pytest.raises(NotFound):
            create_token(session, user_id=999_999, name="x")
        with pytest.raises(Invalid) as caught:
            create_token(session, user_id=user.id, name="  ")
        assert caught.value.field == "name"
        with pytest.raises(NotFound) as missing:
            revoke_token(session, token_id=999_999)
        assert missing.value.field == "token_id"


def test_make_user_fixture_gives_working_tokens(client: TestClient, make_user, auth: Callable) -> None:
    staff, token = make_user(ROLE_STAFF, "pref_toyama")
    assert staff.association_id == "pref_toyama"
    assert client.get("/api/v1/auth/me", headers=auth(token)).json()["login"] == staff.login
