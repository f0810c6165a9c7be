"""HTTP: make a support plan for a disaster (dry run) or commit it as proposed dispatches (thin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.matching import service
from coordinator.matching.models import DeclinedPairPublic, PlanPublic, PlanRequest, ReleaseRequest

router = APIRouter(prefix="/api/v1", tags=["matching"], route_class=SessionRoute)


@router.post("/disasters/{disaster_id}/plan", response_model=PlanPublic,
             summary="Support plan: a dry run (preview), or commit all or selected proposals")
def plan(disaster_id: int, session: SessionDep, user: CurrentUser,
         data: Annotated[PlanRequest | None, Body()] = None) -> PlanPublic:
    """The support plan: a dry run by default; `{"commit": true}` creates the proposals as dispatches.

    The acting secretariat or an acting block coordinator of the disaster; a coordinator commits only
    stage-1 proposals for its own block's needs (the others are shown with the reason). With the dry run's
    `version` a commit is refused (409) when the state changed since; `proposals` (keys, with `version`)
    commits only those. Commits of one disaster run one at a time; unchanged proposals are kept, not
    cancelled and proposed again (docs/matching.md).
    """
    if data is not None and data.commit:
        return service.commit_plan(session, disaster_id=disaster_id, actor=user, version=data.version,
                                   selection=data.proposals).public
    return service.make_plan(session, disaster_id=disaster_id, actor=user).public


@router.post("/disasters/{disaster_id}/plan/declined/{dispatch_id}/release", response_model=DeclinedPairPublic,
             summary="Put a declined supporter–need pair back into plans (with a reason, audited)")
def release_declined(disaster_id: int, dispatch_id: int, data: ReleaseRequest, session: SessionDep,
                     user: CurrentUser) -> DeclinedPairPublic:
    """After a supporter declined a need, plans leave that pair out until the supporter offers again or a
    person releases it here: the secretariat, the requester block's acting coordinator (stage 1), or the
    supporter's own staff. Recorded as `plan.pair_released` with who, in which capacity and why."""
    return service.release_declined(session, disaster_id=disaster_id, dispatch_id=dispatch_id, actor=user,
                                    reason=data.reason)
