"""The sender: claims due outbox messages, delivers them after their commit, records every attempt.

At most once more: a message is claimed (a lease), sent, then marked sent in its own short transaction. A
crash between sending and marking leaves it pending; when the lease runs out it is sent again with the same
idempotency key (Message-ID, X-Ouen-Idempotency-Key), which the receiver uses to drop the duplicate.
Several senders (app instances, `ouen notify run`) share the outbox: a claim is a conditional UPDATE, so
each message is taken by one of them. Failures are retried with doubling back-off; after
OUEN_NOTIFY_MAX_ATTEMPTS, or at once on a permanent refusal, the message is a dead letter.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import bindparam, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from coordinator.auth.models import as_utc
from coordinator.db import unit_of_work
from coordinator.disasters.models import Disaster
from coordinator.events.models import Event, utcnow
from coordinator.events.service import record_event
from coordinator.needs.models import Need
from coordinator.notifications.mail import DeliveryError, SmtpConnection, build_email, smtp_configured
from coordinator.notifications.models import (
    DEAD,
    EMAIL,
    PENDING,
    SENT,
    SUPPRESSED,
    WEBHOOK,
    DeliveryAttempt,
    NotificationAddress,
    OutboxMessage,
)
from coordinator.notifications.outbox import add_waker, remove_waker
from coordinator.notifications.render import Message, Names, render
from coordinator.notifications.webhook import payload, post, signing_secret
from coordinator.settings import Settings

log = logging.getLogger("ouen.notify")


@dataclass
class Report:
    """What one pass of the sender did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    dead: int = 0
    suppressed: int = 0
    errors: list[str] = field(default_factory=list)


def public_url(settings: Settings) -> str:
    """The base URL of links in messages: OUEN_PUBLIC_URL, else the served host and port."""
    return (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")


def channels_ready(settings: Settings) -> list[str]:
    """Channels that can deliver now: e-mail needs OUEN_SMTP_HOST, webhooks OUEN_NOTIFY_SIGNING_KEY."""
    ready = [EMAIL] if smtp_configured(settings) else []
    if settings.notify_signing_key.get_secret_value():
        ready.append(WEBHOOK)
    return ready


def drill_allows(settings: Settings, address: str) -> bool:
    """Whether a drill may send to this address (OUEN_NOTIFY_DRILL_RECIPIENTS; empty: nobody)."""
    address = address.strip().lower()
    for allowed in settings.notify_drill_recipients:
        allowed = allowed.strip().lower()
        if allowed == "*" or allowed == address or (allowed.startswith("@") and address.endswith(allowed)):
            return True
    return False


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait before attempt number `attempts + 1`: doubling from OUEN_NOTIFY_BACKOFF_SECONDS, capped."""
    seconds = settings.notify_backoff_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.notify_backoff_max_seconds))


def claim(engine: Engine, settings: Settings, *, now: datetime | None = None,
          limit: int | None = None) -> list[OutboxMessage]:
    """Take up to `limit` due messages of the ready channels for this sender (a lease), detached."""
    now = as_utc(now or utcnow())
    ready = channels_ready(settings)
    if not ready:
        return []
    token = secrets.token_hex(8)
    free = or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now)
    with Session(engine, expire_on_commit=False) as session, unit_of_work(session):
        ids = list(session.exec(
            select(OutboxMessage.id).where(OutboxMessage.status == PENDING, col(OutboxMessage.next_attempt_at) <= now,
                                           col(OutboxMessage.channel).in_(ready), free)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(limit or settings.notify_batch)))
        if not ids:
            session.rollback()
            return []
        session.execute(update(OutboxMessage)
                        .where(col(OutboxMessage.id).in_(ids), OutboxMessage.status == PENDING, free)
                        .values(claim=token, claimed_until=now + timedelta(seconds=settings.notify_lease_seconds))
                        .execution_options(synchronize_session=False))
        session.commit()
        rows = list(session.exec(select(OutboxMessage).where(OutboxMessage.claim == token,
                                                             OutboxMessage.status == PENDING)
                                 .order_by(col(OutboxMessage.id))))
        session.commit()
        return rows


class _Marks:
    """Results written in small batches: one short transaction per `every` messages or `seconds`.

    A crash loses at most the unwritten batch: those messages are sent once more, with the same keys.
    """

    def __init__(self, engine: Engine, settings: Settings, report: Report, *, every: int = 50,
                 seconds: float = 0.5) -> None:
        self.engine, self.settings, self.report = engine, settings, report
        self.every, self.seconds = every, seconds
        self.lock = threading.Lock()
        self.rows: list[dict[str, object]] = []
        self.attempts: list[dict[str, object]] = []
        self.since = time.monotonic()

    def add(self, row: OutboxMessage, *, started: datetime, milliseconds: int, error: DeliveryError | None,
            suppressed: bool = False) -> str:
        """Record one result (written with the next batch); returns the message's new status."""
        attempts = row.attempts + (0 if suppressed else 1)
        values: dict[str, object] = {"b_id": row.id, "b_attempts": attempts, "b_sent_at": None,
                                     "b_next": row.next_attempt_at, "b_error": str(error) if error else None}
        if suppressed:
            values.update(b_status=SUPPRESSED, b_error="drill: address not in OUEN_NOTIFY_DRILL_RECIPIENTS")
        elif error is None:
            values.update(b_status=SENT, b_sent_at=utcnow())
        elif error.permanent or attempts >= self.settings.notify_max_attempts:
            values.update(b_status=DEAD)
        else:
            values.update(b_status=PENDING, b_next=utcnow() + backoff(self.settings, attempts))
        status = str(values["b_status"])
        with self.lock:
            self.rows.append(values)
            if not suppressed:
                self.attempts.append({"outbox_id": row.id, "number": attempts, "started_at": started,
                                      "ok": error is None, "error": str(error) if error else None,
                                      "milliseconds": milliseconds})
            counter = {SENT: "sent", DEAD: "dead", SUPPRESSED: "suppressed"}.get(status, "retried")
            setattr(self.report, counter, getattr(self.report, counter) + 1)
            if error is not None:
                self.report.errors.append(str(error))
            if len(self.rows) >= self.every or time.monotonic() - self.since >= self.seconds:
                self._write()
        if status == DEAD:
            log.warning("notification %s to %s is a dead letter: %s", row.id, row.channel, error)
        return status

    def flush(self) -> None:
        """Write what is left."""
        with self.lock:
            self._write()

    def _write(self) -> None:
        self.since = time.monotonic()
        if not self.rows:
            return
        table = OutboxMessage.__table__  # type: ignore[attr-defined]
        statement = (table.update().where(table.c.id == bindparam("b_id"), table.c.status == PENDING)
                     .values(status=bindparam("b_status"), attempts=bindparam("b_attempts"), claim=None,
                             claimed_until=None, last_error=bindparam("b_error"), sent_at=bindparam("b_sent_at"),
                             next_attempt_at=bindparam("b_next")))
        with self.engine.begin() as connection:
            connection.execute(statement, self.rows)
            if self.attempts:
                connection.execute(DeliveryAttempt.__table__.insert(), self.attempts)  # type: ignore[attr-defined]
        self.rows, self.attempts = [], []


@dataclass
class _Context:
    """What rendering a batch needs, read once."""

    events: dict[int, Event]
    disasters: dict[int, Disaster]
    needs: dict[int, Need]
    contacts: dict[int, NotificationAddress]
    names: Names


def _context(engine: Engine, rows: list[OutboxMessage]) -> _Context:
    with Session(engine, expire_on_commit=False) as session:
        events = {e.seq: e for e in session.exec(select(Event).where(col(Event.seq).in_({r.event_seq for r in rows})))}
        disaster_ids = {r.disaster_id for r in rows if r.disaster_id is not None}
        disasters = {d.id: d for d in session.exec(select(Disaster).where(col(Disaster.id).in_(disaster_ids)))}
        need_ids = {int(e.payload["need_id"]) for e in events.values() if (e.payload or {}).get("need_id")}
        needs = {n.id: n for n in session.exec(select(Need).where(col(Need.id).in_(need_ids)))} if need_ids else {}
        contact_ids = {r.address_id for r in rows if r.address_id is not None}
        query = select(NotificationAddress).where(col(NotificationAddress.id).in_(contact_ids))
        contacts = {c.id: c for c in session.exec(query)} if contact_ids else {}
        names = Names(session)
    return _Context(events, disasters, needs, contacts, names)  # type: ignore[arg-type]


def message_of(row: OutboxMessage, context: _Context) -> tuple[Message, Event] | None:
    """The rendered message of an outbox row, or None when its event or disaster is gone (purged)."""
    event = context.events.get(row.event_seq)
    disaster = context.disasters.get(row.disaster_id or 0)
    if event is None or (disaster is None and row.disaster_id is not None):
        return None
    need = context.needs.get(int((event.payload or {}).get("need_id") or 0))
    return render(event, disaster, audience=row.audience, link=row.link, names=context.names, need=need,
                  association_id=row.association_id), event


class Sender:
    """Delivers the outbox of one database; `run_once` for one pass, `run` as a background task."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings

    def run_once(self, *, now: datetime | None = None) -> Report:
        """Claim one batch and deliver it (blocking; run it in a worker thread from async code).

        OUEN_NOTIFY_WORKERS connections per channel work in parallel, each on its share of the batch.
        """
        report = Report()
        rows = claim(self.engine, self.settings, now=now)
        report.claimed = len(rows)
        if not rows:
            return report
        context = _context(self.engine, rows)
        base = public_url(self.settings)
        marks = _Marks(self.engine, self.settings, report)
        workers = max(1, self.settings.notify_workers)
        shares = [(self._deliver_emails, [r for r in rows if r.channel == EMAIL][i::workers]) for i in range(workers)]
        shares += [(self._deliver_webhooks, [r for r in rows if r.channel == WEBHOOK][i::workers])
                   for i in range(workers)]
        shares = [(deliver, share) for deliver, share in shares if share]
        try:
            with ThreadPoolExecutor(max_workers=len(shares), thread_name_prefix="ouen-notify") as pool:
                for done in [pool.submit(deliver, share, context, base, marks) for deliver, share in shares]:
                    done.result()
        finally:
            marks.flush()
        return report

    def _allowed(self, row: OutboxMessage) -> bool:
        return row.mode != "drill" or drill_allows(self.settings, row.address)

    def _skip(self, row: OutboxMessage, marks: _Marks, *, suppressed: bool) -> None:
        if suppressed:
            marks.add(row, started=utcnow(), milliseconds=0, error=None, suppressed=True)
        else:  # the event is gone (a purged drill): nothing left to say
            marks.add(row, started=utcnow(), milliseconds=0,
                      error=DeliveryError("the event no longer exists", permanent=True))

    def _deliver_emails(self, rows: list[OutboxMessage], context: _Context, base: str, marks: _Marks) -> None:
        relay_down: DeliveryError | None = None
        with SmtpConnection(self.settings) as smtp:
            for row in rows:
                rendered = message_of(row, context)
                if rendered is None or not self._allowed(row):
                    self._skip(row, marks, suppressed=rendered is not None)
                    continue
                started, clock = utcnow(), time.perf_counter()
                error: DeliveryError | None = relay_down  # the relay failed: do not wait on it once per message
                if error is None:
                    try:
                        smtp.send(build_email(rendered[0], to=row.address, key=row.key, url=base + row.link,
                                              event_type=row.event_type, settings=self.settings))
                    except DeliveryError as failure:
                        error = failure
                        relay_down = failure if failure.connection else None
                marks.add(row, started=started, milliseconds=int((time.perf_counter() - clock) * 1000), error=error)

    def _deliver_webhooks(self, rows: list[OutboxMessage], context: _Context, base: str, marks: _Marks) -> None:
        key = self.settings.notify_signing_key.get_secret_value()
        with httpx.Client(timeout=self.settings.notify_webhook_timeout_seconds, follow_redirects=False) as client:
            for row in rows:
                rendered = message_of(row, context)
                if rendered is None or not self._allowed(row):
                    self._skip(row, marks, suppressed=rendered is not None)
                    continue
                message, event = rendered
                contact = context.contacts.get(row.address_id or 0)
                secret = signing_secret(key, contact.id or 0, contact.secret_nonce) \
                    if contact is not None and contact.secret_nonce else None
                data = payload(message, event=event, key=row.key, url=base + row.link, fmt=row.format,
                               association_id=row.association_id, audience=row.audience)
                started, clock = utcnow(), time.perf_counter()
                error: DeliveryError | None = None
                try:
                    post(client, row.address, data, key=row.key, event_type=row.event_type, secret=secret)
                except DeliveryError as failure:
                    error = failure
                marks.add(row, started=started, milliseconds=int((time.perf_counter() - clock) * 1000), error=error)

    def next_due(self) -> datetime | None:
        """When the earliest pending message of a ready channel becomes due (None: nothing pending)."""
        ready = channels_ready(self.settings)
        if not ready:
            return None
        with Session(self.engine) as session:
            due = session.exec(select(func.min(OutboxMessage.next_attempt_at)).where(
                OutboxMessage.status == PENDING, col(OutboxMessage.channel).in_(ready))).one()
        return as_utc(due) if due is not None else None

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until `stop` is set: after every commit that wrote messages, and every poll period."""
        loop = asyncio.get_running_loop()
        wake = asyncio.Event()

        def waker() -> None:
            loop.call_soon_threadsafe(wake.set)

        add_waker(waker)
        try:
            while not stop.is_set():
                wake.clear()
                try:
                    report = await asyncio.to_thread(self.run_once)
                except Exception:  # a failed pass must not stop the sender; the next pass retries
                    log.exception("notification sender pass failed")
                    report = Report()
                if report.claimed >= self.settings.notify_batch:
                    continue  # more is waiting
                timeout = self.settings.notify_poll_seconds
                with contextlib.suppress(Exception):
                    due = await asyncio.to_thread(self.next_due)
                    if due is not None:
                        timeout = max(0.05, min(timeout, (due - utcnow()).total_seconds()))
                waiters = {asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())}
                _, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
        finally:
            remove_waker(waker)


def requeue_dead(session: Session, *, ids: Iterable[int] = (), actor_user_id: int | None = None,
                 actor_association_id: str | None = None) -> int:
    """Put dead letters (the ids given, or all) back in the queue with an audit event; the caller commits."""
    ids = list(ids)
    query = update(OutboxMessage).where(OutboxMessage.status == DEAD)
    if ids:
        query = query.where(col(OutboxMessage.id).in_(ids))
    result = session.execute(query.values(status=PENDING, attempts=0, next_attempt_at=utcnow(), claim=None,
                                          claimed_until=None).execution_options(synchronize_session=False))
    count = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if count:
        record_event(session, type="notify.retried", entity="notification_outbox",
                     entity_id=ids[0] if len(ids) == 1 else 0, actor_user_id=actor_user_id,
                     actor_association_id=actor_association_id, payload={"ids": ids, "count": count})
    return count
