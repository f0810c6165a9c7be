"""The idempotency_key table: one row per (user, key), written in the transaction of the change it guards."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow


class IdempotencyRecord(SQLModel, table=True):
    """A request sent with an Idempotency-Key, and once known, the answer it got."""

    __tablename__ = "idempotency_key"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),
                      Index("ix_idempotency_created_at", "created_at"))

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(index=False)
    key: str = Field(max_length=255)
    # SHA-256 of method, path, query and body: the same key with another request is refused.
    fingerprint: str = Field(max_length=64)
    method: str = Field(max_length=8)
    path: str = Field(max_length=500)
    # What the change was about (its first event), so that a lost answer can point to the result.
    entity: str | None = Field(default=None, max_length=32)
    entity_id: str | None = Field(default=None, max_length=64)
    disaster_id: int | None = Field(default=None, index=True)
    response_status: int | None = None
    response_type: str | None = Field(default=None, max_length=100)
    response_location: str | None = Field(default=None, max_length=500)
    response_body: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
