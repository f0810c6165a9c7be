"""The webhook receiver printed in docs/notifications.md works as written: run as its own process, it accepts
ouen's signed deliveries, drops a repeated key and refuses a forged signature."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from coordinator.events.models import utcnow
from coordinator.notifications.models import OutboxMessage
from coordinator.notifications.sender import Sender
from tests.conftest import ROOT
from tests.notifications.conftest import NotifyWorld, notify_settings
from tests.support import free_port


def _documented_receiver() -> str:
    text = (ROOT / "docs" / "notifications.md").read_text(encoding="utf-8")
    found = re.search(r"A receiver in Python.*?```python\n(.*?)```", text, re.S)
    assert found, "docs/notifications.md: the Python receiver example is missing"
    return found.group(1)


@pytest.fixture
def receiver_port() -> int:
    """A free loopback port for the documented receiver."""
    return free_port()


def _start(code: str, port: int) -> subprocess.Popen[str]:
    process = subprocess.Popen([sys.executable, "-u", "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the documented receiver did not start")


@pytest.fixture
def documented(world: NotifyWorld, receiver_port: int) -> Iterator[tuple[dict, subprocess.Popen[str]]]:
    """A JSON webhook of Ishikawa pointing at the docs' receiver, running with the secret shown once."""
    contact = world.post("/api/v1/associations/pref_ishikawa/notification-addresses", "requester",
                         {"channel": "webhook", "address": f"http://127.0.0.1:{receiver_port}/", "format": "json"},
                         201)
    code = _documented_receiver()
    assert 'SECRET = b"whsec_..."' in code and 'HTTPServer(("0.0.0.0", 8080)' in code
    code = code.replace('SECRET = b"whsec_..."', f'SECRET = {contact["signing_secret"].encode()!r}')
    code = code.replace('HTTPServer(("0.0.0.0", 8080)', f'HTTPServer(("127.0.0.1", {receiver_port})')
    process = _start(code, receiver_port)
    yield contact, process
    process.kill()
    process.wait(timeout=10)


def test_the_documented_receiver_accepts_signed_deliveries_once_and_refuses_forgeries(
        world: NotifyWorld, db_url: str, documented: tuple[dict, subprocess.Popen[str]], receiver_port: int) -> None:
    contact, process = documented
    world.dispatch_to("declined")  # told to the requester (Ishikawa): its webhook gets it
    sender = Sender(world.engine, notify_settings(db_url, None))
    assert sender.run_once().dead == 0
    rows = world.outbox(address_id=contact["id"])
    assert rows and all(r.status == "sent" for r in rows)
    # Sent again with the same key (as after a crash between sending and marking): acknowledged, dropped.
    with Session(world.engine) as session:
        session.execute(update(OutboxMessage).where(col(OutboxMessage.id) == rows[0].id)
                        .values(status="pending", next_attempt_at=utcnow()))
        session.commit()
    assert sender.run_once().sent == 1
    forged = httpx.post(f"http://127.0.0.1:{receiver_port}/", content=b'{"title_ja": "x", "url": "y"}',
                        headers={"X-Ouen-Signature": f"t={int(time.time())},v1={'0' * 64}",
                                 "X-Ouen-Idempotency-Key": "forged"}, timeout=10)
    assert forged.status_code == 401
    process.kill()
    out, _ = process.communicate(timeout=10)
    printed = [line for line in out.splitlines() if line.strip()]
    assert len(rows) == 1 and len(printed) == 1  # delivered twice, acted on once; the forgery never
    assert printed[0].startswith("辞退：とやま国際センターが")
    assert printed[0].endswith(f"https://ouen.example.jp/disasters/{world.id}/association")
