"""HTTP: make a support plan for a disaster (dry run) or commit it as proposed dispatches (thin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.matching import service
from coordinator.matching.models import PlanPublic, PlanRequest

router = APIRouter(prefix="/api/v1", tags=["matching"], route_class=SessionRoute)


@router.post("/disasters/{disaster_id}/plan", response_model=PlanPublic)
def plan(disaster_id: int, session: SessionDep, user: CurrentUser,
         data: Annotated[PlanRequest | None, Body()] = None) -> PlanPublic:
    """The support plan: a dry run by default; `{"commit": true}` creates the proposals as dispatches.

    The acting secretariat or an acting block coordinator of the disaster; a coordinator commits only
    stage-1 proposals for its own block's needs (the others are shown with the reason).
    """
    if data is not None and data.commit:
        return service.commit_plan(session, disaster_id=disaster_id, actor=user).public
    return service.make_plan(session, disaster_id=disaster_id, actor=user).public
