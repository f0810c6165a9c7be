"""Operations over HTTP: /readyz, /metrics, X-Request-ID, security headers, CSRF for cookie sessions, the
auth.denied audit event, and clean answers for out-of-range ids."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.app import create_app
from coordinator.auth.service import create_user
from coordinator.events.models import Event
from coordinator.settings import Settings

PASSWORD = "correct horse battery staple"


def denials(engine: Engine) -> list[Event]:
    """The auth.denied events, oldest first."""
    with Session(engine) as session:
        return list(session.exec(select(Event).where(Event.type == "auth.denied").order_by(col(Event.seq))))


@pytest.fixture
def signed_in(client: TestClient, engine: Engine) -> TestClient:
    """The client after a password sign-in by Ishikawa staff (holds the session cookie)."""
    with Session(engine) as session:
        create_user(session, login="staff-ishikawa", display_name="石川 太郎", role="staff",
                    association_id="pref_ishikawa", password=PASSWORD)
    response = client.post("/api/v1/auth/login", json={"login": "staff-ishikawa", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return client


def test_readyz_is_ready_on_a_migrated_database(client: TestClient, engine: Engine) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"
    assert response.json()["revision"]


def test_readyz_is_503_in_the_error_shape_when_the_database_is_not_at_head(
        client: TestClient, engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.headers["retry-after"] == "5"
    error = response.json()["error"]
    assert error["code"] == "not_ready" and error["field"] == "database"
    assert "0001" in error["message"]["en"] and error["message"]["ja"]
    assert client.get("/healthz").status_code == 200  # alive, but not ready


@pytest.fixture
def sqlite_unreachable(tmp_path) -> Iterator[FastAPI]:  # type: ignore[no-untyped-def]
    """An app whose SQLite file lives in a directory that does not exist."""
    url = f"sqlite:///{tmp_path}/missing/dir/ouen.sqlite3"
    yield create_app(Settings(database_url=url))


def test_readyz_is_503_when_the_database_is_unreachable(sqlite_unreachable: FastAPI) -> None:
    with TestClient(sqlite_unreachable) as client:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json()["error"]["code"] == "not_ready"
        assert "unreachable" in response.json()["error"]["message"]["en"]
        # A request that needs the database fails cleanly too: 503, the error shape, Retry-After.
        outage = client.get("/api/v1/associations", headers={"Authorization": "Bearer ouen_x"})
        assert outage.status_code == 503, outage.text
        assert outage.json()["error"]["code"] == "unavailable" and outage.headers["retry-after"]


def test_request_id_is_echoed_when_well_formed_and_replaced_otherwise(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "nginx-0123abcd"})
    assert given.headers["x-request-id"] == "nginx-0123abcd"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" injected=1 <script>"})
    assert forged.headers["x-request-id"] != "x\" injected=1 <script>"
    assert len(forged.headers["x-request-id"]) == 32
    assert client.get("/healthz").headers["x-request-id"] != forged.headers["x-request-id"]


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    for path in ("/", "/docs", "/api/v1/associations", "/healthz", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert "http:" not in csp and "https:" not in csp and "*" not in csp  # no external source
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # plain HTTP (cookie_secure off)


def test_the_docs_page_inline_script_is_allowed_by_hash(client: TestClient) -> None:
    csp = client.get("/docs").headers["content-security-policy"]
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'sha256-" in script_src and "'unsafe-inline'" not in script_src


def test_hsts_when_cookies_are_secure(engine: Engine, db_url: str) -> None:
    app = create_app(Settings(database_url=db_url, cookie_secure=True, hsts_seconds=600), engine=engine)
    with TestClient(app) as client:
        assert client.get("/healthz").headers["strict-transport-security"] == "max-age=600; includeSubDomains"


def test_cross_site_cookie_requests_are_refused_and_audited(signed_in: TestClient, engine: Engine) -> None:
    body = {"name": "偽の災害", "kind": "earthquake", "area": {"prefectures": ["17"]}}
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Origin": "null"}, {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.testserver"}):
        before = len(denials(engine))
        response = signed_in.post("/api/v1/disasters", json=body, headers=headers)
        assert response.status_code == 403, (headers, response.text)
        error = response.json()["error"]
        assert error["code"] == "cross_site_request" and error["field"] == "origin" and error["message"]["ja"]
        audit = denials(engine)[before:]
        assert len(audit) == 1 and audit[0].payload["reason"] == "cross_site_request"
        assert audit[0].payload["path"] == "/api/v1/disasters" and audit[0].payload["credential"] == "cookie"
    # Sign-out from another site is refused too: the session stays open.
    assert signed_in.post("/api/v1/auth/logout", headers={"Origin": "https://evil.example"}).status_code == 403
    assert signed_in.get("/api/v1/auth/me").status_code == 200


def test_same_origin_and_non_browser_cookie_requests_pass(signed_in: TestClient) -> None:
    # Staff may not declare disasters: a 403 *forbidden* (not cross_site_request) shows the CSRF check let
    # these through to the endpoint.
    body = {"name": "テスト", "kind": "earthquake", "area": {"prefectures": ["17"]}}
    for headers in ({"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"}, {},
                    {"Sec-Fetch-Site": "none"}):
        response = signed_in.post("/api/v1/disasters", json=body, headers=headers)
        assert response.json()["error"]["code"] == "forbidden", (headers, response.text)
    assert signed_in.get("/api/v1/auth/me", headers={"Origin": "https://evil.example"}).status_code == 200


def test_bearer_requests_are_exempt_from_the_origin_check(client: TestClient, make_user, auth) -> None:
    secretariat = auth(make_user("secretariat", "clair")[1])
    response = client.post("/api/v1/disasters", headers={**secretariat, "Origin": "https://other.example"},
                           json={"name": "能登（API）", "kind": "earthquake", "area": {"prefectures": ["17"]}})
    assert response.status_code == 201, response.text


def test_trusted_origins_are_accepted(engine: Engine, db_url: str) -> None:
    app = create_app(Settings(database_url=db_url, trusted_origins=["https://ouen.example.jp"]), engine=engine)
    with TestClient(app) as client:
        response = client.post("/api/v1/auth/login", headers={"Origin": "https://ouen.example.jp"},
                               json={"login": "nobody", "password": "wrong password"})
        assert response.status_code == 401  # reached the endpoint
        refused = client.post("/api/v1/auth/login", headers={"Origin": "https://ouen.example.com"},
                              json={"login": "nobody", "password": "wrong password"})
        assert refused.status_code == 403


def test_every_denial_is_audited_with_actor_path_and_reason(client: TestClient, engine: Engine, make_user,
                                                            auth) -> None:
    staff_user, staff_token = make_user("staff", "pref_ishikawa")
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers=auth("ouen_not-a-real-token")).status_code == 401
    forbidden = client.post("/api/v1/disasters", headers={**auth(staff_token), "X-Request-ID": "req-forbidden-1"},
                            json={"name": "x", "kind": "earthquake", "area": {"prefectures": ["17"]}})
    assert forbidden.status_code == 403
    rows = denials(engine)
    assert [(r.payload["status"], r.payload["reason"], r.payload["credential"]) for r in rows] == [
        (401, "unauthenticated", "none"), (401, "unauthenticated", "bearer"), (403, "forbidden", "bearer")]
    assert [r.actor_user_id for r in rows] == [None, None, staff_user.id]
    assert rows[2].actor_association_id == "pref_ishikawa" and rows[2].entity_id == "req-forbidden-1"
    assert rows[2].payload["path"] == "/api/v1/disasters" and rows[2].payload["method"] == "POST"
    assert all("ouen_" not in str(r.payload) for r in rows)  # the token itself is never stored
    # A wrong password is audited as auth.login_failed (coordinator.auth), not twice.
    client.post("/api/v1/auth/login", json={"login": "nobody", "password": "wrong password"})
    assert len(denials(engine)) == 3


def test_metrics_count_requests_by_route_and_status(client: TestClient, make_user, auth) -> None:
    token = make_user("secretariat", "clair")[1]
    client.get("/api/v1/associations/pref_ishikawa", headers=auth(token))
    client.get("/api/v1/associations/pref_toyama", headers=auth(token))
    client.get("/api/v1/auth/me")
    client.get("/no/such/thing")
    client.post("/api/v1/disasters", headers=auth(token),
                json={"name": "能登", "kind": "earthquake", "area": {"prefectures": ["17"]}})
    text_format = client.get("/metrics").text
    assert ('ouen_http_requests_total{method="GET",route="/api/v1/associations/{association_id}",status="200"} 2.0'
            in text_format)
    assert 'ouen_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"} 1.0' in text_format
    assert 'route="unmatched",status="404"' in text_format and "/no/such/thing" not in text_format
    assert 'ouen_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/auth/me"}' \
        in text_format
    assert 'ouen_events_recorded_total{type="disaster.declared"}' in text_format
    assert "ouen_live_clients 0.0" in text_format and "ouen_event_log_head" in text_format
    assert 'ouen_auth_denials_total{reason="unauthenticated"} 1.0' in text_format
    assert "ouen_plan_seconds" in text_format


def test_metrics_can_be_turned_off(engine: Engine, db_url: str) -> None:
    app = create_app(Settings(database_url=db_url, metrics_enabled=False), engine=engine)
    with TestClient(app) as client:
        assert client.get("/metrics").status_code == 404


def test_ids_beyond_what_the_database_holds_are_a_422_not_a_500(client: TestClient, make_user, auth) -> None:
    token = auth(make_user("secretariat", "clair")[1])
    for path in ("/api/v1/needs/99999999999999999999999", "/api/v1/disasters/-99999999999999999999999/needs"):
        response = client.get(path, headers=token)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid" and "2147483647" in error["message"]["ja"] and error["message"]["en"]
