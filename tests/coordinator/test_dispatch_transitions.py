"""The dispatch transition table, exhaustively: every (state, action) pair is valid or a 409."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coordinator.dispatches.transitions import (
    ACCEPTED_STATES,
    ARRIVED_STATES,
    ASKED_STATES,
    COMMITTED_STATES,
    DONE_STATES,
    OPEN_STATES,
    PENDING_STATES,
    STAMP_OF_STATE,
    STATE_JA,
    TRANSITIONS,
    WITHDRAWN_STATES,
    DispatchAction,
    DispatchState,
    allowed_actions,
    next_state,
    state_values,
    transition_values,
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
    # Issue 15 item 1: a progress report may be taken back (within the undo window the service checks).
    (S.en_route, A.undo): S.accepted,
    (S.on_site, A.undo): S.en_route,
    (S.completed, A.undo): S.on_site,
}


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
    # English names the state's id; Japanese names it in words (issue 15 item 4).
    assert state.value in error.message_en and STATE_JA[state.value] in error.message_ja
    assert state.value not in error.message_ja


def test_final_states_allow_nothing_and_open_states_allow_cancel() -> None:
    for state in (S.declined, S.cancelled):
        assert allowed_actions(state) == []
    assert allowed_actions(S.completed) == ["undo"]  # only within the undo window (service)
    for state in OPEN_STATES:
        assert "cancel" in allowed_actions(state)


def test_transition_values_set_the_state_its_stamp_and_the_next_version() -> None:
    now = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    assert transition_values("requested", "accept", now=now, version=3) == (
        S.accepted, {"state": "accepted", "answered_at": now, "version": 4, "overdue": False})
    assert transition_values("proposed", "cancel", now=now, version=1) == (
        S.cancelled, {"state": "cancelled", "cancelled_at": now, "version": 2})
    # Undo clears the undone state's time and keeps the earlier one.
    assert transition_values("on_site", "undo", now=now, version=5) == (
        S.en_route, {"state": "en_route", "on_site_at": None, "version": 6})
    assert STAMP_OF_STATE[S.declined] == "answered_at"


def test_transition_values_refuse_what_the_table_does_not_allow() -> None:
    with pytest.raises(InvalidTransition):
        transition_values("completed", "cancel", now=datetime.now(UTC), version=1)


def test_state_sets_have_one_meaning_each() -> None:
    # Every state is pending, committed, done or withdrawn: exactly one of them.
    parts = [PENDING_STATES, COMMITTED_STATES, DONE_STATES, WITHDRAWN_STATES]
    assert sorted(s for part in parts for s in part) == sorted(DispatchState)
    assert {S.proposed, S.approved, S.requested} == PENDING_STATES
    assert {S.accepted, S.en_route, S.on_site} == COMMITTED_STATES  # completed people are back home
    assert COMMITTED_STATES | {S.completed} == ACCEPTED_STATES  # they still cover the need
    assert {S.requested} | ACCEPTED_STATES == ASKED_STATES  # asked, and not declined or withdrawn
    assert {S.on_site, S.completed} == ARRIVED_STATES and {S.completed} == DONE_STATES
    # Open means "the table still lets it move on" (cancel at least); the others are final (a completed
    # dispatch's report may only be taken back, within the undo window).
    cancellable = {s for s in DispatchState if "cancel" in allowed_actions(s)}
    assert cancellable == OPEN_STATES == PENDING_STATES | COMMITTED_STATES
    assert {s for s in DispatchState if set(allowed_actions(s)) - {"undo"}} == OPEN_STATES
    assert state_values(WITHDRAWN_STATES) == ["cancelled", "declined"]


def test_unknown_action_is_invalid_naming_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        next_state("proposed", "teleport")
    assert caught.value.field == "action" and caught.value.status == 422
