"""The dispatch lifecycle as an explicit transition table, and the one function that applies it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Protocol

from coordinator.errors import Invalid, InvalidTransition


class DispatchState(StrEnum):
    """Where a dispatch is in its lifecycle (issue 3, item 6)."""

    proposed = "proposed"
    approved = "approved"
    requested = "requested"
    accepted = "accepted"
    declined = "declined"
    en_route = "en_route"
    on_site = "on_site"
    completed = "completed"
    cancelled = "cancelled"


class DispatchAction(StrEnum):
    """What a person can do to a dispatch; each action names one edge of the table."""

    approve = "approve"
    request = "request"
    accept = "accept"
    decline = "decline"
    depart = "depart"
    arrive = "arrive"
    complete = "complete"
    cancel = "cancel"


S, A = DispatchState, DispatchAction

# States from which a dispatch may still move on; `cancel` is allowed from each of them.
OPEN_STATES: frozenset[DispatchState] = frozenset(
    {S.proposed, S.approved, S.requested, S.accepted, S.en_route, S.on_site})
FINAL_STATES: frozenset[DispatchState] = frozenset({S.declined, S.completed, S.cancelled})
# States whose people count against the supplier's offered capacity and the need's headcount.
COMMITTED_STATES: frozenset[DispatchState] = frozenset({S.accepted, S.en_route, S.on_site})

TRANSITIONS: dict[tuple[DispatchState, DispatchAction], DispatchState] = {
    (S.proposed, A.approve): S.approved,
    (S.approved, A.request): S.requested,
    (S.requested, A.accept): S.accepted,
    (S.requested, A.decline): S.declined,
    (S.accepted, A.depart): S.en_route,
    (S.en_route, A.arrive): S.on_site,
    (S.on_site, A.complete): S.completed,
    **{(state, A.cancel): S.cancelled for state in OPEN_STATES},
}

# The timestamp column each state stamps when a dispatch enters it.
STAMP_OF_STATE: dict[DispatchState, str] = {
    S.proposed: "proposed_at",
    S.approved: "approved_at",
    S.requested: "requested_at",
    S.accepted: "answered_at",
    S.declined: "answered_at",
    S.en_route: "en_route_at",
    S.on_site: "on_site_at",
    S.completed: "completed_at",
    S.cancelled: "cancelled_at",
}


class Transitionable(Protocol):
    """What apply_transition needs of a dispatch: a state, its timestamps and a version."""

    state: str
    version: int


def allowed_actions(state: str) -> list[str]:
    """The actions the table allows from a state, in lifecycle order."""
    return [action.value for action in DispatchAction if (DispatchState(state), action) in TRANSITIONS]


def next_state(state: str, action: str) -> DispatchState:
    """The state an action leads to from `state`, or InvalidTransition (409) naming the current state."""
    try:
        parsed_action = DispatchAction(action)
    except ValueError:
        names = [a.value for a in DispatchAction]
        raise Invalid(f"action: unknown action {action!r}; one of {names}",
                      f"操作 {action!r} は存在しません（{'・'.join(names)}のいずれか）",
                      field="action") from None
    current = DispatchState(state)
    target = TRANSITIONS.get((current, parsed_action))
    if target is None:
        allowed = allowed_actions(current)
        raise InvalidTransition(
            f"Cannot {parsed_action.value} a dispatch that is {current.value}; allowed: {allowed or 'none'}",
            f"状態「{current.value}」の派遣に「{parsed_action.value}」はできません"
            f"（可能な操作：{'・'.join(allowed) or 'なし'}）",
            field="state", details={"current_state": current.value, "allowed": allowed})
    return target


def apply_transition(dispatch: Transitionable, action: str, *, now: datetime) -> DispatchState:
    """Move a dispatch along the table: set its state and the new state's timestamp; returns the new state."""
    target = next_state(dispatch.state, action)
    dispatch.state = target.value
    setattr(dispatch, STAMP_OF_STATE[target], now)
    return target
