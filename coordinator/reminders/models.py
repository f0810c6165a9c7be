"""The reminder stages already sent, so that each stage of each waiting dispatch goes out once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow

REQUESTED = "requested"  # a request waiting for the supporter's answer
APPROVED = "approved"  # an approved proposal waiting to be sent as a request


class ReminderSent(SQLModel, table=True):
    """One reminder or escalation stage sent for a dispatch while it waited in one state."""

    __tablename__ = "reminder_stage"
    __table_args__ = (UniqueConstraint("dispatch_id", "waiting", "stage", name="uq_reminder_stage"),)

    id: int | None = Field(default=None, primary_key=True)
    dispatch_id: int = Field(index=True)
    disaster_id: int = Field(index=True)
    waiting: str = Field(max_length=16)  # requested | approved
    stage: int  # 1 = the first reminder; the agreement's stages in order
    to: str = Field(max_length=32)  # supplier | approver | block_coordinator | secretariat
    association_id: str | None = Field(default=None, max_length=64)  # who was told (None: the secretariat)
    event_seq: int | None = None
    sent_at: datetime = Field(default_factory=utcnow)
