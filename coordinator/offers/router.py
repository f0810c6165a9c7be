"""HTTP: offers for a disaster and the standing-capacity register (thin)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.offers import service
from coordinator.offers.models import (
    OfferCreate,
    OfferPrefill,
    OfferPublic,
    OfferUpdate,
    OfferWithdraw,
    StandingCapacityCreate,
    StandingCapacityPublic,
    StandingCapacityUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["offers"], route_class=SessionRoute)



@router.post("/disasters/{disaster_id}/offers", response_model=OfferPublic, status_code=201)
def create(disaster_id: int, data: OfferCreate, session: SessionDep, user: CurrentUser) -> OfferPublic:
    """Offer people for a disaster (staff of an association outside the affected area)."""
    return OfferPublic.model_validate(service.create_offer(session, disaster_id=disaster_id, data=data, actor=user))


@router.post("/disasters/{disaster_id}/offers/prefill", response_model=OfferPublic, status_code=201)
def prefill(disaster_id: int, data: OfferPrefill, session: SessionDep, user: CurrentUser) -> OfferPublic:
    """Create an offer from the association's standing capacity."""
    offer = service.prefill_offer(session, disaster_id=disaster_id, data=data, actor=user)
    return OfferPublic.model_validate(offer)


@router.get("/disasters/{disaster_id}/offers", response_model=list[OfferPublic])
def list_(disaster_id: int, session: SessionDep, user: CurrentUser,
          status: Literal["active", "withdrawn"] | None = None) -> list[OfferPublic]:
    """The disaster's offers the caller may read."""
    rows = service.list_offers(session, disaster_id=disaster_id, actor=user, status=status)
    return [OfferPublic.model_validate(o) for o in rows]


@router.get("/offers/{offer_id}", response_model=OfferPublic)
def read(offer_id: int, session: SessionDep, user: CurrentUser) -> OfferPublic:
    """One offer."""
    return OfferPublic.model_validate(service.get_offer(session, offer_id=offer_id, actor=user))


@router.patch("/offers/{offer_id}", response_model=OfferPublic)
def amend(offer_id: int, data: OfferUpdate, session: SessionDep, user: CurrentUser) -> OfferPublic:
    """Amend an active offer (the offering association's staff)."""
    return OfferPublic.model_validate(service.amend_offer(session, offer_id=offer_id, data=data, actor=user))


@router.post("/offers/{offer_id}/withdraw", response_model=OfferPublic)
def withdraw(offer_id: int, session: SessionDep, user: CurrentUser,
             data: OfferWithdraw | None = None) -> OfferPublic:
    """Withdraw an active offer."""
    offer = service.withdraw_offer(session, offer_id=offer_id, actor=user, version=data.version if data else None,
                                   reason=data.reason if data else None)
    return OfferPublic.model_validate(offer)


@router.get("/standing-capacity", response_model=list[StandingCapacityPublic])
def list_capacity(session: SessionDep, user: CurrentUser,
                  association_id: str | None = None) -> list[StandingCapacityPublic]:
    """Standing capacity: staff see their association's rows; secretariat and observers any."""
    rows = service.list_standing_capacity(session, actor=user, association_id=association_id)
    return [StandingCapacityPublic.model_validate(r) for r in rows]


@router.post("/standing-capacity", response_model=StandingCapacityPublic, status_code=201)
def add_capacity(data: StandingCapacityCreate, session: SessionDep, user: CurrentUser) -> StandingCapacityPublic:
    """Register people the caller's association could send in a disaster, for one language."""
    return StandingCapacityPublic.model_validate(service.add_standing_capacity(session, data=data, actor=user))


@router.patch("/standing-capacity/{capacity_id}", response_model=StandingCapacityPublic)
def update_capacity(capacity_id: int, data: StandingCapacityUpdate, session: SessionDep,
                    user: CurrentUser) -> StandingCapacityPublic:
    """Change a standing-capacity row of the caller's association."""
    row = service.update_standing_capacity(session, row_id=capacity_id, data=data, actor=user)
    return StandingCapacityPublic.model_validate(row)


@router.delete("/standing-capacity/{capacity_id}", status_code=204)
def delete_capacity(capacity_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Remove a standing-capacity row of the caller's association."""
    service.delete_standing_capacity(session, row_id=capacity_id, actor=user)
    return Response(status_code=204)
