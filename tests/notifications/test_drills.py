"""Drills: every message is marked 【訓練】 in its subject and first line, only allow-listed addresses are sent
to, and purging a drill removes its notifications."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.drills.purge import purge_drill
from coordinator.notifications.sender import Sender, drill_allows
from tests.notifications.conftest import NotifyWorld, notify_settings
from tests.notifications.receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def drill(notify_client: TestClient, engine: Engine, make_user, auth) -> NotifyWorld:
    """A drill for prefecture 17, everybody with an e-mail address."""
    return NotifyWorld(notify_client, engine, make_user, auth, mode="drill", name="訓練：能登沖地震")


def test_every_drill_message_starts_with_the_drill_mark(drill: NotifyWorld, smtp: SmtpReceiver, db_url: str,
                                                        webhooks: WebhookReceiver) -> None:
    for fmt in ("json", "slack", "teams"):
        drill.post("/api/v1/associations/pref_toyama/notification-addresses", "toyama",
                   {"channel": "webhook", "address": webhooks.url(f"/{fmt}"), "format": fmt}, 201)
    drill.dispatch_to("completed")
    report = Sender(drill.engine, notify_settings(db_url, smtp, notify_drill_recipients=["*"])).run_once()
    assert report.sent > 10 and report.suppressed == 0
    for received in smtp.messages:
        subject = str(make_header(decode_header(received.message["Subject"])))
        body = received.message.get_content()
        assert subject.startswith("【訓練】"), subject
        assert body.startswith("【訓練】"), body[:80]
        assert received.message["X-Ouen-Drill"] == "yes"
    assert len(webhooks.deliveries) >= 3
    for delivery in webhooks.deliveries:
        data = delivery.json
        if "text" in data:
            assert data["text"].startswith("【訓練】")
        elif data.get("type") == "message":
            assert data["attachments"][0]["content"]["body"][0]["text"].startswith("【訓練】")
        else:
            assert data["drill"] is True and data["title_ja"].startswith("【訓練】")
            assert data["title_en"].startswith("DRILL")
            assert data["text_ja"].startswith("【訓練】") and data["text_en"].startswith("DRILL")
    listed = drill.client.get("/api/v1/notifications", headers=drill.headers("toyama")).json()
    assert listed["items"] and all(i["title_ja"].startswith("【訓練】") for i in listed["items"])


def test_a_drill_sends_only_to_the_allow_list(drill: NotifyWorld, smtp: SmtpReceiver, db_url: str) -> None:
    allowed = ["requester@pref-ishikawa.example.jp", "@clair.example.jp"]
    report = Sender(drill.engine, notify_settings(db_url, smtp, notify_drill_recipients=allowed)).run_once()
    sent_to = sorted(m.rcpt_tos[0] for m in smtp.messages)
    assert sent_to == ["requester@pref-ishikawa.example.jp", "secretariat2@clair.example.jp"]
    rows = drill.outbox()
    assert report.sent == 2 and report.suppressed == len(rows) - 2 > 0
    suppressed = [r for r in rows if r.status == "suppressed"]
    assert all("coordinator" in r.address for r in suppressed) and all(r.attempts == 0 for r in suppressed)
    # With no allow-list at all, a drill pages nobody by e-mail (the in-app list still shows it).
    assert not drill_allows(notify_settings(db_url, smtp), "requester@pref-ishikawa.example.jp")
    assert drill.in_app("coordinator")


def test_a_drill_with_no_allow_list_sends_no_email(drill: NotifyWorld, smtp: SmtpReceiver, db_url: str) -> None:
    report = Sender(drill.engine, notify_settings(db_url, smtp)).run_once()
    assert smtp.messages == [] and report.sent == 0 and report.suppressed == len(drill.outbox()) > 0


def test_purging_a_drill_removes_its_notifications(drill: NotifyWorld, smtp: SmtpReceiver, db_url: str,
                                                   make_user, auth, notify_client: TestClient) -> None:
    drill.dispatch_to("declined")
    Sender(drill.engine, notify_settings(db_url, smtp, notify_drill_recipients=["@clair.example.jp"])).run_once()
    live = NotifyWorld(notify_client, drill.engine, make_user, auth, name="本番の地震")

    def count(table: str, disaster_id: int) -> int:
        with drill.engine.connect() as connection:
            return int(connection.execute(text(f"SELECT COUNT(*) FROM {table} WHERE disaster_id = :d"),
                                          {"d": disaster_id}).scalar_one())

    assert count("notification_outbox", drill.id) > 0 and count("notification", drill.id) > 0
    with drill.engine.connect() as connection:
        attempts = connection.execute(text("SELECT COUNT(*) FROM notification_attempt")).scalar_one()
    assert attempts > 0
    live_rows = (count("notification_outbox", live.id), count("notification", live.id))
    with Session(drill.engine) as session:
        counts = purge_drill(session, drill_id=drill.id)
    assert counts["outbox"] > 0 and counts["notifications"] > 0 and counts["notification_attempts"] == attempts
    assert count("notification_outbox", drill.id) == count("notification", drill.id) == 0
    assert (count("notification_outbox", live.id), count("notification", live.id)) == live_rows
