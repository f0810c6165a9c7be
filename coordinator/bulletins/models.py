"""Stored JMA bulletins, the declarations they propose, and their API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.disasters.models import AreaInput
from coordinator.events.models import utcnow

SOURCES = ("api", "cli", "feed", "folder", "drill")
# open: waits for the secretariat; confirmed: a disaster was declared (or its area changed) from it;
# dismissed: the secretariat said no, with a reason; withdrawn: JMA cancelled it or a later bulletin fell
# below the threshold.
PROPOSAL_STATUSES = ("open", "confirmed", "dismissed", "withdrawn")
ACTIONS = ("declare", "change_area")


class Bulletin(SQLModel, table=True):
    """One bulletin as received (stored once per content hash and mode) and what it did."""

    __table_args__ = (UniqueConstraint("sha256", "mode", "scope", name="uq_bulletin_sha256_mode_scope"),
                      Index("ix_bulletin_event", "event_id", "mode"))

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64)
    mode: str = Field(default="live", max_length=8)
    # A drill run's bulletins are its own (stored once per run, purged with it): scope "drill-<id>".
    scope: str = Field(default="", max_length=24, sa_column_kwargs={"server_default": ""})
    drill_id: int | None = Field(default=None, index=True)
    source: str = Field(max_length=8)
    received_at: datetime = Field(default_factory=utcnow)
    received_by_user_id: int | None = None
    type_code: str | None = Field(default=None, max_length=8)
    title: str = Field(max_length=100)
    status: str = Field(max_length=8)
    info_type: str = Field(max_length=8)
    event_id: str = Field(default="", max_length=64)
    serial: int | None = None
    report_datetime: datetime
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    xml: str = Field(sa_column=Column(Text, nullable=False))
    outcome: str = Field(max_length=24)
    reason_en: str = Field(default="", max_length=1000)
    reason_ja: str = Field(default="", max_length=1000)
    proposal_id: int | None = Field(default=None, index=True)


class Proposal(SQLModel, table=True):
    """A declaration (or an area change) proposed by bulletins; only the secretariat turns it into one."""

    __table_args__ = (Index("ix_proposal_key", "event_key", "mode"), Index("ix_proposal_status", "status", "mode"))

    id: int | None = Field(default=None, primary_key=True)
    mode: str = Field(default="live", max_length=8)
    drill_id: int | None = Field(default=None, index=True)  # the drill run that injected its bulletins
    event_key: str = Field(max_length=96)
    action: str = Field(default="declare", max_length=16)
    target_disaster_id: int | None = None
    status: str = Field(default="open", max_length=12)
    kind: str = Field(max_length=16)
    name: str = Field(max_length=200)
    area_input: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    preview: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Places at or above the threshold, reasons, places JMA named that the tables could not place.
    assessment: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    bulletin_id: int
    bulletin_count: int = 1
    report_datetime: datetime
    serial: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    decided_by_user_id: int | None = None
    decided_at: datetime | None = None
    dismiss_reason: str | None = Field(default=None, max_length=1000)
    withdraw_reason_en: str | None = Field(default=None, max_length=1000)
    withdraw_reason_ja: str | None = Field(default=None, max_length=1000)
    disaster_id: int | None = None
    jma_cancelled: bool = False


class BulletinPublic(BaseModel):
    """A stored bulletin without its XML."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    mode: str
    drill_id: int | None
    source: str
    received_at: datetime
    type_code: str | None
    title: str
    status: str
    info_type: str
    event_id: str
    serial: int | None
    report_datetime: datetime
    outcome: str
    reason_en: str
    reason_ja: str
    proposal_id: int | None
    summary: dict[str, Any]


class ProposalPublic(BaseModel):
    """A proposal as the API shows it (the preview is contract 4's preview_declaration)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    mode: str
    drill_id: int | None
    event_key: str
    action: str
    target_disaster_id: int | None
    status: str
    kind: str
    name: str
    area_input: dict[str, Any]
    preview: dict[str, Any]
    assessment: dict[str, Any]
    bulletin_id: int
    bulletin_count: int
    report_datetime: datetime
    serial: int | None
    created_at: datetime
    updated_at: datetime
    decided_by_user_id: int | None
    decided_at: datetime | None
    dismiss_reason: str | None
    withdraw_reason_en: str | None
    withdraw_reason_ja: str | None
    disaster_id: int | None
    jma_cancelled: bool


class IngestResult(BaseModel):
    """What one bulletin did: stored (or already stored), and the proposal it opened, updated or withdrew."""

    duplicate: bool
    bulletin: BulletinPublic
    proposal: ProposalPublic | None


class ConfirmRequest(BaseModel):
    """Confirm a proposal, optionally with another name or area (the declare form's edit, contract 5)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: Literal["earthquake", "tsunami", "flood", "typhoon", "volcano", "other"] | None = None
    area: AreaInput | None = None


class DismissRequest(BaseModel):
    """Dismiss a proposal: the reason is required (it is kept and shown)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=1000)
