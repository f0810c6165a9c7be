"""Who sees which live event: the HTTP timeline's rule (coordinator.disasters.policy.can_read_event)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from coordinator.auth.models import ROLE_STAFF
from coordinator.disasters import policy
from coordinator.disasters.models import Disaster
from realtime.auth import ALL_SEEING_ROLES, Principal
from realtime.protocol import Envelope


def can_see_as_timeline(principal: Principal, event: Envelope) -> bool:
    """GET /api/v1/disasters/{id}/events's rule on one live event (docs/realtime.md, "Who sees what").

    Observers and the secretariat see everything; staff of a fail-over secretariat see every event of
    the disasters they act for (`whole_disasters`); other staff see the events naming their association.
    Coordinators are named on their disasters' records by the domains (policy.staff_readers), which is
    how the timeline lets them read those, so they need no rule of their own here.
    """
    if event.mode == "drill" and not principal.may_read_drill:
        return False
    if principal.role in ALL_SEEING_ROLES:
        return True
    if event.disaster_id is None:
        return False  # accounts and registers: administrative, never on a disaster's timeline
    if event.disaster_id in principal.whole_disasters:
        return True
    return principal.association_id is not None and principal.association_id in event.associations


def acting_secretariat_disasters(session: Session, user: Any) -> frozenset[int]:
    """Disasters in which a staff user acts as the (fail-over) secretariat and so reads every event."""
    if getattr(user, "role", None) != ROLE_STAFF or getattr(user, "association_id", None) is None:
        return frozenset()
    return frozenset(disaster.id for disaster in session.exec(select(Disaster))
                     if disaster.id is not None and policy.is_acting_secretariat(user, disaster))


def block_members_of(agreement: Any) -> Mapping[str, frozenset[str]]:
    """Block id -> its member association ids, from a loaded agreement (for `block` subscriptions)."""
    return {block.id: frozenset(block.members) for block in agreement.blocks}
