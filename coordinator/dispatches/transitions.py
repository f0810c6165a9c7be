"""The dispatch lifecycle as an explicit transition table, and the one function that applies it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

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
    undo = "undo"


S, A = DispatchState, DispatchAction

# The dispatch state sets, each defined once here and imported everywhere (issue 13, item 1). Every state
# is in exactly one of PENDING_STATES, COMMITTED_STATES, {completed} and WITHDRAWN_STATES.
#
# Asked for, not yet answered: the people may still come, or not. The dashboard draws them dashed; a plan
# takes them off the need and the supplier's capacity (still-proposed ones a commit would replace aside).
PENDING_STATES: frozenset[DispatchState] = frozenset({S.proposed, S.approved, S.requested})
# Committed and not yet back: these people use the supplier's offered capacity when it accepts again.
COMMITTED_STATES: frozenset[DispatchState] = frozenset({S.accepted, S.en_route, S.on_site})
# Said yes, including those back home: they cover the need (roll-up "accepted", need headcount check, solid
# arrows, a plan's fixed people).
ACCEPTED_STATES: frozenset[DispatchState] = COMMITTED_STATES | {S.completed}
# The supplier has been asked and has not declined (nor was it withdrawn): from `requested` on, both sides
# see each other's contacts.
ASKED_STATES: frozenset[DispatchState] = ACCEPTED_STATES | {S.requested}
# Arrived (roll-up "on_site"), and done (roll-up "fulfilled": a need is fulfilled when these cover it).
ARRIVED_STATES: frozenset[DispatchState] = frozenset({S.on_site, S.completed})
DONE_STATES: frozenset[DispatchState] = frozenset({S.completed})
# Nobody goes: the need and the supplier are free again (a plan ignores them, drills do not ask again).
WITHDRAWN_STATES: frozenset[DispatchState] = frozenset({S.declined, S.cancelled})
# May still move on (`cancel` is allowed from each): everything not completed or withdrawn.
OPEN_STATES: frozenset[DispatchState] = PENDING_STATES | COMMITTED_STATES


def state_values(states: frozenset[DispatchState]) -> list[str]:
    """The states' names, sorted (for SQL `IN` lists)."""
    return sorted(state.value for state in states)


TRANSITIONS: dict[tuple[DispatchState, DispatchAction], DispatchState] = {
    (S.proposed, A.approve): S.approved,
    (S.approved, A.request): S.requested,
    (S.requested, A.accept): S.accepted,
    (S.requested, A.decline): S.declined,
    (S.accepted, A.depart): S.en_route,
    (S.en_route, A.arrive): S.on_site,
    (S.on_site, A.complete): S.completed,
    **{(state, A.cancel): S.cancelled for state in OPEN_STATES},
    # A progress report taken back within the undo window (settings.undo_minutes; issue 15 item 1).
    (S.en_route, A.undo): S.accepted,
    (S.on_site, A.undo): S.en_route,
    (S.completed, A.undo): S.on_site,
}
# Progress steps (reported by people on the move, possibly later, with the actual time) and what undoes one.
PROGRESS_ACTIONS: frozenset[DispatchAction] = frozenset({A.depart, A.arrive, A.complete})
# The action whose report an undo takes back, by the state it leaves.
UNDONE_ACTION: dict[DispatchState, DispatchAction] = {S.en_route: A.depart, S.on_site: A.arrive,
                                                       S.completed: A.complete}

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


# Words for people (issue 15 item 4: no codes in what a person reads); the English messages keep the ids.
STATE_JA: dict[str, str] = {"proposed": "提案中", "approved": "承認済み", "requested": "要請中", "accepted": "受諾済み",
                            "declined": "辞退", "en_route": "移動中", "on_site": "現地で活動中",
                            "completed": "完了", "cancelled": "取り消し"}
ACTION_JA: dict[str, str] = {"approve": "承認", "request": "要請", "accept": "受諾", "decline": "辞退",
                             "depart": "出発の報告", "arrive": "到着の報告", "complete": "完了の報告",
                             "cancel": "取り消し", "undo": "報告の取り消し"}


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
            f"「{STATE_JA[current.value]}」の派遣に「{ACTION_JA[parsed_action.value]}」はできません"
            f"（できる操作：{'・'.join(ACTION_JA[a] for a in allowed) or 'なし'}）",
            field="state", details={"current_state": current.value, "allowed": allowed})
    return target


def transition_values(state: str, action: str, *, now: datetime,
                      version: int) -> tuple[DispatchState, dict[str, object]]:
    """The state an action leads to and the columns it sets (state, the state's timestamp, next version);
    InvalidTransition when the table does not allow it."""
    target = next_state(state, action)
    if action == A.undo:
        # Back one step: the undone state's time is cleared, the earlier state's time stays as it was.
        return target, {"state": target.value, STAMP_OF_STATE[DispatchState(state)]: None, "version": version + 1}
    values: dict[str, object] = {"state": target.value, STAMP_OF_STATE[target]: now, "version": version + 1}
    if state == S.requested:
        values["overdue"] = False  # answered or withdrawn: no longer waiting (overdue_since stays on record)
    return target, values
