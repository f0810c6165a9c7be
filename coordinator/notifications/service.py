"""Notification use cases: the caller's in-app list, preferences, association addresses, the outbox."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from coordinator.associations.models import Association
from coordinator.auth.models import User
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.errors import Conflict, NotFound, invalid
from coordinator.events.models import Event, utcnow
from coordinator.events.service import record_event
from coordinator.needs.models import Need
from coordinator.notifications import policy
from coordinator.notifications.mail import smtp_configured
from coordinator.notifications.models import (
    CHANNELS,
    DEAD,
    EMAIL,
    PENDING,
    STATUSES,
    WEBHOOK,
    AddressCreate,
    AddressPublic,
    InAppNotification,
    NotificationAddress,
    NotificationList,
    NotificationPublic,
    OutboxMessage,
    OutboxPublic,
    OutboxStatus,
    Preference,
    PreferencesPublic,
    PreferencesUpdate,
    TopicPreference,
    as_public,
)
from coordinator.notifications.outbox import wake_after_commit
from coordinator.notifications.render import Names, render
from coordinator.notifications.rules import NOTIFYING_TYPES, TOPIC_IDS, TOPICS, essential_types
from coordinator.notifications.sender import requeue_dead
from coordinator.notifications.webhook import new_nonce, signing_secret
from coordinator.settings import Settings

MAX_LIST = 200
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def valid_email(value: str, field: str = "email") -> str:
    """A trimmed e-mail address with a lower-case domain, or Invalid naming the field."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.match(value):
        raise invalid(field, f"{value[:60]!r} is not an e-mail address",
                       f"{value[:60]!r} はメールアドレスではありません")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def valid_webhook_url(value: str) -> str:
    """An http(s) URL with a host, or Invalid naming `address`."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid("address", "a webhook is an http:// or https:// URL",
                       "Webhook は http:// または https:// で始まるURLです")
    return value


def _topics(topics: list[str], field: str = "topics") -> list[str]:
    unknown = sorted(set(topics) - set(TOPIC_IDS))
    if unknown:
        raise invalid(field, f"unknown topic {unknown[0]!r} (known: {', '.join(TOPIC_IDS)})",
                       f"通知の種類 {unknown[0]!r} はありません（{'・'.join(TOPIC_IDS)}）")
    return [t for t in TOPIC_IDS if t in set(topics)]


# ---------------------------------------------------------------------------------------------------
# The caller's in-app notifications
# ---------------------------------------------------------------------------------------------------

def unread_count(session: Session, *, actor: User) -> int:
    """How many of the caller's notifications are unread."""
    return int(session.exec(select(func.count()).select_from(InAppNotification).where(
        InAppNotification.user_id == actor.id, col(InAppNotification.read_at).is_(None))).one())


def list_notifications(session: Session, *, actor: User, limit: int = 30,
                       unread_only: bool = False) -> NotificationList:
    """The caller's notifications, newest first, each in both languages, and the unread count."""
    if not 1 <= limit <= MAX_LIST:
        raise invalid("limit", f"must be between 1 and {MAX_LIST}", f"1 から {MAX_LIST} の範囲で指定してください")
    query = select(InAppNotification).where(InAppNotification.user_id == actor.id)
    if unread_only:
        query = query.where(col(InAppNotification.read_at).is_(None))
    rows = list(session.exec(query.order_by(col(InAppNotification.id).desc()).limit(limit)))
    events = {e.seq: e for e in session.exec(select(Event).where(col(Event.seq).in_([r.event_seq for r in rows])))}
    disasters = {d.id: d for d in session.exec(select(Disaster).where(
        col(Disaster.id).in_({r.disaster_id for r in rows if r.disaster_id})))}
    need_ids = {int(e.payload["need_id"]) for e in events.values() if (e.payload or {}).get("need_id")}
    needs = {n.id: n for n in session.exec(select(Need).where(col(Need.id).in_(need_ids)))} if need_ids else {}
    names = Names(session)
    items = []
    for row in rows:
        event, disaster = events.get(row.event_seq), disasters.get(row.disaster_id)
        if event is None or (disaster is None and row.disaster_id is not None):
            continue  # purged with its drill
        need = needs.get(int((event.payload or {}).get("need_id") or 0))
        message = render(event, disaster, audience=row.audience, link=row.link, names=names, need=need,
                         association_id=actor.association_id)
        items.append(NotificationPublic(
            id=row.id or 0, event_seq=row.event_seq, event_type=row.event_type, disaster_id=row.disaster_id,
            mode=row.mode, title_ja=message.title_ja, title_en=message.title_en,
            body_ja="\n".join(line for line in message.lines_ja if line),
            body_en="\n".join(line for line in message.lines_en if line), link=row.link,
            essential=row.essential, created_at=row.created_at, read_at=row.read_at))
    unread = unread_count(session, actor=actor)
    drill_open = session.exec(select(Disaster.id).where(Disaster.mode == "drill", Disaster.status == "open")
                              .limit(1)).first() is not None
    return NotificationList(unread=unread, items=items, types=sorted(NOTIFYING_TYPES),
                            watch_modes=["live", "drill"] if drill_open else ["live"])


@writes
def mark_read(session: Session, *, actor: User, ids: list[int], all_: bool = False) -> int:
    """Mark the caller's notifications read (the ids given, or all); returns the unread count left."""
    if not ids and not all_:
        raise invalid("ids", "give the ids to mark read, or all: true",
                       "既読にする通知の id か all: true を指定してください")
    query = update(InAppNotification).where(col(InAppNotification.user_id) == actor.id,
                                            col(InAppNotification.read_at).is_(None))
    if not all_:
        query = query.where(col(InAppNotification.id).in_(ids))
    session.execute(query.values(read_at=utcnow()).execution_options(synchronize_session=False))
    return unread_count(session, actor=actor)


# ---------------------------------------------------------------------------------------------------
# Preferences
# ---------------------------------------------------------------------------------------------------

def preferences(session: Session, *, actor: User) -> PreferencesPublic:
    """The caller's e-mail address and channels per topic (absent choices: both channels on)."""
    chosen = {p.topic: p for p in session.exec(select(Preference).where(Preference.user_id == actor.id))}
    essential = essential_types()
    topics = [TopicPreference(topic=t.id, name_ja=t.name_ja, name_en=t.name_en,
                              email=chosen[t.id].email if t.id in chosen else True,
                              in_app=chosen[t.id].in_app if t.id in chosen else True,
                              essential_types=essential.get(t.id, [])) for t in TOPICS]
    user = session.get(User, actor.id)
    email = user.email if user is not None else None
    return PreferencesPublic(email=email, topics=topics)


@writes
def update_preferences(session: Session, *, actor: User, data: PreferencesUpdate) -> PreferencesPublic:
    """Change the caller's e-mail address and per-topic channels (one transaction)."""
    _topics([choice.topic for choice in data.topics], "topics")
    email = valid_email(data.email) if data.set_email and data.email else None
    user = session.get(User, actor.id, with_for_update=True)
    if user is None:
        raise NotFound("user: not found", "user：利用者が見つかりません", field="user")
    if data.set_email and user.email != email:
        user.email = email
        session.add(user)
        session.flush()
        # The address itself stays out of the event log; its domain shows where mail now goes.
        record_event(session, type="notify.email_changed", entity="user", entity_id=user.id or 0,
                     actor_user_id=actor.id, actor_association_id=actor.association_id,
                     associations=[user.association_id] if user.association_id else [],
                     payload={"user_id": user.id, "domain": email.rpartition("@")[2] if email else None})
    chosen = {p.topic: p for p in session.exec(select(Preference).where(Preference.user_id == actor.id))}
    for choice in data.topics:
        row = chosen.get(choice.topic) or Preference(user_id=actor.id or 0, topic=choice.topic)
        row.email, row.in_app = choice.email, choice.in_app
        session.add(row)
    session.flush()
    return preferences(session, actor=actor)


# ---------------------------------------------------------------------------------------------------
# Association addresses and webhooks
# ---------------------------------------------------------------------------------------------------

def _address_public(contact: NotificationAddress, secret: str | None = None) -> AddressPublic:
    view = as_public(contact, AddressPublic)
    view.signing_secret = secret
    return view


def list_addresses(session: Session, *, actor: User, association_id: str) -> list[AddressPublic]:
    """An association's active addresses and webhooks (its staff, or the secretariat)."""
    policy.ensure_can_manage_addresses(actor, association_id)
    rows = session.exec(select(NotificationAddress).where(NotificationAddress.association_id == association_id,
                                              col(NotificationAddress.active).is_(True)).order_by(col(NotificationAddress.id)))
    out = [_address_public(c) for c in rows]
    return out


@writes
def add_address(session: Session, *, actor: User, association_id: str, data: AddressCreate,
                settings: Settings) -> AddressPublic:
    """Add an address or webhook; a webhook's signing secret is in this answer only (derived, not stored)."""
    policy.ensure_can_manage_addresses(actor, association_id)
    if session.get(Association, association_id) is None:
        raise NotFound(f"association_id: no association {association_id!r}",
                       f"association_id：協会 {association_id!r} は見つかりません", field="association_id")
    topics = _topics(data.topics)
    key = settings.notify_signing_key.get_secret_value()
    if data.channel == EMAIL:
        address, fmt = valid_email(data.address, "address"), "plain"
        if data.format not in (None, "plain"):
            raise invalid("format", "an e-mail address takes no webhook format", "メールには形式を指定できません")
    else:
        address, fmt = valid_webhook_url(data.address), data.format or "json"
        if fmt == "plain":
            raise invalid("format", "a webhook is json, slack or teams",
                           "Webhook の形式は json・slack・teams のいずれかです")
        if not key:
            raise Conflict("OUEN_NOTIFY_SIGNING_KEY is not set: webhooks cannot be signed",
                           "OUEN_NOTIFY_SIGNING_KEY が設定されていないため Webhook を署名できません",
                           field="OUEN_NOTIFY_SIGNING_KEY")
    contact = NotificationAddress(association_id=association_id, channel=data.channel, address=address, format=fmt,
                      label=(data.label or "").strip() or None, topics=topics,
                      secret_nonce=new_nonce() if data.channel == WEBHOOK else None, created_by_user_id=actor.id)
    session.add(contact)
    session.flush()
    where = urlsplit(address).hostname if contact.channel == WEBHOOK else address.rpartition("@")[2]
    record_event(session, type="notify.address_added", entity="notification_address", entity_id=contact.id or 0,
                 actor_user_id=actor.id, actor_association_id=actor.association_id, associations=[association_id],
                 payload={"association_id": association_id, "channel": contact.channel, "format": fmt,
                          "label": contact.label, "topics": topics,
                          "host": where})
    session.flush()
    secret = signing_secret(key, contact.id or 0, contact.secret_nonce) if contact.secret_nonce else None
    return _address_public(contact, secret)


@writes
def remove_address(session: Session, *, actor: User, address_id: int) -> None:
    """Stop sending to an address or webhook (kept, inactive, for the outbox's history)."""
    contact = session.get(NotificationAddress, address_id, with_for_update=True)
    if contact is None or not contact.active:
        raise NotFound(f"address_id: no contact {address_id}", f"address_id：通知先 {address_id} は見つかりません",
                       field="address_id")
    policy.ensure_can_manage_addresses(actor, contact.association_id)
    contact.active = False
    session.add(contact)
    record_event(session, type="notify.address_removed", entity="notification_address", entity_id=address_id,
                 actor_user_id=actor.id, actor_association_id=actor.association_id,
                 associations=[contact.association_id],
                 payload={"association_id": contact.association_id, "channel": contact.channel})


# ---------------------------------------------------------------------------------------------------
# The outbox (secretariat)
# ---------------------------------------------------------------------------------------------------

def list_outbox(session: Session, *, actor: User, status: str | None = DEAD, limit: int = 100) -> list[OutboxPublic]:
    """Outgoing messages by status (dead letters by default), newest first."""
    policy.ensure_can_see_outbox(actor)
    if status is not None and status not in STATUSES:
        raise invalid("status", f"one of {', '.join(STATUSES)}", f"{'・'.join(STATUSES)} のいずれかです")
    if not 1 <= limit <= 1000:
        raise invalid("limit", "must be between 1 and 1000", "1 から 1000 の範囲で指定してください")
    query = select(OutboxMessage)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    rows = [as_public(r, OutboxPublic) for r in session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit))]
    return rows


def outbox_status(session: Session, *, settings: Settings, dead_limit: int = 20) -> OutboxStatus:
    """Counts by status and channel, the oldest pending message, recent dead letters, the configuration."""
    counts: dict[str, dict[str, int]] = {status: dict.fromkeys(CHANNELS, 0) for status in STATUSES}
    for status, channel, n in session.exec(select(OutboxMessage.status, OutboxMessage.channel, func.count())
                                           .group_by(OutboxMessage.status, OutboxMessage.channel)):
        counts.setdefault(status, {})[channel] = int(n)
    oldest = session.exec(select(func.min(OutboxMessage.created_at)).where(OutboxMessage.status == PENDING)).one()
    dead = [as_public(r, OutboxPublic) for r in session.exec(
        select(OutboxMessage).where(OutboxMessage.status == DEAD).order_by(col(OutboxMessage.id).desc())
        .limit(dead_limit))]
    return OutboxStatus(counts=counts, oldest_pending_at=oldest, dead=dead, smtp_configured=smtp_configured(settings),
                        webhooks_configured=bool(settings.notify_signing_key.get_secret_value()),
                        drill_recipients=list(settings.notify_drill_recipients))


def status_for(session: Session, *, actor: User, settings: Settings) -> OutboxStatus:
    """outbox_status for the secretariat."""
    policy.ensure_can_see_outbox(actor)
    return outbox_status(session, settings=settings)


@writes
def retry_dead(session: Session, *, actor: User, ids: list[int] | None = None) -> int:
    """Queue dead letters again (the ids given, or every one), audited in the same transaction; how many."""
    policy.ensure_can_see_outbox(actor)
    count = requeue_dead(session, ids=ids or [], actor_user_id=actor.id, actor_association_id=actor.association_id)
    if ids and count == 0:  # the unit of work rolls back
        raise NotFound("outbox_id: no dead letter with that id", "outbox_id：その id の送信失敗はありません",
                       field="outbox_id")
    wake_after_commit(session)
    return count
