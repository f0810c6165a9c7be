"""What a user may do to a disaster now: `DisasterPublic.allowed_actions`, from the domains' own policies.

Each name is allowed here exactly when the server would accept the matching request from this user
(the authority matrix tests check both against each other).
"""

from __future__ import annotations

from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden
from coordinator.reference import block_of

DISASTER_ACTIONS = ("rename", "change_area", "close", "reopen", "plan", "open_cross_block", "declare_need",
                    "offer", "export")


def may_declare_need(user: User, disaster: Disaster) -> bool:
    """Staff of an affected association, or someone who may write a need on an affected association's behalf."""
    from coordinator.needs import policy as need_policy

    if user.role == ROLE_STAFF and user.association_id in disaster.affected_associations:
        return True
    blocks = {block_of(a) for a in disaster.affected_associations}
    return any(need_policy.may_write_on_behalf(user, disaster, b) for b in blocks)


def may_offer(user: User, disaster: Disaster) -> bool:
    """Staff of an unaffected association, or someone who may record an offer on an association's behalf."""
    from coordinator.offers import policy as offer_policy

    return offer_policy.may_offer_for_someone(user, disaster)


def _may_export(user: User, disaster: Disaster) -> bool:
    from coordinator.exports import policy as export_policy

    try:
        export_policy.ensure_can_export(user, disaster)
    except Forbidden:
        return False
    return True


def disaster_actions(user: User, disaster: Disaster) -> list[str]:
    """The actions of DISASTER_ACTIONS that the server allows this user on this disaster now."""
    is_open = disaster.status == "open"
    allowed: list[str] = []
    whole = policy.whole_disaster_capacity(user, disaster)
    if is_open and whole is not None:
        allowed += ["rename", "change_area", "close"]
    if not is_open and policy.secretariat_capacity(user, disaster) is not None:
        allowed.append("reopen")
    if is_open and policy.plan_capacity(user, disaster) is not None:
        allowed.append("plan")
    if is_open and not disaster.cross_block_open and policy.secretariat_capacity(user, disaster) is not None:
        allowed.append("open_cross_block")
    if is_open and may_declare_need(user, disaster):
        allowed.append("declare_need")
    if is_open and may_offer(user, disaster):
        allowed.append("offer")
    if _may_export(user, disaster):
        allowed.append("export")
    return allowed
