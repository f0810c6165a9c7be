"""The event table: one row per state change, written in the same transaction as the change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time in UTC, timezone-aware."""
    return datetime.now(UTC)


class EventBase(SQLModel):
    disaster_id: int | None = Field(default=None, index=True)
    mode: str | None = Field(default=None, max_length=8)  # live | drill | None (not disaster-bound)
    type: str = Field(max_length=64)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    actor_user_id: int | None = None
    actor_association_id: str | None = Field(default=None, max_length=64)
    # Associations whose staff may read this event (besides secretariat, coordinators, observers).
    associations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The capacity the act was done in and why the actor holds it (coordinator.disasters.policy.Capacity):
    # {role, association_id, block, reason_en, reason_ja}; None for system acts and sign-ins.
    acted_as: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class Event(EventBase, table=True):
    # sqlite_autoincrement: seq numbers are never reused on SQLite, even after the newest rows are deleted
    # (realtime clients resume with `since`; docs/realtime.md).
    __table_args__ = (Index("ix_event_disaster_seq", "disaster_id", "seq"), {"sqlite_autoincrement": True})

    seq: int | None = Field(default=None, sa_column=Column(BigInteger().with_variant(
        __import__("sqlalchemy").Integer, "sqlite"), primary_key=True, autoincrement=True))
    created_at: datetime = Field(default_factory=utcnow)


class EventPublic(EventBase):
    seq: int
    created_at: datetime
