"""Who may see and change needs: the one place for this domain's permission rules."""

from __future__ import annotations

from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden


def acts_for_requester(user: User, requester_id: str) -> bool:
    """True when the user is staff of the requesting association itself."""
    return user.role == ROLE_STAFF and user.association_id == requester_id


def may_write_on_behalf(user: User, disaster: Disaster, requester_block: str | None) -> bool:
    """A coordinator of the requester's block, or the acting secretariat, may act for the requester."""
    if disaster_policy.is_acting_secretariat(user, disaster):
        return True
    return requester_block is not None and disaster_policy.is_block_coordinator(user, disaster,
                                                                                 requester_block)


def ensure_can_write(user: User, disaster: Disaster, *, requester_id: str,
                     requester_block: str | None) -> bool:
    """Allow the requester's staff or someone acting on its behalf; return True when on behalf."""
    if acts_for_requester(user, requester_id):
        return False
    if may_write_on_behalf(user, disaster, requester_block):
        return True
    raise Forbidden("Only the requesting association's staff, its block coordinator or the secretariat "
                    "may create or change this need",
                    "このニーズを登録・変更できるのは要請団体の職員、そのブロックの幹事団体、または事務局のみです")


def can_read(user: User, disaster: Disaster, requester_id: str) -> bool:
    """Observers, the secretariat and coordinators read every need; staff read their own association's."""
    return disaster_policy.sees_whole_disaster(user, disaster) or acts_for_requester(user, requester_id)


def ensure_can_read(user: User, disaster: Disaster, requester_id: str) -> None:
    """Raise Forbidden unless the user may read needs of this requester."""
    if not can_read(user, disaster, requester_id):
        raise Forbidden("You may not read this need", "このニーズを閲覧する権限がありません")


def event_readers(disaster: Disaster, requester_id: str) -> list[str]:
    """Associations whose staff may read a need's events: the requester and the coordinators."""
    return sorted({requester_id, *disaster_policy.staff_readers(disaster)})
