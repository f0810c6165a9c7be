"""kill -9 of a real server around delivery: whatever the moment, every message reaches the receiver, and
after dropping duplicates by key exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.auth.models import User
from coordinator.notifications.models import OutboxMessage
from tests.notifications.receivers import Received, SmtpReceiver
from tests.support import ServerProcess, create_user_with_token

pytestmark = pytest.mark.slow


def _people(engine: Engine) -> dict[str, str]:
    """A secretariat token, and staff with e-mail addresses in the affected area and coordinating."""
    tokens = {}
    for role, association in (("secretariat", "clair"), ("staff", "pref_ishikawa"), ("staff", "pref_ishikawa"),
                              ("staff", "pref_toyama"), ("secretariat", "clair")):
        user, token = create_user_with_token(engine, role, association)
        with Session(engine) as session:
            session.execute(update(User).where(col(User.id) == user.id).values(email=f"u{user.id}@example.jp"))
            session.commit()
        tokens.setdefault(role, token)
    return tokens


def _env(smtp: SmtpReceiver, **extra: str) -> dict[str, str]:
    return {"OUEN_SMTP_HOST": "127.0.0.1", "OUEN_SMTP_PORT": str(smtp.port), "OUEN_SMTP_SECURITY": "none",
            "OUEN_SMTP_FROM": "ouen@example.jp", "OUEN_NOTIFY_LEASE_SECONDS": "1", "OUEN_NOTIFY_POLL_SECONDS": "0.5",
            "OUEN_LOG_LEVEL": "warning", **extra}


def _declare(base_url: str, token: str) -> None:
    body = {"name": "能登半島地震", "kind": "earthquake", "mode": "live", "area": {"prefectures": ["17"]}}
    response = httpx.post(f"{base_url}/api/v1/disasters", json=body, headers={"Authorization": f"Bearer {token}"},
                          timeout=60)
    assert response.status_code == 201, response.text


def _outbox(engine: Engine) -> list[OutboxMessage]:
    with Session(engine) as session:
        return list(session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def _wait_for(condition: Callable[[], Any], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {seconds} s: {what}")


def test_killed_after_commit_before_sending_delivers_once_after_restart(
        db_url: str, engine: Engine, smtp: SmtpReceiver, server_factory: Callable[..., ServerProcess]) -> None:
    tokens = _people(engine)
    first = server_factory(db_url, env=_env(smtp, OUEN_JOBS_IN_APP="false"))  # commits, never sends
    _declare(first.base_url, tokens["secretariat"])
    rows = _outbox(engine)
    assert len(rows) >= 3 and {r.status for r in rows} == {"pending"}
    first.kill()
    assert smtp.messages == []
    server_factory(db_url, env=_env(smtp))
    _wait_for(lambda: {r.status for r in _outbox(engine)} == {"sent"}, "every message sent")
    keys = [m.key for m in smtp.messages]
    assert sorted(keys) == sorted(r.key for r in rows)  # each exactly once, nothing more


def test_killed_between_sending_and_marking_sends_once_more_and_the_key_drops_it(
        db_url: str, engine: Engine, smtp: SmtpReceiver, server_factory: Callable[..., ServerProcess]) -> None:
    tokens = _people(engine)
    servers: list[ServerProcess] = []

    def kill_the_sender(received: Received) -> None:
        # The message is on the receiver's side; the server dies before it hears "250" and marks it sent.
        if len(smtp.messages) == 0 and servers and servers[0].process is not None:
            os.kill(servers[0].process.pid, signal.SIGKILL)
        return None

    smtp.on_message = kill_the_sender
    servers.append(server_factory(db_url, env=_env(smtp)))
    _declare(servers[0].base_url, tokens["secretariat"])
    _wait_for(lambda: servers[0].process is not None and servers[0].process.poll() is not None, "the kill")
    rows = _outbox(engine)
    assert len(smtp.messages) >= 1 and {r.status for r in rows} == {"pending"}  # sent, yet not marked
    smtp.on_message = None
    servers.append(server_factory(db_url, env=_env(smtp)))
    _wait_for(lambda: {r.status for r in _outbox(engine)} == {"sent"}, "every message sent after the restart")
    keys = [m.key for m in smtp.messages]
    assert len(smtp.unique()) == len(rows) and sorted(set(keys)) == sorted(r.key for r in rows)
    # What was sent but not yet marked when the server died went once more (the parallel workers may have had
    # a few in flight), never more than once more, with the same key and Message-ID for the receiver to drop.
    twice = [k for k in set(keys) if keys.count(k) == 2]
    assert smtp.messages[0].key in twice and max(keys.count(k) for k in keys) == 2
    for key in twice:
        copies = [m.message["Message-ID"] for m in smtp.messages if m.key == key]
        assert len(copies) == 2 and copies[0] == copies[1]  # the receiver drops the second by Message-ID
