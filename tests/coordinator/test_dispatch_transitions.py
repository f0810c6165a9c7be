"""The dispatch transition table, exhaustively: every (state, action) pair is valid or a 409."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from coordinator.dispatches.transitions import (
    OPEN_STATES,
    STAMP_OF_STATE,
    TRANSITIONS,
    DispatchAction,
    DispatchState,
    allowed_actions,
    apply_transition,
    next_state,
)
from coordinator.errors import Invalid, InvalidTransition

S, A = DispatchState, DispatchAction

# The lifecycle as issue 3 states it, written out independently of the table under test.
EXPECTED = {
    (S.proposed, A.approve): S.approved,
    (S.approved, A.request): S.requested,
    (S.requested, A.accept): S.accepted,
    (S.requested, A.decline): S.declined,
    (S.accepted, A.depart): S.en_route,
    (S.en_route, A.arrive): S.on_site,
    (S.on_site, A.complete): S.completed,
    (S.proposed, A.cancel): S.cancelled,
    (S.approved, A.cancel): S.cancelled,
    (S.requested, A.cancel): S.cancelled,
    (S.accepted, A.cancel): S.cancelled,
    (S.en_route, A.cancel): S.cancelled,
    (S.on_site, A.cancel): S.cancelled,
}


@dataclass
class FakeDispatch:
    state: str
    version: int = 1
    proposed_at: datetime | None = None
    approved_at: datetime | None = None
    requested_at: datetime | None = None
    answered_at: datetime | None = None
    en_route_at: datetime | None = None
    on_site_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None


def test_table_is_exactly_the_documented_lifecycle() -> None:
    assert EXPECTED == TRANSITIONS


@pytest.mark.parametrize("state", list(DispatchState))
@pytest.mark.parametrize("action", list(DispatchAction))
def test_every_state_action_pair_is_valid_or_a_409_naming_the_current_state(state: DispatchState,
                                                                           action: DispatchAction) -> None:
    if (state, action) in EXPECTED:
        assert next_state(state, action) == EXPECTED[(state, action)]
        return
    with pytest.raises(InvalidTransition) as caught:
        next_state(state, action)
    error = caught.value
    assert error.status == 409
    assert error.details["current_state"] == state.value
    assert error.details["allowed"] == allowed_actions(state)
    assert state.value in error.message_en and state.value in error.message_ja


def test_final_states_allow_nothing_and_open_states_allow_cancel() -> None:
    for state in (S.declined, S.completed, S.cancelled):
        assert allowed_actions(state) == []
    for state in OPEN_STATES:
        assert "cancel" in allowed_actions(state)


def test_apply_transition_sets_state_and_stamps_the_time() -> None:
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    dispatch = FakeDispatch(state="requested")
    assert apply_transition(dispatch, "accept", now=now) == S.accepted
    assert dispatch.state == "accepted" and dispatch.answered_at == now
    assert STAMP_OF_STATE[S.declined] == "answered_at"


def test_apply_transition_leaves_the_dispatch_untouched_when_refused() -> None:
    dispatch = FakeDispatch(state="completed")
    with pytest.raises(InvalidTransition):
        apply_transition(dispatch, "cancel", now=datetime.now(UTC))
    assert dispatch.state == "completed" and dispatch.cancelled_at is None


def test_unknown_action_is_invalid_naming_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        next_state("proposed", "teleport")
    assert caught.value.field == "action" and caught.value.status == 422
