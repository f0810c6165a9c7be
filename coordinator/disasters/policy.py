"""Who may see and change disasters: the one place for this domain's permission rules."""

from __future__ import annotations

from collections.abc import Iterable

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden


def _staff_of(user: User, association_id: str | None) -> bool:
    return (user.role == ROLE_STAFF and association_id is not None
            and user.association_id == association_id)


def is_block_coordinator(user: User, disaster: Disaster, block: str) -> bool:
    """True when the user is staff of the block's acting coordinator for this disaster."""
    coordinator = (disaster.acting_roles.get("coordinators") or {}).get(block) or {}
    return _staff_of(user, coordinator.get("association_id"))


def coordinator_blocks(user: User, disaster: Disaster) -> set[str]:
    """Blocks for which the user acts as coordinator in this disaster."""
    return {block for block in (disaster.acting_roles.get("coordinators") or {})
            if is_block_coordinator(user, disaster, block)}


def is_acting_secretariat(user: User, disaster: Disaster) -> bool:
    """Secretariat users, and staff of the fail-over association when the secretariat failed over."""
    if user.role == ROLE_SECRETARIAT:
        return True
    secretariat = disaster.acting_roles.get("secretariat") or {}
    return bool(secretariat.get("is_failover")) and _staff_of(user, secretariat.get("id"))


def sees_whole_disaster(user: User, disaster: Disaster) -> bool:
    """Observers, the secretariat and the disaster's coordinators see every record of it."""
    return (user.role == ROLE_OBSERVER or is_acting_secretariat(user, disaster)
            or bool(coordinator_blocks(user, disaster)))


def staff_readers(disaster: Disaster) -> list[str]:
    """Associations whose staff see every record of this disaster (coordinators, fail-over secretariat)."""
    readers = {c.get("association_id") for c in (disaster.acting_roles.get("coordinators") or {}).values()}
    secretariat = disaster.acting_roles.get("secretariat") or {}
    if secretariat.get("is_failover"):
        readers.add(secretariat.get("id"))
    return sorted(r for r in readers if r)


def can_read_disaster(user: User, disaster: Disaster) -> bool:
    """Every signed-in user may read a disaster: supporters must know it to offer help."""
    return user.is_active


def can_read_event(user: User, disaster: Disaster, associations: Iterable[str]) -> bool:
    """An event is readable by observers and the secretariat, and by staff of the associations it names."""
    if user.role == ROLE_OBSERVER or is_acting_secretariat(user, disaster):
        return True
    return user.association_id is not None and user.association_id in set(associations)


def ensure_can_declare(user: User, *, coordinator_associations: Iterable[str]) -> None:
    """Only the secretariat or staff of a block's current (or acting) coordinator declare disasters."""
    if user.role == ROLE_SECRETARIAT:
        return
    if user.role == ROLE_STAFF and user.association_id in set(coordinator_associations):
        return
    raise Forbidden("Only the secretariat or a block coordinator may declare a disaster",
                    "災害を宣言できるのは事務局またはブロック幹事団体のみです")


def ensure_can_open_cross_block(user: User, disaster: Disaster) -> None:
    """Cross-block support is opened by the acting secretariat (source: DOMAIN.md, CLAIR liaises)."""
    if not is_acting_secretariat(user, disaster):
        raise Forbidden("Only the acting secretariat may open cross-block support",
                        "ブロック間支援を開始できるのは事務局（代行を含む）のみです")


def ensure_can_change(user: User, disaster: Disaster) -> None:
    """Closing or renaming: the acting secretariat or one of the disaster's acting coordinators."""
    if is_acting_secretariat(user, disaster) or coordinator_blocks(user, disaster):
        return
    raise Forbidden("Only the secretariat or an acting coordinator of this disaster may change it",
                    "この災害を変更できるのは事務局またはこの災害の幹事団体のみです")

