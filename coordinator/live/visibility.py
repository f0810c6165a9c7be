"""Who sees which live event: the subscriber (Principal), the roles that see everything, the library
default rule and the HTTP timeline's rule (coordinator.disasters.policy.can_read_event).

These rules live here, not in realtime/, which knows events and not roles (issue 13, item 5).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from coordinator.auth.models import ROLE_STAFF
from coordinator.disasters import policy
from coordinator.disasters.models import Disaster
from realtime.protocol import CLOSE_FORBIDDEN, Envelope, Subscription, SubscriptionError

ALL_SEEING_ROLES = frozenset({"secretariat", "observer"})
# The security log (sign-ins with logins and addresses, tokens, sessions, accounts) is the secretariat's
# alone; observers see the disaster picture (issue 12 item 7).
SECURITY_EVENT_PREFIX = "auth."


def is_security_event(event: Envelope) -> bool:
    """Whether an event belongs to the security log."""
    return event.type.startswith(SECURITY_EVENT_PREFIX)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated subscriber, as the app describes it at connect time."""

    user_id: int
    role: str  # staff | secretariat | observer
    association_id: str | None = None
    may_read_drill: bool = False
    # disaster id -> associations this user coordinates for in that disaster (acting block coordinator).
    coordinates: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # disasters whose every event this user may read (e.g. staff of a fail-over secretariat).
    whole_disasters: frozenset[int] = frozenset()
    # ("token" | "session", SHA-256 of the secret) it connected with: re-checked by coordinator/live/guard.py.
    credential: tuple[str, str] | None = None


def default_can_see(principal: Principal, event: Envelope) -> bool:
    """ouen's reading rule for one event (docs/realtime.md, "Who sees what")."""
    if event.mode == "drill" and not principal.may_read_drill:
        return False
    if is_security_event(event) and principal.role != "secretariat":
        return False
    if principal.role in ALL_SEEING_ROLES:
        return True
    if event.disaster_id is not None and event.disaster_id in principal.whole_disasters:
        return True
    if principal.association_id is not None and principal.association_id in event.associations:
        return True
    if not event.associations:
        # Disaster-wide events are public to signed-in users of that mode; events bound to no disaster
        # (accounts, registers) with no association are administrative and stay with the secretariat.
        return event.disaster_id is not None
    if event.disaster_id is not None:
        coordinated = principal.coordinates.get(event.disaster_id)
        if coordinated and not coordinated.isdisjoint(event.associations):
            return True
    return False


def default_authorize(principal: Principal, subscription: Subscription) -> None:
    """Refuse at subscribe time what could never be shown; raises SubscriptionError with code 4403."""
    if subscription.mode == "drill" and not principal.may_read_drill:
        raise SubscriptionError("mode", "this account may not watch drills",
                                "このアカウントは訓練を閲覧できません", code=CLOSE_FORBIDDEN)
    if principal.role not in ALL_SEEING_ROLES and principal.role != "staff":
        raise SubscriptionError("role", f"role {principal.role!r} may not subscribe",
                                f"ロール {principal.role!r} は購読できません", code=CLOSE_FORBIDDEN)


def can_see_as_timeline(principal: Principal, event: Envelope) -> bool:
    """GET /api/v1/disasters/{id}/events's rule on one live event (docs/realtime.md, "Who sees what").

    Observers and the secretariat see everything; staff of a fail-over secretariat see every event of
    the disasters they act for (`whole_disasters`); other staff see the events naming their association.
    Coordinators are named on their disasters' records by the domains (policy.staff_readers), which is
    how the timeline lets them read those, so they need no rule of their own here.
    """
    if event.mode == "drill" and not principal.may_read_drill:
        return False
    if is_security_event(event) and principal.role != "secretariat":
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
