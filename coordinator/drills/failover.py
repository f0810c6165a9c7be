"""Re-derive a drill's acting roles when a coordinator (or the secretariat) becomes unreachable."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlmodel import Session

from agreements import acting_roles
from coordinator.auth.models import User
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import payload, roles_dict
from coordinator.drills.marks import record_drill_event
from coordinator.errors import Conflict, NotFound
from coordinator.reference import current_agreement


def _summary(roles: dict[str, Any]) -> dict[str, str]:
    out = {f"coordinator:{block}": c["association_id"] for block, c in (roles.get("coordinators") or {}).items()}
    out["secretariat"] = (roles.get("secretariat") or {}).get("id", "")
    return out


@writes
def mark_unavailable(session: Session, *, disaster_id: int, unavailable: Collection[str], minute: float,
                     actor: User | None = None) -> Disaster:
    """Treat `unavailable` like affected associations when deriving acting roles (drills only)."""
    disaster = session.get(Disaster, disaster_id, with_for_update=True, populate_existing=True)
    if disaster is None:
        raise NotFound(f"disaster_id: no disaster {disaster_id}", f"disaster_id：災害 {disaster_id} は見つかりません",
                       field="disaster_id")
    if disaster.mode != "drill":
        # Fail-over of a live disaster is decided by people, not a script (issue 7: drills only).
        raise Conflict("disaster_id: acting roles are re-derived by script only for drills",
                       "disaster_id：役割の再導出は訓練でのみ行えます", field="disaster_id")
    before = dict(disaster.acting_roles)
    gone = sorted(set(before.get("unavailable") or []) | {"clair" if u == "secretariat" else u for u in unavailable})
    roles = acting_roles(current_agreement(), affected=frozenset(disaster.affected_associations) | set(gone),
                         on=disaster.declared_at.date(), affected_prefectures=disaster.affected_prefectures)
    after = {**roles_dict(roles), "unavailable": gone}
    disaster.acting_roles = after
    session.add(disaster)
    session.flush()
    old, new = _summary(before), _summary(after)
    changes = {role: {"old": old.get(role), "new": who} for role, who in new.items() if old.get(role) != who}
    record_drill_event(session, disaster_id=disaster_id, type="drill.roles_changed", minute=minute,
                       actor_user_id=actor.id if actor else None, unavailable=gone, changes=changes,
                       acting_roles=after, disaster=payload(disaster))
    return disaster
