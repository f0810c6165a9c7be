"""HTTP: disasters, their summary and their timeline (thin: parse, call the service, return)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.disasters import service
from coordinator.disasters.models import (
    DisasterAreaChange,
    DisasterClose,
    DisasterCreate,
    DisasterPreviewRequest,
    DisasterPublic,
    DisasterReopen,
    DisasterSummary,
    DisasterUpdate,
    Timeline,
)
from coordinator.events.models import EventPublic
from coordinator.readmodel.summary import disaster_summary

router = APIRouter(prefix="/api/v1/disasters", tags=["disasters"], route_class=SessionRoute)



@router.post("", response_model=DisasterPublic, status_code=201)
def declare(data: DisasterCreate, session: SessionDep, user: CurrentUser) -> DisasterPublic:
    """Declare a disaster (or a drill) for an area (the secretariat, or the coordinator of every affected block)."""
    return service.public(service.declare_disaster(session, data=data, actor=user), user)


@router.post("/preview")
def preview(data: DisasterPreviewRequest, user: CurrentUser) -> dict[str, Any]:
    """What declaring this area would do: affected associations, acting coordinators, secretariat; stores nothing."""
    return service.preview_for(data=data, actor=user)


@router.get("", response_model=list[DisasterPublic])
def list_(session: SessionDep, user: CurrentUser, mode: Literal["live", "drill"] = "live",
          status: Literal["open", "closed"] | None = None) -> list[DisasterPublic]:
    """Disasters of one mode (default live; drills only with mode=drill)."""
    rows = service.list_disasters(session, actor=user, mode=mode, status=status)
    return [service.public(d, user) for d in rows]


@router.get("/{disaster_id}", response_model=DisasterPublic)
def read(disaster_id: int, session: SessionDep, user: CurrentUser) -> DisasterPublic:
    """One disaster with its affected area, acting roles and what the caller may do to it."""
    return service.public(service.get_disaster(session, disaster_id=disaster_id, actor=user), user)


@router.get("/{disaster_id}/area-input")
def area_input(disaster_id: int, session: SessionDep, user: CurrentUser) -> dict[str, Any]:
    """The area exactly as declared (a drawn GeoJSON in full), e.g. to edit it; lists show only a summary."""
    return service.get_disaster(session, disaster_id=disaster_id, actor=user).area_input


@router.patch("/{disaster_id}", response_model=DisasterPublic)
def rename(disaster_id: int, data: DisasterUpdate, session: SessionDep, user: CurrentUser) -> DisasterPublic:
    """Rename a disaster (optional `reason`; the secretariat, or the coordinator of every affected block)."""
    disaster = service.rename_disaster(session, disaster_id=disaster_id, data=data, actor=user)
    return service.public(disaster, user)


@router.post("/{disaster_id}/area", response_model=DisasterPublic)
def change_area(disaster_id: int, data: DisasterAreaChange, session: SessionDep, user: CurrentUser) -> DisasterPublic:
    """Change the affected area with a reason: affected associations and acting roles are derived again."""
    return service.public(service.change_area(session, disaster_id=disaster_id, data=data, actor=user), user)


@router.post("/{disaster_id}/reopen", response_model=DisasterPublic)
def reopen(disaster_id: int, data: DisasterReopen, session: SessionDep, user: CurrentUser) -> DisasterPublic:
    """Reopen a closed disaster, with a reason (the secretariat only)."""
    return service.public(service.reopen_disaster(session, disaster_id=disaster_id, actor=user, reason=data.reason),
                        user)


@router.post("/{disaster_id}/cross-block", response_model=DisasterPublic)
def open_cross_block(disaster_id: int, session: SessionDep, user: CurrentUser) -> DisasterPublic:
    """Open support from other blocks (acting secretariat)."""
    return service.public(service.open_cross_block(session, disaster_id=disaster_id, actor=user), user)


@router.post("/{disaster_id}/close", response_model=DisasterPublic)
def close(disaster_id: int, session: SessionDep, user: CurrentUser,
          data: Annotated[DisasterClose | None, Body()] = None) -> DisasterPublic:
    """Close a disaster, with an optional reason (the secretariat, or the coordinator of every affected block)."""
    disaster = service.close_disaster(session, disaster_id=disaster_id, actor=user,
                                      reason=data.reason if data else None)
    return service.public(disaster, user)


@router.get("/{disaster_id}/summary", response_model=DisasterSummary)
def summary(disaster_id: int, session: SessionDep, user: CurrentUser) -> DisasterSummary:
    """Roll-up of needs (requested, proposed, accepted, on site, fulfilled people) and offers."""
    return disaster_summary(session, disaster_id=disaster_id, actor=user)


@router.get("/{disaster_id}/events", response_model=Timeline)
def events(disaster_id: int, session: SessionDep, user: CurrentUser, since: int = Query(0, ge=0),
           limit: int = Query(200, ge=1, le=service.MAX_TIMELINE_LIMIT)) -> Timeline:
    """The disaster's timeline after sequence number `since`, oldest first."""
    rows, next_since = service.timeline(session, disaster_id=disaster_id, actor=user, since=since, limit=limit)
    return Timeline(events=[EventPublic.model_validate(e, from_attributes=True) for e in rows],
                    next_since=next_since)
