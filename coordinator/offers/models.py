"""The offer and standing_capacity tables and their API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow
from coordinator.inputs import LANGUAGE_HELP, Code, Number

OFFER_STATUSES = ("active", "withdrawn")
MAX_OFFER_HEADCOUNT = 100
MAX_NOTES = 2000


class OfferBase(SQLModel):
    languages: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    headcount: int
    available_from: date
    available_until: date
    notes: str = Field(default="", max_length=MAX_NOTES)


class Offer(OfferBase, table=True):
    """People an association outside the affected area offers for one disaster."""

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    mode: str = Field(max_length=8, index=True)  # the disaster's mode, copied so every query can filter on it
    association_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    status: str = Field(default="active", max_length=16, index=True)
    source: str = Field(default="manual", max_length=24)  # manual | standing_capacity
    # The open need this offer answers, when made from the list of open needs (issue 15 item 2).
    need_id: int | None = Field(default=None, foreign_key="need.id", index=True)
    withdraw_reason: str | None = Field(default=None, max_length=1000)
    version: int = 1
    created_by_user_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # Who recorded it on the association's behalf (taken by phone): {user_id, display_name, role,
    # association_id, block}; None when the association's own staff recorded it.
    recorded_by: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class OfferCreate(SQLModel):
    """A new offer: for the user's own association, or (taken by phone) for `association_id` when the
    secretariat or the acting coordinator of that association's block records it on its behalf."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    association_id: Code | None = Field(default=None, max_length=64)
    need_id: int | None = Field(default=None, ge=1)
    languages: list[str] = Field(min_length=1, max_length=30, description=LANGUAGE_HELP)
    kinds: list[str] = Field(min_length=1, max_length=30)
    headcount: Number = Field(ge=1, le=MAX_OFFER_HEADCOUNT)
    available_from: date
    available_until: date
    notes: str = Field(default="", max_length=MAX_NOTES)


class OfferUpdate(SQLModel):
    """An amendment of an offer: only the fields given change."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    version: int | None = Field(default=None, ge=1)
    languages: list[str] | None = Field(default=None, min_length=1, max_length=30, description=LANGUAGE_HELP)
    kinds: list[str] | None = Field(default=None, min_length=1, max_length=30)
    headcount: int | None = Field(default=None, ge=1, le=MAX_OFFER_HEADCOUNT)
    available_from: date | None = None
    available_until: date | None = None
    notes: str | None = Field(default=None, max_length=MAX_NOTES)


class OfferPublic(OfferBase):
    """An offer as the API shows it."""

    id: int
    disaster_id: int
    mode: str
    association_id: str
    status: str
    source: str
    need_id: int | None = None
    withdraw_reason: str | None = None
    version: int
    created_by_user_id: int | None
    created_at: datetime
    updated_at: datetime
    recorded_by: dict[str, Any] | None = None


class OfferPrefill(SQLModel):
    """The availability window for an offer pre-filled from standing capacity."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    association_id: Code | None = Field(default=None, max_length=64)
    available_from: date
    available_until: date
    notes: str = Field(default="", max_length=MAX_NOTES)


class StandingCapacityBase(SQLModel):
    language: str = Field(max_length=35)
    kinds: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    headcount: int
    notes: str = Field(default="", max_length=MAX_NOTES)


class StandingCapacity(StandingCapacityBase, table=True):
    """Normal-time register: people an association could send, per language and kinds."""

    __tablename__ = "standing_capacity"

    id: int | None = Field(default=None, primary_key=True)
    association_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    updated_by_user_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class StandingCapacityCreate(SQLModel):
    """A new standing-capacity row."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    association_id: Code | None = Field(default=None, max_length=64)
    language: str = Field(min_length=1, max_length=35, description=LANGUAGE_HELP)
    kinds: list[str] = Field(min_length=1, max_length=30)
    headcount: Number = Field(ge=1, le=MAX_OFFER_HEADCOUNT)
    notes: str = Field(default="", max_length=MAX_NOTES)


class StandingCapacityUpdate(SQLModel):
    """A change to a standing-capacity row."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    language: str | None = Field(default=None, min_length=1, max_length=35, description=LANGUAGE_HELP)
    kinds: list[str] | None = Field(default=None, min_length=1, max_length=30)
    headcount: int | None = Field(default=None, ge=1, le=MAX_OFFER_HEADCOUNT)
    notes: str | None = Field(default=None, max_length=MAX_NOTES)


class StandingCapacityPublic(StandingCapacityBase):
    """A standing-capacity row as the API shows it."""

    id: int
    association_id: str
    updated_by_user_id: int | None
    updated_at: datetime


class OfferWithdraw(SQLModel):
    """Optional guard for a withdrawal (the version the caller last saw) and why it is withdrawn."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)
    reason: str | None = Field(default=None, max_length=1000)
