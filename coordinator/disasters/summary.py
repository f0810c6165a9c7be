"""The disaster summary: roll-ups of needs and offers, shown to whoever may read the records."""

from __future__ import annotations

from sqlmodel import Session

from coordinator.auth.models import User
from coordinator.disasters.models import DisasterSummary
from coordinator.disasters.service import get_disaster


def disaster_summary(session: Session, *, disaster_id: int, actor: User) -> DisasterSummary:
    """Counts of needs by status, people per roll-up stage (total and per requester) and offers."""
    from coordinator.needs.service import disaster_people, visible_needs
    from coordinator.offers.service import disaster_offers

    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    assert disaster.id is not None
    needs = visible_needs(session, disaster=disaster, actor=actor)
    people, by_requester = disaster_people(session, disaster=disaster, needs=needs)
    offers = disaster_offers(session, disaster=disaster, status="active", actor=actor)
    return DisasterSummary(
        disaster_id=disaster.id, mode=disaster.mode,
        needs_open=sum(1 for n in needs if n.status == "open"),
        needs_fulfilled=sum(1 for n in needs if n.status == "fulfilled"),
        needs_cancelled=sum(1 for n in needs if n.status == "cancelled"),
        people=people, by_requester=by_requester,
        offers_active=len(offers), offered_people=sum(o.headcount for o in offers),
    )
