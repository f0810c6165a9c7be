"""Structured logs: JSON lines with request ids, and no secret in them. A real server (uvicorn at debug
level, its output captured) sees a password sign-in, cookie use, bearer use, a websocket with ?token= and
failed attempts; no password, token or cookie value appears anywhere in what it printed."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from websockets.sync.client import connect

from coordinator.auth.service import create_token, create_user
from coordinator.db import make_engine
from coordinator.ops.logs import JsonFormatter, redact
from tests.support import ServerProcess

pytestmark = pytest.mark.slow
PASSWORD = "Kanazawa-2024-shelter!"


def test_no_password_token_or_cookie_reaches_the_logs(live_db_url: str, tmp_path: Path) -> None:
    engine: Engine = make_engine(live_db_url)
    with Session(engine, expire_on_commit=False) as session:
        user = create_user(session, login="staff-ishikawa", display_name="石川 花子", role="staff",
                           association_id="pref_ishikawa", password=PASSWORD)
        _, token = create_token(session, user_id=user.id or 0, name="ci")
    engine.dispose()
    log_path = tmp_path / "server.log"
    server = ServerProcess(live_db_url, log_path, env={"OUEN_LOG_LEVEL": "debug"}, log_level="debug")
    base = server.start()
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            assert http.post("/api/v1/auth/login", json={"login": "staff-ishikawa", "password": "wrong-" + PASSWORD}
                             ).status_code == 401
            signed_in = http.post("/api/v1/auth/login", json={"login": "staff-ishikawa", "password": PASSWORD})
            assert signed_in.status_code == 200
            cookie = signed_in.cookies["ouen_session"]
            assert http.get("/api/v1/auth/me", headers={"X-Request-ID": "trace-me-1"}).status_code == 200
            assert http.get("/api/v1/auth/me?token=" + token).status_code == 200  # a secret in a query string
            bearer = {"Authorization": f"Bearer {token}"}
            assert httpx.get(f"{base}/api/v1/associations", headers=bearer).status_code == 200
            assert httpx.get(f"{base}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}x"}
                             ).status_code == 401
            assert http.post("/api/v1/auth/logout").status_code == 204
        with connect(f"ws://127.0.0.1:{base.rsplit(':', 1)[1]}/api/v1/live?token={token}") as socket:
            socket.send(json.dumps({"type": "subscribe", "mode": "live"}))
            assert json.loads(socket.recv(timeout=10))["type"] in ("live", "heartbeat", "event")
    finally:
        server.stop()
    printed = log_path.read_text(errors="replace")
    for secret in (PASSWORD, token, token[len("ouen_"):], cookie):
        assert secret not in printed, f"a secret reached the log: {secret[:6]}…"
    # The log is not empty: JSON access lines with request ids, including the one the client chose.
    lines = [json.loads(line) for line in printed.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "ouen.access"]
    assert len(access) >= 7 and all(line["request_id"] for line in access)
    assert any(line["request_id"] == "trace-me-1" and line["route"] == "/api/v1/auth/me" for line in access)
    assert "[redacted]" in printed  # uvicorn's websocket line had ?token= and was redacted
    assert 'HTTP/1.1" 200' not in printed  # uvicorn's own access lines are replaced by ours


def test_json_formatter_carries_request_id_and_extra_fields_and_redacts() -> None:
    record = logging.LogRecord("ouen.test", logging.WARNING, __file__, 1, "login with %s", ("ouen_abcdefghij123",),
                               None)
    record.request_id = "rid-1"
    record.route = "/api/v1/auth/login"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "rid-1" and line["route"] == "/api/v1/auth/login" and line["level"] == "warning"
    assert "abcdefghij123" not in line["message"]


@pytest.mark.parametrize("text", ["Authorization: Bearer ouen_Zm9vYmFyYmF6cXV4", "GET /api/v1/live?token=s3cr3t&x=1",
                                  "cookie: ouen_session=abc123def", "password=hunter2hunter2"])
def test_redact_removes_each_kind_of_secret(text: str) -> None:
    cleaned = redact(text)
    for secret in ("Zm9vYmFyYmF6cXV4", "s3cr3t", "abc123def", "hunter2hunter2"):
        assert secret not in cleaned
    assert "[redacted]" in cleaned
