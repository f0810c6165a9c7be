"""The need and need_revision tables and their API shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.contacts.models import SiteContactInput
from coordinator.disasters.models import PeopleCounts
from coordinator.events.models import utcnow
from coordinator.inputs import LANGUAGE_HELP, Code, Number

NEED_STATUSES = ("open", "cancelled", "fulfilled")
MAX_HEADCOUNT = 200
MAX_NOTES = 2000
# Fields a requester may change by amendment (requester and disaster are fixed at creation).
AMENDABLE_FIELDS = ("kind", "language", "headcount", "start", "days", "place", "remote", "notes")


class NeedBase(SQLModel):
    requester_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    kind: str = Field(max_length=64)
    language: str = Field(max_length=35)  # BCP 47 (RFC 5646 recommends supporting at least 35 chars)
    headcount: int
    start: date
    days: int
    place: str | None = Field(default=None, max_length=5)  # JIS X 0402 municipality code
    remote: bool = False
    notes: str = Field(default="", max_length=MAX_NOTES)


class Need(NeedBase, table=True):
    """What an affected association asks for in one disaster."""

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    mode: str = Field(max_length=8, index=True)  # the disaster's mode, copied so every query can filter on it
    status: str = Field(default="open", max_length=16, index=True)
    version: int = 1
    created_by_user_id: int | None = None
    created_by_association_id: str | None = Field(default=None, max_length=64)
    on_behalf: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    cancel_reason: str | None = Field(default=None, max_length=1000)


class NeedRevision(SQLModel, table=True):
    """One amendment (or cancellation) of a need: the fields that changed, old and new."""

    __tablename__ = "need_revision"
    __table_args__ = (UniqueConstraint("need_id", "version", name="uq_need_revision_version"),)

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    version: int  # the version this revision produced
    changes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    by_user_id: int | None = None
    by_association_id: str | None = Field(default=None, max_length=64)
    on_behalf: bool = False
    at: datetime = Field(default_factory=utcnow)


class NeedCreate(SQLModel):
    """A new need; omitted days and remote take the agreement's defaults.

    kind, language, headcount and start are required; they are checked by the service rather than here so
    that one answer names every problem at once (issue 15 item 4).
    """

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    # Codes and numbers as typed on a Japanese phone (１７２０４, ３) are NFKC-normalised first (issue 12 item 8).
    requester_id: Code = Field(min_length=1, max_length=64)
    kind: str = Field(default="", max_length=64)
    language: str = Field(default="", max_length=35, description=LANGUAGE_HELP)
    headcount: Number | None = None
    start: date | None = None
    days: Number | None = None
    place: Code | None = None
    remote: bool | None = None
    notes: str = Field(default="", max_length=MAX_NOTES)
    # Stored apart (contacts domain): never in the need's events, which observers read.
    site_contact: SiteContactInput | None = None


class NeedUpdate(SQLModel):
    """An amendment: only the fields given change; `version` guards against lost updates."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    version: int | None = Field(default=None, ge=1)
    kind: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=35, description=LANGUAGE_HELP)
    headcount: Number | None = None
    start: date | None = None
    days: Number | None = None
    place: Code | None = None
    remote: bool | None = None
    notes: str | None = Field(default=None, max_length=MAX_NOTES)
    site_contact: SiteContactInput | None = None


class NeedPublic(NeedBase):
    """A need as the API shows it, with its roll-up counts."""

    id: int
    disaster_id: int
    mode: str
    status: str
    version: int
    created_by_user_id: int | None
    created_by_association_id: str | None
    on_behalf: bool
    created_at: datetime
    updated_at: datetime
    cancel_reason: str | None = None
    people: PeopleCounts = Field(default_factory=PeopleCounts)


class NeedRevisionPublic(SQLModel):
    """One entry of a need's amendment history."""

    need_id: int
    version: int
    changes: dict[str, Any]
    by_user_id: int | None
    by_association_id: str | None
    on_behalf: bool
    at: datetime
    place_names: dict[str, str] = Field(default_factory=dict)  # municipality names for the place codes changed


class NeedCancel(SQLModel):
    """Optional guard for a cancellation (the version the caller last saw) and why it is cancelled."""

    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(default=None, ge=1)
    reason: str | None = Field(default=None, max_length=1000)
