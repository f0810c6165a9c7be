"""The situation report tables and their API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow

MAX_SUMMARY = 10_000


class SituationReport(SQLModel, table=True):
    """One numbered report of a disaster (第N報): its summary as last edited, and who issued it as what."""

    __tablename__ = "situation_report"
    __table_args__ = (UniqueConstraint("disaster_id", "number", name="uq_situation_report_number"),)

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    mode: str = Field(max_length=8)
    number: int
    summary: str = Field(sa_column=Column(Text, nullable=False))
    version: int = 1
    issuer_id: str = Field(max_length=64)  # the acting secretariat when it was issued (CLAIR or its fail-over)
    issuer_name_ja: str = Field(max_length=200)
    issuer_name_en: str = Field(max_length=200)
    issued_by_user_id: int | None = None
    issued_at: datetime = Field(default_factory=utcnow)
    updated_by_user_id: int | None = None
    updated_at: datetime = Field(default_factory=utcnow)


class SituationReportRevision(SQLModel, table=True):
    """Every version of a report's summary, kept."""

    __tablename__ = "situation_report_revision"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="situation_report.id", index=True)
    version: int
    summary: str = Field(sa_column=Column(Text, nullable=False))
    by_user_id: int | None = None
    at: datetime = Field(default_factory=utcnow)


class SituationReportCreate(SQLModel):
    """A new report: the secretariat's summary of the situation."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    summary: str = Field(max_length=MAX_SUMMARY)


class SituationReportUpdate(SQLModel):
    """A corrected summary; `version` is the one the writer last saw (a stale one is a 409)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    summary: str = Field(max_length=MAX_SUMMARY)
    version: int = Field(ge=1)


class SituationReportRevisionPublic(SQLModel):
    """One kept version of a summary."""

    version: int
    summary: str
    by_user_id: int | None
    at: datetime


class SituationReportPublic(SQLModel):
    """A report as the API shows it (revisions only when one report is read)."""

    id: int
    disaster_id: int
    mode: str
    number: int
    summary: str
    version: int
    issuer_id: str
    issuer_name_ja: str
    issuer_name_en: str
    issued_by_user_id: int | None
    issued_at: datetime
    updated_by_user_id: int | None
    updated_at: datetime
    revisions: list[SituationReportRevisionPublic] | None = None
