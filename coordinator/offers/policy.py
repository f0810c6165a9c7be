"""Who may see and change offers and standing capacity: the one place for this domain's permission rules."""

from __future__ import annotations

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.disasters.policy import Capacity
from coordinator.errors import Forbidden
from coordinator.reference import block_of, current_agreement


def is_staff_of(user: User, association_id: str) -> bool:
    """True when the user is staff of this association."""
    return user.role == ROLE_STAFF and user.association_id == association_id


def offering_association(user: User, requested: str | None) -> str:
    """The association an offer or capacity row is for: only its own staff may write it."""
    if user.role != ROLE_STAFF or user.association_id is None:
        raise Forbidden("Only staff of an association may offer people or register its capacity",
                        "支援の申し出や平常時の登録ができるのは協会の職員のみです")
    if requested is not None and requested != user.association_id:
        raise Forbidden("association_id: staff may act only for their own association",
                        "association_id：職員は自分の協会の分しか登録・変更できません", field="association_id")
    return user.association_id


def ensure_can_change(user: User, association_id: str) -> None:
    """Only staff of the association may change its standing capacity."""
    if not is_staff_of(user, association_id):
        raise Forbidden("Only staff of the offering association may change this",
                        "これを変更できるのは申し出た協会の職員のみです")


def on_behalf_capacity(user: User, disaster: Disaster, association_id: str) -> Capacity | None:
    """Who may record (and amend) an offer taken by phone for an association: the secretariat for any
    association, a block's acting coordinator for the members of its block (issue 12 item 13)."""
    secretariat = disaster_policy.secretariat_capacity(user, disaster)
    if secretariat is not None:
        return secretariat
    return disaster_policy.coordinator_capacity(user, disaster, block_of(association_id))


def offer_capacity(user: User, disaster: Disaster, requested: str | None) -> tuple[str, Capacity, bool]:
    """(association, capacity, on behalf) of a new offer: staff offer for their own association; the
    secretariat and block coordinators may name another (on its behalf); anyone else is refused."""
    if requested is None or (user.role == ROLE_STAFF and requested == user.association_id):
        if user.role != ROLE_STAFF or user.association_id is None:
            raise Forbidden("association_id: name the association you record this offer for",
                            "association_id：どの協会の申し出かを指定してください", field="association_id")
        return user.association_id, disaster_policy.Capacity(
            disaster_policy.STAFF, user.association_id, block_of(user.association_id),
            "staff of the offering association", "申し出る協会の職員"), False
    capacity = on_behalf_capacity(user, disaster, requested)
    if capacity is None:
        raise Forbidden("association_id: only the secretariat, or the acting coordinator of the association's "
                        "block, may record an offer on its behalf",
                        "association_id：他の協会の申し出を代理で登録できるのは事務局、またはその協会の"
                        "ブロックの幹事団体のみです", field="association_id")
    return requested, capacity, True


def change_capacity(user: User, disaster: Disaster, association_id: str) -> Capacity:
    """Amending or withdrawing an offer: the offering association's staff, or whoever may act on its behalf."""
    if is_staff_of(user, association_id):
        return disaster_policy.Capacity(disaster_policy.STAFF, association_id, block_of(association_id),
                                        "staff of the offering association", "申し出る協会の職員")
    capacity = on_behalf_capacity(user, disaster, association_id)
    if capacity is None:
        raise Forbidden("Only staff of the offering association, its block's coordinator or the secretariat "
                        "may change this offer",
                        "この申し出を変更できるのは申し出た協会の職員、そのブロックの幹事団体、または事務局のみです")
    return capacity


def may_offer_for_someone(user: User, disaster: Disaster) -> bool:
    """Whether the user may offer for any unaffected association in this disaster (own or on behalf)."""
    affected = set(disaster.affected_associations)
    if user.role == ROLE_STAFF and user.association_id and user.association_id not in affected \
            and block_of(user.association_id) is not None:
        return True
    if disaster_policy.secretariat_capacity(user, disaster) is not None:
        return True
    agreement = current_agreement()
    return any(set(block.members) - affected for block in agreement.blocks
               if disaster_policy.is_block_coordinator(user, disaster, block.id))


def can_read_offer(user: User, disaster: Disaster, association_id: str) -> bool:
    """Observers, the secretariat and coordinators read every offer; staff read their association's."""
    return disaster_policy.sees_whole_disaster(user, disaster) or is_staff_of(user, association_id)


def ensure_can_read_offer(user: User, disaster: Disaster, association_id: str) -> None:
    """Raise Forbidden unless the user may read this offer."""
    if not can_read_offer(user, disaster, association_id):
        raise Forbidden("You may not read this offer", "この申し出を閲覧する権限がありません")


def can_read_capacity(user: User, association_id: str) -> bool:
    """Standing capacity is read by the secretariat, observers and the association's own staff."""
    return user.role in (ROLE_SECRETARIAT, ROLE_OBSERVER) or is_staff_of(user, association_id)


def offer_event_readers(disaster: Disaster, association_id: str) -> list[str]:
    """Associations whose staff may read an offer's events: the offerer and the coordinators."""
    return sorted({association_id, *disaster_policy.staff_readers(disaster)})
