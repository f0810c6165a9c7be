"""Who may see and change offers and standing capacity: the one place for this domain's permission rules."""

from __future__ import annotations

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden


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
    """Only staff of the offering association may amend or withdraw its offers and capacity."""
    if not is_staff_of(user, association_id):
        raise Forbidden("Only staff of the offering association may change this",
                        "これを変更できるのは申し出た協会の職員のみです")


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
