"""Situation report use cases: issue a numbered report, correct its summary (versioned), read them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from coordinator.auth.models import User
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import get_disaster
from coordinator.errors import Invalid, check_version, load_or_404
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.reference import all_association_ids, association_or_none, current_agreement
from coordinator.sitreps import policy
from coordinator.sitreps.models import (
    SituationReport,
    SituationReportCreate,
    SituationReportPublic,
    SituationReportRevision,
    SituationReportRevisionPublic,
    SituationReportUpdate,
)


def _summary(text: str) -> str:
    summary = text.strip()
    if not summary:
        raise Invalid("summary: write what the situation is (it may not be empty)",
                      "summary：状況の概要を入力してください（空にはできません）", field="summary")
    if "\x00" in summary:
        raise Invalid("summary: contains a NUL character", "summary：使えない文字（NUL）が含まれています",
                      field="summary")
    return summary


def _issuer(disaster: Disaster) -> tuple[str, str, str]:
    """The acting secretariat of the disaster: id and names (CLAIR, or the association it failed over to)."""
    agreement = current_agreement()
    issuer = (disaster.acting_roles.get("secretariat") or {}).get("id") or agreement.secretariat.id
    if issuer == agreement.secretariat.id:
        return issuer, agreement.secretariat.name_ja, agreement.secretariat.name_en
    found = association_or_none(issuer)
    return issuer, found.name_ja if found else issuer, found.name_en if found else issuer


def public(report: SituationReport, revisions: list[SituationReportRevision] | None = None) -> SituationReportPublic:
    """The API view of a report, with its kept versions when given."""
    data = SituationReportPublic.model_validate(report, from_attributes=True)
    if revisions is not None:
        data.revisions = [SituationReportRevisionPublic.model_validate(r, from_attributes=True) for r in revisions]
    return data


def _record(session: Session, report: SituationReport, type: str, actor: User) -> None:
    # A report is for everyone who reads the disaster (governors' and ministry reports): every association.
    payload: dict[str, Any] = {"id": report.id, "number": report.number, "version": report.version}
    record_event(session, type=type, entity="situation_report", entity_id=report.id or 0,
                 disaster_id=report.disaster_id, mode=report.mode, actor_user_id=actor.id,
                 actor_association_id=actor.association_id, associations=all_association_ids(), payload=payload)


@writes
def issue_report(session: Session, *, disaster_id: int, data: SituationReportCreate, actor: User) -> SituationReport:
    """A new report numbered after the last one (第N報), with its first summary, in one transaction."""
    summary = _summary(data.summary)
    # Locked: report numbers are given one at a time.
    disaster = load_or_404(session, Disaster, disaster_id, field="disaster_id", what_en="disaster", what_ja="災害",
                           lock=True)
    policy.ensure_can_write(actor, disaster)
    last = session.exec(select(func.max(SituationReport.number)).where(
        SituationReport.disaster_id == disaster_id)).one()
    issuer, name_ja, name_en = _issuer(disaster)
    now = utcnow()
    report = SituationReport(disaster_id=disaster_id, mode=disaster.mode, number=(last or 0) + 1, summary=summary,
                             issuer_id=issuer, issuer_name_ja=name_ja, issuer_name_en=name_en,
                             issued_by_user_id=actor.id, issued_at=now, updated_by_user_id=actor.id, updated_at=now)
    session.add(report)
    session.flush()
    session.add(SituationReportRevision(report_id=report.id or 0, version=1, summary=summary, by_user_id=actor.id,
                                        at=now))
    _record(session, report, "sitrep.issued", actor)
    return report


def _load(session: Session, report_id: int, *, lock: bool = False) -> SituationReport:
    return load_or_404(session, SituationReport, report_id, field="report_id", what_en="situation report",
                       what_ja="状況報告", lock=lock)


@writes
def amend_report(session: Session, *, report_id: int, data: SituationReportUpdate, actor: User) -> SituationReport:
    """Correct a report's summary: a new version, the old one kept; a stale `version` is a 409."""
    summary = _summary(data.summary)
    report = _load(session, report_id, lock=True)
    disaster = get_disaster(session, disaster_id=report.disaster_id, actor=actor)
    policy.ensure_can_write(actor, disaster)
    check_version(report.version, data.version,
                  en=f"version: the report is at version {report.version}, not {data.version}; reload it",
                  ja=f"version：この報告は版 {report.version} に更新されています（{data.version} ではありません）。"
                  "読み直してください")
    if summary == report.summary:
        return report
    report.summary = summary
    report.version += 1
    report.updated_by_user_id = actor.id
    report.updated_at = utcnow()
    session.add(report)
    session.add(SituationReportRevision(report_id=report.id or 0, version=report.version, summary=summary,
                                        by_user_id=actor.id, at=report.updated_at))
    _record(session, report, "sitrep.amended", actor)
    return report


def list_reports(session: Session, *, disaster_id: int, actor: User) -> list[SituationReport]:
    """The disaster's reports, newest first (readable by whoever may read the disaster)."""
    get_disaster(session, disaster_id=disaster_id, actor=actor)
    rows = session.exec(select(SituationReport).where(SituationReport.disaster_id == disaster_id)
                        .order_by(col(SituationReport.number).desc()))
    return list(rows)


def get_report(session: Session, *, report_id: int,
               actor: User) -> tuple[SituationReport, list[SituationReportRevision]]:
    """One report and every kept version of its summary (oldest first)."""
    report = _load(session, report_id)
    get_disaster(session, disaster_id=report.disaster_id, actor=actor)
    revisions = session.exec(select(SituationReportRevision).where(SituationReportRevision.report_id == report_id)
                             .order_by(col(SituationReportRevision.version)))
    return report, list(revisions)
