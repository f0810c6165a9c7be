"""Notification tables: the outbox and its attempts, in-app notifications, association addresses, preferences."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow

# Channels of the outbox; in-app notifications are rows of their own (InAppNotification).
EMAIL = "email"
WEBHOOK = "webhook"
CHANNELS = (EMAIL, WEBHOOK)
# Webhook payload shapes: ouen's signed JSON, a Slack incoming webhook, a Microsoft Teams workflow webhook.
WEBHOOK_FORMATS = ("json", "slack", "teams")

# Outbox states. pending: waiting for its (next) attempt; sent: the receiver took it; dead: gave up after
# the last attempt or a permanent refusal (shown to the secretariat, can be retried); suppressed: a drill
# message to an address outside the drill allow-list (never sent).
PENDING, SENT, DEAD, SUPPRESSED = "pending", "sent", "dead", "suppressed"
STATUSES = (PENDING, SENT, DEAD, SUPPRESSED)

_BIGINT = BigInteger().with_variant(Integer(), "sqlite")


class OutboxMessage(SQLModel, table=True):
    """One message to deliver: an event for one recipient over one channel, written with the event."""

    __tablename__ = "notification_outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_notification_outbox_key"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIGINT, primary_key=True, autoincrement=True))
    # The stable idempotency key of (event, recipient, channel), sent with every attempt.
    key: str = Field(max_length=64)
    event_seq: int = Field(sa_column=Column(_BIGINT, nullable=False, index=True))
    event_type: str = Field(max_length=64)
    disaster_id: int | None = Field(default=None, index=True)
    mode: str | None = Field(default=None, max_length=8)
    channel: str = Field(max_length=8)
    address: str = Field(max_length=500)  # an e-mail address or the webhook's URL
    format: str = Field(default="plain", max_length=8)  # plain (e-mail) | json | slack | teams
    user_id: int | None = Field(default=None, index=True)  # the recipient user, for a user's own address
    address_id: int | None = Field(default=None, index=True)  # the association contact, otherwise
    association_id: str | None = Field(default=None, max_length=64)  # whose address this is
    audience: str = Field(max_length=32)  # why the recipient is told (supplier, requester, approver, …)
    link: str = Field(max_length=300)  # the page to open, relative to the public URL
    status: str = Field(default=PENDING, max_length=12)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    claimed_until: datetime | None = None
    claim: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class DeliveryAttempt(SQLModel, table=True):
    """One try at delivering an outbox message, successful or not."""

    __tablename__ = "notification_attempt"

    id: int | None = Field(default=None, sa_column=Column(_BIGINT, primary_key=True, autoincrement=True))
    outbox_id: int = Field(sa_column=Column(_BIGINT, nullable=False, index=True))
    number: int
    started_at: datetime
    ok: bool
    error: str | None = Field(default=None, max_length=500)
    milliseconds: int = 0


class InAppNotification(SQLModel, table=True):
    """One notification in a user's in-app list (the bell), written with its event."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "event_seq", name="uq_notification_user_event"),
        Index("ix_notification_user_read", "user_id", "read_at"),
    )

    id: int | None = Field(default=None, sa_column=Column(_BIGINT, primary_key=True, autoincrement=True))
    user_id: int = Field(foreign_key="app_user.id")
    event_seq: int = Field(sa_column=Column(_BIGINT, nullable=False))
    event_type: str = Field(max_length=64)
    disaster_id: int | None = Field(default=None, index=True)
    mode: str | None = Field(default=None, max_length=8)
    audience: str = Field(max_length=32)
    link: str = Field(max_length=300)
    essential: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    read_at: datetime | None = None


class NotificationAddress(SQLModel, table=True):
    """An association's own address (shared mailbox) or webhook, with the topics it wants."""

    __tablename__ = "notification_address"

    id: int | None = Field(default=None, primary_key=True)
    association_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    channel: str = Field(max_length=8)  # email | webhook
    address: str = Field(max_length=500)
    format: str = Field(default="plain", max_length=8)
    label: str | None = Field(default=None, max_length=100)
    # Topics this address wants (empty: every topic); essential messages of a live disaster go regardless.
    topics: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Webhooks: the HMAC secret is derived from OUEN_NOTIFY_SIGNING_KEY and this nonce, never stored.
    secret_nonce: str | None = Field(default=None, max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    created_by_user_id: int | None = None


class Preference(SQLModel, table=True):
    """A user's choice for one topic: by e-mail or not, in the app or not (absent: both on)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "topic", name="uq_notification_preference_user_topic"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    topic: str = Field(max_length=32)
    email: bool = True
    in_app: bool = True


# ---------------------------------------------------------------------------------------------------
# API shapes
# ---------------------------------------------------------------------------------------------------

class NotificationPublic(BaseModel):
    """One in-app notification as the bell shows it, in both languages."""

    id: int
    event_seq: int
    event_type: str
    disaster_id: int | None
    mode: str | None
    title_ja: str
    title_en: str
    body_ja: str
    body_en: str
    link: str
    essential: bool
    created_at: datetime
    read_at: datetime | None


class NotificationList(BaseModel):
    """The caller's notifications, newest first, with the unread count."""

    unread: int
    items: list[NotificationPublic]
    # Event types that may notify someone: the bell listens for these on /api/v1/live ...
    types: list[str]
    # ... in these modes ("drill" only while a drill is open, so that a quiet day needs one socket).
    watch_modes: list[str]


class MarkRead(BaseModel):
    """Which notifications to mark read: the ids given, or all of the caller's when `all` is true."""

    model_config = ConfigDict(extra="forbid")

    ids: list[int] = PydanticField(default_factory=list, max_length=500)
    all: bool = False


class TopicPreference(BaseModel):
    """One topic's channels for the caller; `essential` topics of a live disaster are sent regardless."""

    topic: str
    name_ja: str
    name_en: str
    email: bool
    in_app: bool
    essential_types: list[str]


class PreferencesPublic(BaseModel):
    """The caller's contact address and per-topic choices."""

    email: str | None
    topics: list[TopicPreference]


class TopicChoice(BaseModel):
    """A change of one topic's channels."""

    model_config = ConfigDict(extra="forbid")

    topic: str = PydanticField(min_length=1, max_length=32)
    email: bool = True
    in_app: bool = True


class PreferencesUpdate(BaseModel):
    """What the caller changes: the e-mail address (null removes it), topics' channels."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = PydanticField(default=None, max_length=254)
    set_email: bool = False  # true: `email` replaces the stored address (null removes it)
    topics: list[TopicChoice] = PydanticField(default_factory=list, max_length=20)


class AddressCreate(BaseModel):
    """A new association address or webhook."""

    model_config = ConfigDict(extra="forbid")

    channel: Literal["email", "webhook"]
    address: str = PydanticField(min_length=3, max_length=500)
    format: Literal["plain", "json", "slack", "teams"] | None = None
    label: str | None = PydanticField(default=None, max_length=100)
    topics: list[str] = PydanticField(default_factory=list, max_length=20)


class AddressPublic(BaseModel):
    """An association address as the API shows it (never a webhook's secret, except once on creation)."""

    id: int
    association_id: str
    channel: str
    address: str
    format: str
    label: str | None
    topics: list[str]
    active: bool
    created_at: datetime
    # Only in the answer to the creation of a webhook: the HMAC secret the receiver verifies with.
    signing_secret: str | None = None


class OutboxPublic(BaseModel):
    """An outbox message as the secretariat sees it (status, attempts, the last error)."""

    id: int
    key: str
    event_seq: int
    event_type: str
    disaster_id: int | None
    mode: str | None
    channel: str
    address: str
    format: str
    association_id: str | None
    user_id: int | None
    audience: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class OutboxStatus(BaseModel):
    """Counts of the outbox by status and channel, and what the sender is configured with."""

    counts: dict[str, dict[str, int]]
    oldest_pending_at: datetime | None
    dead: list[OutboxPublic]
    smtp_configured: bool
    webhooks_configured: bool
    drill_recipients: list[str]


def as_public(row: Any, shape: type[BaseModel]) -> Any:
    """A table row as one of the API shapes."""
    return shape.model_validate(row, from_attributes=True)
