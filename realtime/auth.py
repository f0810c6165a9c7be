"""Who is subscribing, and the default rule for which events they may see."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from realtime.protocol import (
    CLOSE_FORBIDDEN,
    Envelope,
    Subscription,
    SubscriptionError,
)

ALL_SEEING_ROLES = frozenset({"secretariat", "observer"})


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


CanSee = Callable[[Principal, Envelope], bool]
Authorize = Callable[[Principal, Subscription], None]


def default_can_see(principal: Principal, event: Envelope) -> bool:
    """ouen's reading rule for one event (docs/realtime.md, "Who sees what")."""
    if event.mode == "drill" and not principal.may_read_drill:
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
