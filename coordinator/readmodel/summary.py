"""The disaster summary: counts of needs by status, the people roll-up and offers, for whoever may read them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session

from coordinator.auth.models import User
from coordinator.disasters.models import Disaster, DisasterSummary, PeopleCounts
from coordinator.disasters.service import get_disaster
from coordinator.needs.models import Need
from coordinator.needs.service import visible_needs
from coordinator.offers.models import Offer
from coordinator.offers.service import disaster_offers
from coordinator.readmodel.people import needs_people, totals


def disaster_summary(session: Session, *, disaster_id: int, actor: User) -> DisasterSummary:
    """Counts of needs by status, people per roll-up stage (total and per requester) and offers."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    needs = visible_needs(session, disaster=disaster, actor=actor)
    offers = disaster_offers(session, disaster=disaster, status="active", actor=actor)
    return summarise(disaster, needs, needs_people(session, needs), offers)


def summarise(disaster: Disaster, needs: Sequence[Need], people_of: Mapping[int, PeopleCounts],
              offers: Sequence[Offer]) -> DisasterSummary:
    """The summary of what was read: the needs, their roll-ups and the active offers."""
    assert disaster.id is not None
    people, by_requester = totals(needs, people_of)
    return DisasterSummary(
        disaster_id=disaster.id, mode=disaster.mode,
        needs_open=sum(1 for n in needs if n.status == "open"),
        needs_fulfilled=sum(1 for n in needs if n.status == "fulfilled"),
        needs_cancelled=sum(1 for n in needs if n.status == "cancelled"),
        people=people, by_requester=by_requester,
        offers_active=len(offers), offered_people=sum(o.headcount for o in offers),
    )
