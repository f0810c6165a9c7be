"""Who may see and change needs: the one place for this domain's permission rules."""

from __future__ import annotations

from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden
from coordinator.reference import block_of, current_agreement


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


def may_help(disaster: Disaster, *, supporter_id: str, requester_id: str) -> bool:
    """As the agreement allows (issue 15 item 2): an unaffected association helps its own block first, and
    other blocks once cross-block support is open for this disaster (DOMAIN.md: block first, then others)."""
    if supporter_id == requester_id or supporter_id in disaster.affected_associations:
        return False
    supporter_block, requester_block = block_of(supporter_id), block_of(requester_id)
    if supporter_block is None or requester_block is None:
        return False
    return supporter_block == requester_block or disaster.cross_block_open


def can_read(user: User, disaster: Disaster, requester_id: str, *, status: str | None = None) -> bool:
    """Observers, the secretariat and coordinators read every need; staff read their own association's,
    and the open needs their association may help with (status "open")."""
    if disaster_policy.sees_whole_disaster(user, disaster) or acts_for_requester(user, requester_id):
        return True
    return (status == "open" and user.role == ROLE_STAFF and user.association_id is not None
            and may_help(disaster, supporter_id=user.association_id, requester_id=requester_id))


def ensure_can_read(user: User, disaster: Disaster, requester_id: str, *, status: str | None = None) -> None:
    """Raise Forbidden unless the user may read needs of this requester."""
    if not can_read(user, disaster, requester_id, status=status):
        raise Forbidden("You may not read this need", "このニーズを閲覧する権限がありません")


def helpers(disaster: Disaster, requester_id: str) -> list[str]:
    """Associations that may help this requester now (see may_help)."""
    # may_help's rule over every member at once: one agreement lookup instead of two per association.
    requester_block = block_of(requester_id)
    if requester_block is None:
        return []
    agreement = current_agreement()
    affected = set(disaster.affected_associations)
    return sorted(m for block in agreement.blocks if disaster.cross_block_open or block.id == requester_block
                  for m in block.members if m != requester_id and m not in affected)


def event_readers(disaster: Disaster, requester_id: str) -> list[str]:
    """Associations whose staff may read a need's events: the requester, the coordinators, and those who
    may help with it (so that their pages follow the open needs live)."""
    return sorted({requester_id, *disaster_policy.staff_readers(disaster), *helpers(disaster, requester_id)})
