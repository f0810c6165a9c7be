"""HTTP: situation reports of a disaster (thin: parse, call the service, return)."""

from __future__ import annotations

from fastapi import APIRouter

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.sitreps import service
from coordinator.sitreps.models import SituationReportCreate, SituationReportPublic, SituationReportUpdate

router = APIRouter(prefix="/api/v1", tags=["situation reports"], route_class=SessionRoute)


@router.post("/disasters/{disaster_id}/sitreps", response_model=SituationReportPublic, status_code=201)
def issue(disaster_id: int, data: SituationReportCreate, session: SessionDep,
          user: CurrentUser) -> SituationReportPublic:
    """Issue the next numbered situation report (第N報) with the secretariat's summary."""
    return service.public(service.issue_report(session, disaster_id=disaster_id, data=data, actor=user))


@router.get("/disasters/{disaster_id}/sitreps", response_model=list[SituationReportPublic])
def list_(disaster_id: int, session: SessionDep, user: CurrentUser) -> list[SituationReportPublic]:
    """The disaster's situation reports, newest first."""
    return [service.public(r) for r in service.list_reports(session, disaster_id=disaster_id, actor=user)]


@router.get("/sitreps/{report_id}", response_model=SituationReportPublic)
def read(report_id: int, session: SessionDep, user: CurrentUser) -> SituationReportPublic:
    """One situation report with every kept version of its summary."""
    report, revisions = service.get_report(session, report_id=report_id, actor=user)
    return service.public(report, revisions)


@router.patch("/sitreps/{report_id}", response_model=SituationReportPublic)
def amend(report_id: int, data: SituationReportUpdate, session: SessionDep, user: CurrentUser) -> SituationReportPublic:
    """Correct a report's summary (give the version you last saw; the old text is kept)."""
    return service.public(service.amend_report(session, report_id=report_id, data=data, actor=user))
