"""The transactional outbox: notifications written in the transaction of their event, just before it commits.

`coordinator.events.service` calls `write_outbox` from its before-commit hook with the events the
transaction recorded (through `record_event`, the one event writer). So a state change, its event, its
in-app notifications and its outbox messages commit together or not at all; the sender delivers only what
committed. After the commit, `wake_senders` tells the senders of this process to look at once.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, col, select

from coordinator.auth.models import as_utc
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.events.models import Event
from coordinator.notifications.models import InAppNotification, OutboxMessage
from coordinator.notifications.recipients import bulletin_recipients, recipients
from coordinator.notifications.rules import BULLETIN_TYPES, NOTIFYING_TYPES, Lookups, audiences_of, merge

_PLANNED = "notify_planned_events"
_WRITTEN = "notify_outbox_written"
_wakers: list[Callable[[], None]] = []
_wakers_lock = threading.Lock()


def idempotency_key(event: Event, channel: str, address: str) -> str:
    """The stable key of (event, recipient, channel): the same on every attempt, unique across databases."""
    stamp = as_utc(event.created_at).isoformat()
    text = f"{event.seq}|{stamp}|{channel}|{address.strip().lower()}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def write_outbox(session: Session, events: list[Event]) -> int:
    """Add in-app notifications and outbox messages for the transaction's events; returns how many rows."""
    planned: set[int] = session.info.setdefault(_PLANNED, set())
    due = [e for e in events if e.type in NOTIFYING_TYPES and id(e) not in planned
           and (e.disaster_id is not None or e.type in BULLETIN_TYPES)]
    if not due:
        return 0
    planned.update(id(e) for e in due)
    session.flush()  # the events' seq numbers
    lookups = Lookups(lambda ids: list(session.exec(select(Dispatch).where(col(Dispatch.id).in_(ids)))) if ids else [])
    written = 0
    for event in due:
        disaster = session.get(Disaster, event.disaster_id) if event.disaster_id is not None else None
        if disaster is None and event.type not in BULLETIN_TYPES:
            continue
        audiences = merge(audiences_of(event, disaster, lookups))
        if not audiences:
            continue  # e.g. each proposal of a committed plan: the plan's own event tells the approvers
        assert event.seq is not None
        if event.type in BULLETIN_TYPES:
            told = bulletin_recipients(session, event=event, audiences=audiences)
        else:
            assert disaster is not None
            dispatch = session.get(Dispatch, int(event.entity_id)) if event.entity == "dispatch" else None
            told = recipients(session, event=event, disaster=disaster, audiences=audiences, dispatch=dispatch)
        for recipient in told:
            audience = recipient.audience
            if recipient.channel == "in_app":
                session.add(InAppNotification(
                    user_id=recipient.user_id or 0, event_seq=event.seq, event_type=event.type,
                    disaster_id=event.disaster_id, mode=event.mode, audience=audience.kind, link=audience.link,
                    essential=audience.essential, created_at=event.created_at))
            else:
                contact = recipient.contact
                session.add(OutboxMessage(
                    key=idempotency_key(event, recipient.channel, recipient.address), event_seq=event.seq,
                    event_type=event.type, disaster_id=event.disaster_id, mode=event.mode,
                    channel=recipient.channel, address=recipient.address,
                    format=contact.format if contact is not None else "plain",
                    user_id=recipient.user_id, address_id=contact.id if contact is not None else None,
                    association_id=recipient.association_id, audience=audience.kind, link=audience.link,
                    next_attempt_at=event.created_at, created_at=event.created_at))
            written += 1
    if written:
        session.info[_WRITTEN] = True
    return written


def forget(session: Session, *, committed: bool) -> None:
    """End of the transaction: wake the senders if it committed outbox messages."""
    session.info.pop(_PLANNED, None)
    if session.info.pop(_WRITTEN, False) and committed:
        wake_senders()


def wake_after_commit(session: Session) -> None:
    """Wake the senders once this session's transaction commits (messages queued without an event row)."""
    session.info[_WRITTEN] = True


def add_waker(waker: Callable[[], None]) -> None:
    """Call `waker` (thread-safe, non-blocking) after every commit that wrote notifications."""
    with _wakers_lock:
        _wakers.append(waker)


def remove_waker(waker: Callable[[], None]) -> None:
    """Stop calling a waker added with add_waker."""
    with _wakers_lock:
        if waker in _wakers:
            _wakers.remove(waker)


def wake_senders() -> None:
    """Tell every sender of this process that new messages may be waiting."""
    with _wakers_lock:
        wakers = list(_wakers)
    for waker in wakers:
        waker()


def rows_of(session: Session, event_seq: int) -> dict[str, Any]:
    """The in-app notifications and outbox messages of one event (for tests and `ouen notify status`)."""
    return {
        "in_app": list(session.exec(select(InAppNotification).where(InAppNotification.event_seq == event_seq))),
        "outbox": list(session.exec(select(OutboxMessage).where(OutboxMessage.event_seq == event_seq))),
    }
