"""Delivery over real sockets: e-mail to an aiosmtpd server (plain, STARTTLS with AUTH, implicit TLS), webhooks
to an HTTP receiver that verifies the signature; retries with back-off, attempts, dead letters."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.auth.models import as_utc
from coordinator.events.models import utcnow
from coordinator.notifications.mail import message_id
from coordinator.notifications.models import DeliveryAttempt, OutboxMessage
from coordinator.notifications.sender import Sender
from coordinator.notifications.webhook import signing_secret
from tests.coordinator.disasters_support import assert_error
from tests.notifications.conftest import SIGNING_KEY, NotifyWorld, notify_settings
from tests.notifications.receivers import SmtpReceiver, WebhookReceiver, start_smtp
from tests.support import free_port


def _attempts(engine: Engine, outbox_id: int) -> list[DeliveryAttempt]:
    with Session(engine) as session:
        return list(session.exec(select(DeliveryAttempt).where(DeliveryAttempt.outbox_id == outbox_id)
                                 .order_by(col(DeliveryAttempt.id))))


def _row(engine: Engine, outbox_id: int) -> OutboxMessage:
    with Session(engine) as session:
        row = session.get(OutboxMessage, outbox_id)
        assert row is not None
        return row


def test_emails_arrive_in_japanese_utf8_plain_text_with_a_link_and_the_key(world: NotifyWorld, smtp: SmtpReceiver,
                                                                           db_url: str) -> None:
    settings = notify_settings(db_url, smtp)
    report = Sender(world.engine, settings).run_once()
    rows = world.outbox(channel="email")
    assert report.sent == len(rows) > 0 and report.dead == report.retried == 0
    assert {m.rcpt_tos[0] for m in smtp.messages} == {r.address for r in rows}
    mail = next(m.message for m in smtp.messages if m.rcpt_tos == ["requester@pref-ishikawa.example.jp"])
    row = next(r for r in rows if r.address == "requester@pref-ishikawa.example.jp")
    assert str(make_header(decode_header(mail["Subject"]))) == "災害宣言：能登半島地震"
    assert mail.get_content_type() == "text/plain" and mail.get_content_charset() == "utf-8"
    assert mail["Message-ID"] == message_id(row.key, settings) and mail["X-Ouen-Idempotency-Key"] == row.key
    assert mail["Auto-Submitted"] == "auto-generated" and mail["X-Ouen-Drill"] is None
    body = mail.get_content()
    assert body.splitlines()[0] == "災害宣言：能登半島地震"
    assert f"https://ouen.example.jp/disasters/{world.id}/association" in body
    assert "石川県国際交流協会" in body and "Disaster declared: 能登半島地震" in body
    assert all(r.status == "sent" and r.attempts == 1 and r.sent_at for r in world.outbox(channel="email"))
    assert [a.ok for a in _attempts(world.engine, row.id or 0)] == [True]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_smtp_over_tls_with_authentication(world: NotifyWorld, db_url: str, tls_files: tuple[Path, Path],
                                           security: str) -> None:
    relay = start_smtp(free_port(), security=security, cert=tls_files, login=("ouen", "secret-password"))
    try:
        good = notify_settings(db_url, None, smtp_host="127.0.0.1", smtp_port=relay.port, smtp_security=security,
                               smtp_user="ouen", smtp_password="secret-password", smtp_ca_file=tls_files[0])
        bad = good.model_copy(update={"smtp_password": type(good.smtp_password)("wrong")})
        refused = Sender(world.engine, bad).run_once()
        assert refused.sent == 0 and refused.retried == refused.claimed > 0  # refused login: retried later
        assert relay.messages == []
        assert "authentication" in (world.outbox(channel="email")[0].last_error or "")
        later = utcnow() + timedelta(hours=1)
        report = Sender(world.engine, good).run_once(now=later)
        assert report.sent == report.claimed > 0 and len(relay.messages) == report.sent
    finally:
        relay.stop()


def test_a_refused_recipient_is_a_dead_letter_at_once_others_go_on(world: NotifyWorld, smtp: SmtpReceiver,
                                                                   db_url: str) -> None:
    smtp.on_message = lambda m: "550 5.1.1 no such user" if "requester@" in m.rcpt_tos[0] else None
    report = Sender(world.engine, notify_settings(db_url, smtp)).run_once()
    dead = world.outbox(address="requester@pref-ishikawa.example.jp")[0]
    assert dead.status == "dead" and dead.attempts == 1 and "550" in (dead.last_error or "")
    assert report.dead == 1 and report.sent == report.claimed - 1


def test_failures_are_retried_with_doubling_back_off_then_dead_lettered_and_shown_to_the_secretariat(
        world: NotifyWorld, db_url: str) -> None:
    closed_port = free_port()  # nothing listens here: every connection is refused
    settings = notify_settings(db_url, None, smtp_host="127.0.0.1", smtp_port=closed_port, smtp_security="none",
                               notify_max_attempts=3, notify_backoff_seconds=10)
    sender = Sender(world.engine, settings)
    row_id = world.outbox(address="requester@pref-ishikawa.example.jp")[0].id or 0
    waits = []
    now = utcnow()
    for number in (1, 2, 3):
        assert sender.run_once(now=now).claimed > 0
        row = _row(world.engine, row_id)
        assert row.attempts == number
        if number < 3:  # the wait before the next attempt, from when this one started
            started = _attempts(world.engine, row_id)[-1].started_at
            waits.append(round((as_utc(row.next_attempt_at) - as_utc(started)).total_seconds()))
            assert sender.run_once().claimed == 0  # not due again yet
        now = utcnow() + timedelta(days=1)
    assert waits == [10, 20]
    row = _row(world.engine, row_id)
    assert row.status == "dead" and row.attempts == 3 and "refused" in (row.last_error or "").lower()
    attempts = _attempts(world.engine, row_id)
    assert [a.number for a in attempts] == [1, 2, 3] and not any(a.ok for a in attempts)
    # The secretariat sees the dead letters; staff may not.
    status = world.client.get("/api/v1/notifications/status", headers=world.headers("secretariat2")).json()
    assert status["counts"]["dead"]["email"] == len(world.outbox(channel="email")) and status["smtp_configured"]
    assert row_id in [d["id"] for d in status["dead"]]
    assert_error(world.client.get("/api/v1/notifications/status", headers=world.headers("requester")), 403)
    assert_error(world.client.get("/api/v1/notifications/outbox", headers=world.headers("coordinator")), 403)
    listed = world.client.get("/api/v1/notifications/outbox?status=dead", headers=world.headers("secretariat2"))
    assert row_id in [d["id"] for d in listed.json()]
    # Retry one: queued again, attempts start over, audited.
    retried = world.post(f"/api/v1/notifications/outbox/{row_id}/retry", "secretariat2")
    assert retried == {"retried": 1}
    assert _row(world.engine, row_id).status == "pending" and _row(world.engine, row_id).attempts == 0
    assert_error(world.client.post(f"/api/v1/notifications/outbox/{row_id}/retry",
                                   headers=world.headers("secretariat2")), 404, "outbox_id")


def test_back_off_doubles_and_is_capped(db_url: str) -> None:
    from coordinator.notifications.sender import backoff

    settings = notify_settings(db_url, None, notify_backoff_seconds=30, notify_backoff_max_seconds=200)
    assert [backoff(settings, n).total_seconds() for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_without_smtp_e_mails_wait_in_the_outbox(world: NotifyWorld, db_url: str) -> None:
    report = Sender(world.engine, notify_settings(db_url, None, notify_signing_key="")).run_once()
    assert report.claimed == 0
    assert {r.status for r in world.outbox()} == {"pending"} and all(r.attempts == 0 for r in world.outbox())


def test_webhooks_are_signed_json_and_slack_and_teams_get_their_shapes(world: NotifyWorld, db_url: str,
                                                                      webhooks: WebhookReceiver) -> None:
    created = {}
    for fmt in ("json", "slack", "teams"):
        body = {"channel": "webhook", "address": webhooks.url(f"/{fmt}"), "format": fmt, "label": fmt}
        contact = world.post("/api/v1/associations/pref_ishikawa/notification-addresses", "requester", body, 201)
        assert contact["signing_secret"] == signing_secret(SIGNING_KEY, contact["id"],
                                                           _nonce(world.engine, contact["id"]))
        webhooks.secrets[f"/{fmt}"] = contact["signing_secret"]
        created[fmt] = contact
    listed = world.client.get("/api/v1/associations/pref_ishikawa/notification-addresses",
                              headers=world.headers("requester"))
    assert [c["signing_secret"] for c in listed.json()] == [None, None, None]  # shown once only
    dispatch = world.dispatch_to("declined")  # a decline is told to the requester (Ishikawa)
    report = Sender(world.engine, notify_settings(db_url, None)).run_once()
    assert report.dead == 0
    by_path = {}
    for delivery in webhooks.deliveries:
        by_path.setdefault(delivery.headers.get("x-ouen-event"), []).append(delivery)
    assert all(d.signed_ok for d in webhooks.deliveries)
    declined = [d for d in webhooks.deliveries if d.headers["x-ouen-event"] == "dispatch.declined"]
    assert len(declined) == 3
    shapes = {tuple(sorted(d.json)) for d in declined}
    ours_delivery = next(d for d in declined if "id" in d.json)
    ours = ours_delivery.json
    assert ours["type"] == "dispatch.declined" and ours["entity_id"] == str(dispatch["id"])
    assert ours["title_ja"] == "辞退：とやま国際センターが災害多言語支援センター要員（ベトナム語）1名の派遣を辞退"
    assert "人員不足" in ours["text_ja"]
    assert ours["id"] == ours_delivery.headers["x-ouen-idempotency-key"] and ours["drill"] is False
    slack = next(d.json for d in declined if "text" in d.json)
    assert slack["text"].startswith("辞退：") and f"/disasters/{world.id}/association|開く / Open>" in slack["text"]
    teams = next(d.json for d in declined if d.json.get("type") == "message")
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard" and card["content"]["body"][0]["text"].startswith("辞退：")
    assert len(shapes) == 3


def _nonce(engine: Engine, address_id: int) -> str:
    from coordinator.notifications.models import NotificationAddress

    with Session(engine) as session:
        contact = session.get(NotificationAddress, address_id)
        assert contact is not None and contact.secret_nonce
        return contact.secret_nonce


def test_a_receiver_refuses_a_bad_signature_and_a_failing_webhook_is_retried(world: NotifyWorld, db_url: str,
                                                                            webhooks: WebhookReceiver) -> None:
    contact = world.post("/api/v1/associations/pref_ishikawa/notification-addresses", "requester",
                         {"channel": "webhook", "address": webhooks.url("/hook")}, 201)
    webhooks.secrets["/hook"] = "whsec_not_the_right_one"
    world.dispatch_to("declined")
    sender = Sender(world.engine, notify_settings(db_url, None))
    sender.run_once()
    row = world.outbox(address_id=contact["id"])[0]
    assert row.status == "dead" and "401" in (row.last_error or "")  # a 401 will not change: no retry
    assert webhooks.kept == {}
    webhooks.secrets["/hook"] = contact["signing_secret"]
    webhooks.fail_next = 1
    world.post(f"/api/v1/notifications/outbox/{row.id}/retry", "secretariat2")
    sender.run_once()
    assert _row(world.engine, row.id or 0).status == "pending"  # 500: retried later
    sender.run_once(now=utcnow() + timedelta(hours=1))
    assert _row(world.engine, row.id or 0).status == "sent" and list(webhooks.kept) == [row.key]


def test_contacts_are_validated_and_only_their_association_or_the_secretariat_manage_them(
        world: NotifyWorld) -> None:
    url = "/api/v1/associations/pref_ishikawa/notification-addresses"
    post = world.client.post
    assert_error(post(url, json={"channel": "email", "address": "not-an-address"}, headers=world.headers("requester")),
                 422, "address")
    assert_error(post(url, json={"channel": "webhook", "address": "ftp://x.example.jp/"},
                      headers=world.headers("requester")), 422, "address")
    assert_error(post(url, json={"channel": "email", "address": "a@b.jp", "topics": ["weather"]},
                      headers=world.headers("requester")), 422, "topics")
    assert_error(post(url, json={"channel": "email", "address": "office@ifie.example.jp"},
                      headers=world.headers("toyama")), 403)
    made = post(url, json={"channel": "email", "address": "Office@IFIE.Example.JP", "topics": ["requests"]},
                headers=world.headers("secretariat2"))
    assert made.status_code == 201 and made.json()["address"] == "Office@ifie.example.jp"
    assert_error(world.client.delete(f"/api/v1/notifications/addresses/{made.json()['id']}",
                                     headers=world.headers("toyama")), 403)
    assert world.client.delete(f"/api/v1/notifications/addresses/{made.json()['id']}",
                               headers=world.headers("requester")).status_code == 204
    assert world.client.get(url, headers=world.headers("requester")).json() == []
    events = world.client.get(f"/api/v1/disasters/{world.id}/events", headers=world.headers("secretariat2"))
    assert events.status_code == 200  # contact events belong to no disaster, so they are not on its timeline
