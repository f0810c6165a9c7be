"""Who may export a disaster's records: the one place for this domain's permission rules."""

from __future__ import annotations

from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden


def ensure_can_export(user: User, disaster: Disaster) -> None:
    """Secretariat, coordinators and observers export everything; requester staff their own rows."""
    if disaster_policy.sees_whole_disaster(user, disaster):
        return
    if user.role == ROLE_STAFF and user.association_id in disaster.affected_associations:
        return
    raise Forbidden("Only the secretariat, coordinators, observers and requesting associations may export",
                    "出力できるのは事務局、幹事団体、オブザーバー、要請団体のみです")


def row_visible(user: User, disaster: Disaster, requester_id: str) -> bool:
    """A row is exported to those who see the whole disaster, or to the requester's own staff."""
    return disaster_policy.sees_whole_disaster(user, disaster) or (
        user.role == ROLE_STAFF and user.association_id == requester_id)
