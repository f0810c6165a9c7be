"""Fixtures of the notification tests: real SMTP and webhook receivers, and a world whose people have
e-mail addresses before anything is declared (so the declaration itself notifies them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from coordinator.app import create_app
from coordinator.auth.models import User
from coordinator.disasters.models import AreaInput
from coordinator.disasters.service import preview_declaration
from coordinator.notifications.models import InAppNotification, OutboxMessage
from coordinator.settings import Settings
from tests.coordinator.disasters_support import FUKUI, ISHIKAWA, TOYAMA, declare, need_body, offer_body
from tests.notifications.receivers import SmtpReceiver, WebhookReceiver, self_signed_certificate, start_smtp
from tests.support import free_port

SIGNING_KEY = "test-signing-key-0123456789"


def notify_settings(db_url: str, smtp: SmtpReceiver | None = None, **overrides: Any) -> Settings:
    """Settings for a test app: SMTP on the receiver (plain), webhooks signed, jobs not in the app."""
    values: dict[str, Any] = {"database_url": db_url, "jobs_in_app": False, "public_url": "https://ouen.example.jp",
                              "notify_signing_key": SIGNING_KEY, "smtp_from": "ouen@example.jp",
                              "notify_backoff_seconds": 10, "notify_lease_seconds": 60}
    if smtp is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none")
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    """A plain SMTP receiver on a loopback port."""
    receiver = start_smtp(free_port())
    yield receiver
    receiver.stop()


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    return self_signed_certificate(tmp_path)


@pytest.fixture
def webhooks() -> Iterator[WebhookReceiver]:
    """An HTTP receiver that verifies signatures and drops duplicate keys."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def notify_app(db_url: str, engine: Engine, smtp: SmtpReceiver) -> FastAPI:
    """The app on the test database, e-mail going to the `smtp` receiver; the sender is run by the test."""
    return create_app(notify_settings(db_url, smtp), engine=engine)


@pytest.fixture
def notify_client(notify_app: FastAPI) -> Iterator[TestClient]:
    """A client on notify_app."""
    with TestClient(notify_app) as client:
        yield client


class NotifyWorld:
    """People of every role with e-mail addresses, then a live disaster for prefecture 17 declared."""

    def __init__(self, client: TestClient, engine: Engine, make_user: Callable[..., Any],
                 auth: Callable[[str], dict[str, str]], *, mode: str = "live", prefectures: list[str] | None = None,
                 name: str = "能登半島地震") -> None:
        self.client, self.engine = client, engine
        prefectures = prefectures or ["17"]
        preview = preview_declaration(area=AreaInput(prefectures=prefectures), mode=mode)
        coordinators = {c["block"]: c["association_id"] for c in preview["acting_coordinators"]}
        self.coordinator_id = coordinators["tokai_hokuriku"]
        self.coordinator_ids = set(coordinators.values())
        self.outsider_id = next(a for a in ("pref_shiga", "pref_nara", "pref_wakayama", "pref_kyoto", "pref_hyogo")
                                if a not in self.coordinator_ids)
        self.users: dict[str, tuple[User, dict[str, str]]] = {}
        for key, role, association in (("secretariat", "secretariat", "clair"),
                                       ("secretariat2", "secretariat", "clair"),
                                       ("coordinator", "staff", self.coordinator_id),
                                       ("requester", "staff", ISHIKAWA), ("toyama", "staff", TOYAMA),
                                       ("fukui", "staff", FUKUI), ("outsider", "staff", self.outsider_id),
                                       ("observer", "observer", None)):
            user, token = make_user(role, association)
            self.set_email(user.id, f"{key}@{(association or 'observer').replace('_', '-')}.example.jp")
            self.users[key] = (user, auth(token))
        for block, association in coordinators.items():
            if association != self.coordinator_id:
                user, token = make_user("staff", association)
                self.set_email(user.id, f"coordinator-{block}@example.jp")
                self.users[f"coordinator:{block}"] = (user, auth(token))
        self.disaster = declare(client, self.headers("secretariat"), prefectures=prefectures, mode=mode, name=name)
        self.id = self.disaster["id"]

    def set_email(self, user_id: int | None, email: str) -> None:
        """Give a user an e-mail address (straight in the database, as an administrator would)."""
        with Session(self.engine) as session:
            session.execute(update(User).where(col(User.id) == user_id).values(email=email))
            session.commit()

    def user(self, key: str) -> User:
        """A user of the world by key."""
        return self.users[key][0]

    def headers(self, key: str) -> dict[str, str]:
        """The bearer headers of a user of the world."""
        return self.users[key][1]

    def post(self, path: str, key: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        """POST as one of the world's users; asserts the status."""
        response = self.client.post(path, json=body, headers=self.headers(key))
        assert response.status_code == status, response.text
        return response.json() if response.content else None

    def dispatch_to(self, state: str, supplier: str = TOYAMA) -> dict[str, Any]:
        """A need of Ishikawa, an offer of the supplier, a stage-1 dispatch moved to `state`."""
        supplier_key = "toyama" if supplier == TOYAMA else "fukui"
        need = self.post(f"/api/v1/disasters/{self.id}/needs", "requester", need_body(headcount=2), 201)
        self.post(f"/api/v1/disasters/{self.id}/offers", supplier_key, offer_body(headcount=5), 201)
        dispatch = self.post(f"/api/v1/disasters/{self.id}/dispatches", "coordinator",
                             {"need_id": need["id"], "supplier_id": supplier, "headcount": 1}, 201)
        steps = {"approve": "coordinator", "request": "coordinator", "accept": supplier_key, "depart": supplier_key,
                 "arrive": "requester", "complete": supplier_key, "decline": supplier_key, "cancel": "coordinator"}
        path = {"proposed": [], "approved": ["approve"], "requested": ["approve", "request"],
                "accepted": ["approve", "request", "accept"], "declined": ["approve", "request", "decline"],
                "cancelled": ["approve", "request", "cancel"],
                "completed": ["approve", "request", "accept", "depart", "arrive", "complete"]}[state]
        bodies = {"accept": {"expected_cost_yen": 50000}, "decline": {"reason": "人員不足 / short of people"},
                  "cancel": {"reason": "状況の変化 / situation changed"}}
        for action in path:
            dispatch = self.post(f"/api/v1/dispatches/{dispatch['id']}/{action}", steps[action], bodies.get(action))
        return dispatch

    def in_app(self, key: str) -> list[InAppNotification]:
        """The in-app notification rows of one user."""
        with Session(self.engine) as session:
            return list(session.exec(select(InAppNotification).where(
                InAppNotification.user_id == self.user(key).id).order_by(col(InAppNotification.id))))

    def outbox(self, **where: Any) -> list[OutboxMessage]:
        """Outbox rows, filtered by column values."""
        with Session(self.engine) as session:
            query = select(OutboxMessage)
            for name, value in where.items():
                query = query.where(getattr(OutboxMessage, name) == value)
            return list(session.exec(query.order_by(col(OutboxMessage.id))))


@pytest.fixture
def world(notify_client: TestClient, engine: Engine, make_user, auth) -> NotifyWorld:
    """A live disaster for prefecture 17 declared by the secretariat, everybody with an e-mail address."""
    return NotifyWorld(notify_client, engine, make_user, auth)
