"""Who may see and change contacts: the one place for this domain's permission rules.

Issue 15 item 3: contacts are visible only to the two associations of a dispatch, the coordinators and
the secretariat; never to observers (nor in their exports), and an association's peacetime list is
edited by its own staff.
"""

from __future__ import annotations

from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.dispatches.transitions import ASKED_STATES
from coordinator.errors import Forbidden


def is_staff_of(user: User, association_id: str) -> bool:
    """True when the user is active staff of this association."""
    return user.role == ROLE_STAFF and user.is_active and user.association_id == association_id


def coordinates(user: User, disaster: Disaster) -> bool:
    """The acting secretariat or an acting coordinator of this disaster (observers are not)."""
    return disaster_policy.is_acting_secretariat(user, disaster) or bool(
        disaster_policy.coordinator_blocks(user, disaster))


def may_read_association_contacts(user: User, association_id: str) -> bool:
    """Outside a disaster: the association's own staff and the secretariat."""
    return is_staff_of(user, association_id) or user.role == ROLE_SECRETARIAT


def ensure_can_edit_association_contacts(user: User, association_id: str) -> None:
    """Only the association's own staff keep its contact list."""
    if not is_staff_of(user, association_id):
        raise Forbidden("Only the association's own staff may change its contacts",
                        "連絡先を変更できるのはその協会の職員のみです", field="association_id")


def ensure_can_read_association_contacts(user: User, association_id: str) -> None:
    """Raise Forbidden unless the user may read this association's contact list."""
    if not may_read_association_contacts(user, association_id):
        raise Forbidden("Only the association's own staff and the secretariat may read its contacts here",
                        "ここで連絡先を見られるのはその協会の職員と事務局のみです", field="association_id")


def may_see_dispatch_contacts(user: User, disaster: Disaster, *, requester_id: str, supplier_id: str,
                              state: str) -> bool:
    """Both sides once the supplier is asked (the requester also before), coordinators, the secretariat."""
    if coordinates(user, disaster) or is_staff_of(user, requester_id):
        return True
    return is_staff_of(user, supplier_id) and state in ASKED_STATES


def may_see_need_contact(user: User, disaster: Disaster, *, requester_id: str, asked_suppliers: set[str]) -> bool:
    """The requester, coordinators, the secretariat, and suppliers asked to help with this need."""
    if coordinates(user, disaster) or is_staff_of(user, requester_id):
        return True
    return user.role == ROLE_STAFF and user.association_id in asked_suppliers


def ensure_can_set_people(user: User, supplier_id: str) -> None:
    """The people sent are named by the supplier's own staff."""
    if not is_staff_of(user, supplier_id):
        raise Forbidden("Only the supporting association's staff may name the people it sends",
                        "派遣する人の名前を登録できるのは応援団体の職員のみです", field="dispatch_id")


def exports_contacts(user: User) -> bool:
    """Exports carry contact columns for everyone but observers (for whom the columns are removed)."""
    return user.role != "observer"
