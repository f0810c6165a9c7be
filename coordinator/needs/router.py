"""HTTP: needs of a disaster, amendments, cancellation and history (thin)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.needs import service
from coordinator.needs.models import NeedCancel, NeedCreate, NeedPublic, NeedRevisionPublic, NeedUpdate

router = APIRouter(prefix="/api/v1", tags=["needs"], route_class=SessionRoute)



@router.post("/disasters/{disaster_id}/needs", response_model=NeedPublic, status_code=201)
def create(disaster_id: int, data: NeedCreate, session: SessionDep, user: CurrentUser) -> NeedPublic:
    """Declare a need for an affected association (its staff, or on its behalf)."""
    return service.created_public(service.create_need(session, disaster_id=disaster_id, data=data, actor=user))


@router.get("/disasters/{disaster_id}/needs", response_model=list[NeedPublic])
def list_(disaster_id: int, session: SessionDep, user: CurrentUser,
          status: Literal["open", "cancelled", "fulfilled"] | None = None) -> list[NeedPublic]:
    """The disaster's needs the caller may read, with roll-ups."""
    rows = service.list_needs(session, disaster_id=disaster_id, actor=user, status=status)
    return service.publics(session, rows)


@router.get("/needs/{need_id}", response_model=NeedPublic)
def read(need_id: int, session: SessionDep, user: CurrentUser) -> NeedPublic:
    """One need with its roll-up counts."""
    return service.public(session, service.get_need(session, need_id=need_id, actor=user))


@router.patch("/needs/{need_id}", response_model=NeedPublic)
def amend(need_id: int, data: NeedUpdate, session: SessionDep, user: CurrentUser) -> NeedPublic:
    """Amend an open need; the change is kept in its history."""
    return service.public(session, service.amend_need(session, need_id=need_id, data=data, actor=user))


@router.post("/needs/{need_id}/cancel", response_model=NeedPublic)
def cancel(need_id: int, session: SessionDep, user: CurrentUser, data: NeedCancel | None = None) -> NeedPublic:
    """Cancel an open need."""
    need = service.cancel_need(session, need_id=need_id, actor=user, version=data.version if data else None,
                               reason=data.reason if data else None)
    return service.public(session, need)


@router.get("/needs/{need_id}/history", response_model=list[NeedRevisionPublic])
def history(need_id: int, session: SessionDep, user: CurrentUser) -> list[NeedRevisionPublic]:
    """The need's amendments, oldest first (each with the changed fields, old and new)."""
    rows = service.need_history(session, need_id=need_id, actor=user)
    return [NeedRevisionPublic.model_validate(r).model_copy(update={"place_names": service.place_names_of(r.changes)})
            for r in rows]
