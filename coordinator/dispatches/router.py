"""HTTP: propose, list, read and move dispatches (thin). The overdue watch is a job (coordinator/jobs)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from sqlmodel import Session

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.dispatches import service
from coordinator.dispatches.models import (
    DispatchAccept,
    DispatchCancel,
    DispatchCostAnswer,
    DispatchCreate,
    DispatchDecline,
    DispatchProgress,
    DispatchPublic,
)
from coordinator.dispatches.transitions import DispatchAction, DispatchState

router = APIRouter(prefix="/api/v1", tags=["dispatches"], route_class=SessionRoute)


@router.post("/disasters/{disaster_id}/dispatches", response_model=DispatchPublic, status_code=201)
def propose(disaster_id: int, data: DispatchCreate, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """Propose a dispatch by hand (the requester block's acting coordinator or the secretariat)."""
    dispatch = service.propose_dispatch(session, disaster_id=disaster_id, data=data, actor=user)
    return service.views(session, [dispatch], actor=user)[0]


@router.get("/disasters/{disaster_id}/dispatches", response_model=list[DispatchPublic])
def list_(disaster_id: int, session: SessionDep, user: CurrentUser, state: DispatchState | None = None,
          overdue: bool | None = None, supplier: str | None = None,
          need_id: int | None = None) -> list[DispatchPublic]:
    """The disaster's dispatches the caller may read; filters: state, overdue, supplier, need_id."""
    rows = service.list_dispatches(session, disaster_id=disaster_id, actor=user,
                                   state=state.value if state else None, overdue=overdue,
                                   supplier_id=supplier, need_id=need_id)
    return service.views(session, rows, actor=user)


@router.get("/dispatches/{dispatch_id}", response_model=DispatchPublic)
def read(dispatch_id: int, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """One dispatch, with what the caller may do to it and who must act next."""
    return service.views(session, [service.get_dispatch(session, dispatch_id=dispatch_id, actor=user)], actor=user)[0]


def _move(session: Session, dispatch_id: int, action: DispatchAction, user: Any, **values: Any) -> DispatchPublic:
    dispatch = service.transition_dispatch(session, dispatch_id=dispatch_id, action=action.value, actor=user,
                                           **values)
    return service.views(session, [dispatch], actor=user)[0]


@router.post("/dispatches/{dispatch_id}/approve", response_model=DispatchPublic)
def approve(dispatch_id: int, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """proposed → approved (stage 1: the block's acting coordinator; stage 2: the secretariat)."""
    return _move(session, dispatch_id, DispatchAction.approve, user)


@router.post("/dispatches/{dispatch_id}/request", response_model=DispatchPublic)
def request(dispatch_id: int, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """approved → requested: the request goes to the supplier (by the approver)."""
    return _move(session, dispatch_id, DispatchAction.request, user)


@router.post("/dispatches/{dispatch_id}/accept", response_model=DispatchPublic)
def accept(dispatch_id: int, data: DispatchAccept, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """requested → accepted, with the supplier's expected cost (supplier staff).

    A cost out of proportion (agreement [cost] confirm_above_yen_per_person_day) is refused with 409
    `confirmation_required` unless `confirm_cost` is true; then it waits for the requester's agreement.
    """
    return _move(session, dispatch_id, DispatchAction.accept, user, expected_cost_yen=data.expected_cost_yen,
                 cost_policy=data.cost_policy, confirm_cost=data.confirm_cost, headcount=data.accepted_headcount)


@router.post("/dispatches/{dispatch_id}/decline", response_model=DispatchPublic)
def decline(dispatch_id: int, data: DispatchDecline, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """requested → declined, with a reason (supplier staff)."""
    return _move(session, dispatch_id, DispatchAction.decline, user, reason=data.reason)


@router.post("/dispatches/{dispatch_id}/depart", response_model=DispatchPublic)
def depart(dispatch_id: int, session: SessionDep, user: CurrentUser,
           data: Annotated[DispatchProgress | None, Body()] = None) -> DispatchPublic:
    """accepted → en_route (supplier staff); optional `at`: when it really happened."""
    return _move(session, dispatch_id, DispatchAction.depart, user, at=data.at if data else None)


@router.post("/dispatches/{dispatch_id}/arrive", response_model=DispatchPublic)
def arrive(dispatch_id: int, session: SessionDep, user: CurrentUser,
           data: Annotated[DispatchProgress | None, Body()] = None) -> DispatchPublic:
    """en_route → on_site (supplier staff, or the requester's staff confirming arrival); optional `at`."""
    return _move(session, dispatch_id, DispatchAction.arrive, user, at=data.at if data else None)


@router.post("/dispatches/{dispatch_id}/complete", response_model=DispatchPublic)
def complete(dispatch_id: int, session: SessionDep, user: CurrentUser,
           data: Annotated[DispatchProgress | None, Body()] = None) -> DispatchPublic:
    """on_site → completed (supplier staff); optional `at`: when it really happened."""
    return _move(session, dispatch_id, DispatchAction.complete, user, at=data.at if data else None)


@router.post("/dispatches/{dispatch_id}/undo", response_model=DispatchPublic)
def undo(dispatch_id: int, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """Take back the last progress report (departed, arrived, completed) within OUEN_UNDO_MINUTES."""
    return _move(session, dispatch_id, DispatchAction.undo, user)


@router.post("/dispatches/{dispatch_id}/cancel", response_model=DispatchPublic)
def cancel(dispatch_id: int, session: SessionDep, user: CurrentUser,
           data: Annotated[DispatchCancel | None, Body()] = None) -> DispatchPublic:
    """Any open state → cancelled (coordinators, the secretariat, or the requester before acceptance)."""
    return _move(session, dispatch_id, DispatchAction.cancel, user, reason=data.reason if data else None)


@router.post("/dispatches/{dispatch_id}/cost", response_model=DispatchPublic)
def answer_cost(dispatch_id: int, data: DispatchCostAnswer, session: SessionDep, user: CurrentUser) -> DispatchPublic:
    """The requester agrees to a cost flagged as out of proportion, or refuses it (the dispatch is cancelled)."""
    dispatch = service.answer_cost(session, dispatch_id=dispatch_id, actor=user, agree=data.decision == "agree",
                                   reason=data.reason)
    return service.views(session, [dispatch], actor=user)[0]
