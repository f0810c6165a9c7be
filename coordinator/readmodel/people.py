"""The one roll-up: people by dispatch state per need, from one GROUP BY (issue 13, item 2).

Needs, exports, the disaster summary, the web picture and drills read it from here, so every page and
file counts people the same way, and a list of needs costs one query, not one per need.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

from sqlalchemy import func
from sqlmodel import Session, col, select

from coordinator.disasters.models import PeopleCounts
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.transitions import (
    ACCEPTED_STATES,
    ARRIVED_STATES,
    DONE_STATES,
    PENDING_STATES,
    DispatchState,
)
from coordinator.needs.models import Need

# The stages of the funnel and the dispatch states counted at each (a person counts at every stage reached).
STAGES: dict[str, frozenset[DispatchState]] = {
    "proposed": PENDING_STATES | ACCEPTED_STATES,
    "accepted": ACCEPTED_STATES,
    "on_site": ARRIVED_STATES,
    "fulfilled": DONE_STATES,
}


def people_by_state(session: Session, *, need_ids: Collection[int] | None = None,
                    disaster_id: int | None = None) -> dict[int, dict[str, int]]:
    """People (sum of headcounts) per dispatch state for each need with dispatches, in one GROUP BY over the
    given needs or over a whole disaster; every state is present in each need's counts."""
    if need_ids is None and disaster_id is None:
        raise ValueError("people_by_state needs need_ids or disaster_id")
    query = select(Dispatch.need_id, Dispatch.state, func.sum(Dispatch.headcount))
    if disaster_id is not None:
        query = query.where(Dispatch.disaster_id == disaster_id)
    if need_ids is not None:
        if not need_ids:
            return {}
        query = query.where(col(Dispatch.need_id).in_(sorted(need_ids)))
    by_need: dict[int, dict[str, int]] = {}
    for need_id, state, total in session.exec(query.group_by(Dispatch.need_id, Dispatch.state)):
        counts = by_need.setdefault(need_id, {state.value: 0 for state in DispatchState})
        counts[state] = int(total or 0)
    return by_need


def counts_for(need: Need, by_state: Mapping[str, int]) -> PeopleCounts:
    """A need's roll-up from its people per state: requested (0 once cancelled) and each funnel stage."""
    stages = {stage: sum(by_state.get(s.value, 0) for s in states) for stage, states in STAGES.items()}
    return PeopleCounts(requested=need.headcount if need.status != "cancelled" else 0, **stages)


def needs_people(session: Session, needs: Sequence[Need]) -> dict[int, PeopleCounts]:
    """The roll-up of each need (by id), one query for all of them."""
    ids = {need.id for need in needs if need.id is not None}
    if not ids:
        return {}
    disasters = {need.disaster_id for need in needs}
    # A disaster's needs: filter on the disaster (indexed), not on a long list of need ids.
    by_need = (people_by_state(session, disaster_id=next(iter(disasters))) if len(disasters) == 1 and len(ids) > 1
               else people_by_state(session, need_ids=ids))
    return {need.id: counts_for(need, by_need.get(need.id, {})) for need in needs if need.id is not None}


def need_people(session: Session, need: Need) -> PeopleCounts:
    """The roll-up of one need."""
    assert need.id is not None
    return needs_people(session, [need])[need.id]


def totals(needs: Iterable[Need], people: Mapping[int, PeopleCounts]) -> tuple[PeopleCounts, dict[str, PeopleCounts]]:
    """Sum of the needs' roll-ups: the total, and per requesting association."""
    total = PeopleCounts()
    by_requester: dict[str, PeopleCounts] = {}
    for need in needs:
        counts = people.get(need.id or 0)
        if counts is None:
            continue
        bucket = by_requester.setdefault(need.requester_id, PeopleCounts())
        for stage in PeopleCounts.model_fields:
            setattr(total, stage, getattr(total, stage) + getattr(counts, stage))
            setattr(bucket, stage, getattr(bucket, stage) + getattr(counts, stage))
    return total, by_requester
