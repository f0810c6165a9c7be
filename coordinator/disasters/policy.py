"""Who may see and change disasters: the one place for this domain's permission rules.

The rules (docs/authority.md, agreements/README.md "Who may do what"):

- **Capacities.** A user acts in a disaster as the `secretariat` (the CLAIR login), the
  `acting_secretariat` (staff of the association the secretariat failed over to), the `coordinator` of a
  block (staff of that block's acting coordinator), `staff` of an association, or an `observer`. Every
  act is recorded with the capacity it was done in (`Event.acted_as`).
- **Both secretariats act** when the secretariat has failed over (agreements/default.toml
  `[secretariat.failover]`): the CLAIR login keeps its powers and the acting secretariat gains them.
- **A coordinator acts only for its own block.** On the disaster as a whole (rename, change of area,
  close) a coordinator acts only when every affected association lies in blocks it coordinates; it may
  declare such a disaster as the block's designated or acting coordinator; it may plan when at least one
  of its blocks is affected (the plan then covers only its blocks' needs).
- **Reopen** belongs to the secretariat (either capacity), with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from coordinator.associations.models import SECRETARIAT_ID
from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden
from coordinator.reference import association_or_none, block_of, current_agreement

SECRETARIAT = "secretariat"
ACTING_SECRETARIAT = "acting_secretariat"
COORDINATOR = "coordinator"
STAFF = "staff"
OBSERVER = "observer"
CAPACITY_ROLES = (SECRETARIAT, ACTING_SECRETARIAT, COORDINATOR, STAFF, OBSERVER)


@dataclass(frozen=True)
class Capacity:
    """The capacity a user acts in, and why they hold it (stored on every event as `acted_as`)."""

    role: str
    association_id: str | None = None
    block: str | None = None
    reason_en: str = ""
    reason_ja: str = ""

    def as_dict(self) -> dict[str, Any]:
        """The JSON form stored on events and shown by the API."""
        return {"role": self.role, "association_id": self.association_id, "block": self.block,
                "reason_en": self.reason_en, "reason_ja": self.reason_ja}


def name_of(association_id: str | None, language: str = "ja") -> str:
    """An association's name in Japanese or English, or its id when unknown."""
    if not association_id:
        return ""
    if association_id == SECRETARIAT_ID:
        secretariat = current_agreement().secretariat
        return secretariat.name_ja if language == "ja" else secretariat.name_en
    found = association_or_none(association_id)
    if found is None:
        return association_id
    return found.name_ja if language == "ja" else (found.name_en or found.name_ja)


def block_names(block: str | None) -> tuple[str, str]:
    """A block's (Japanese, English) names, or its id twice when unknown."""
    if block is None:
        return "", ""
    for candidate in current_agreement().blocks:
        if candidate.id == block:
            return candidate.name_ja, candidate.name_en
    return block, block


def _staff_of(user: User, association_id: str | None) -> bool:
    return (user.role == ROLE_STAFF and user.is_active and association_id is not None
            and user.association_id == association_id)


def _coordinators(disaster: Disaster) -> dict[str, Any]:
    return disaster.acting_roles.get("coordinators") or {}


def _secretariat_role(disaster: Disaster) -> dict[str, Any]:
    return disaster.acting_roles.get("secretariat") or {}


def affected_blocks(disaster: Disaster) -> frozenset[str]:
    """Blocks with at least one affected association."""
    return frozenset(b for b in (block_of(a) for a in disaster.affected_associations) if b)


def is_block_coordinator(user: User, disaster: Disaster, block: str) -> bool:
    """True when the user is staff of the block's acting coordinator for this disaster."""
    return _staff_of(user, (_coordinators(disaster).get(block) or {}).get("association_id"))


def coordinator_blocks(user: User, disaster: Disaster) -> set[str]:
    """Blocks for which the user acts as coordinator in this disaster (affected or not)."""
    return {block for block in _coordinators(disaster) if is_block_coordinator(user, disaster, block)}


def coordinator_capacity(user: User, disaster: Disaster, block: str | None) -> Capacity | None:
    """The user's capacity as the acting coordinator of `block`, or None."""
    if block is None or not is_block_coordinator(user, disaster, block):
        return None
    role = _coordinators(disaster)[block]
    return Capacity(COORDINATOR, role.get("association_id"), block, str(role.get("reason_en") or ""),
                    str(role.get("reason_ja") or ""))


def secretariat_capacity(user: User, disaster: Disaster) -> Capacity | None:
    """The user's secretariat capacity: the CLAIR login, or staff of the fail-over association."""
    role = _secretariat_role(disaster)
    failed_over = bool(role.get("is_failover"))
    if user.role == ROLE_SECRETARIAT and user.is_active:
        if not failed_over:
            return Capacity(SECRETARIAT, SECRETARIAT_ID, None, "the council's secretariat (CLAIR)",
                            "連絡協議会の事務局（クレア）")
        acting_en, acting_ja = name_of(role.get("id"), "en"), name_of(role.get("id"))
        return Capacity(
            SECRETARIAT, SECRETARIAT_ID, None,
            f"the council's secretariat (CLAIR); the secretariat has also failed over to {acting_en} "
            "and both act (agreement [secretariat.failover])",
            f"連絡協議会の事務局（クレア）。事務局は{acting_ja}にも移っており、両者とも対応します"
            "（協定 [secretariat.failover]）")
    if failed_over and _staff_of(user, role.get("id")):
        return Capacity(ACTING_SECRETARIAT, role.get("id"), None, str(role.get("reason_en") or ""),
                        str(role.get("reason_ja") or ""))
    return None


def is_acting_secretariat(user: User, disaster: Disaster) -> bool:
    """Secretariat users, and staff of the fail-over association when the secretariat failed over."""
    return secretariat_capacity(user, disaster) is not None


def capacities(user: User, disaster: Disaster) -> list[Capacity]:
    """Every capacity the user holds in this disaster, the secretariat's first."""
    held: list[Capacity] = []
    secretariat = secretariat_capacity(user, disaster)
    if secretariat is not None:
        held.append(secretariat)
    for block in sorted(coordinator_blocks(user, disaster)):
        capacity = coordinator_capacity(user, disaster, block)
        if capacity is not None:
            held.append(capacity)
    if held:
        return held
    if user.role == ROLE_OBSERVER:
        return [Capacity(OBSERVER, None, None, "observer: reads the disaster picture",
                         "オブザーバー：災害の状況を閲覧")]
    if user.role == ROLE_STAFF and user.association_id:
        affected = user.association_id in disaster.affected_associations
        return [Capacity(STAFF, user.association_id, block_of(user.association_id),
                         "staff of an affected association" if affected else "staff of a supporting association",
                         "被災地域の協会の職員" if affected else "応援側の協会の職員")]
    return []


def acted_as(user: User | None, disaster: Disaster | None) -> Capacity | None:
    """The capacity to label an act with when no rule picked one: the user's first capacity."""
    if user is None:
        return None
    if disaster is None:
        if user.role == ROLE_SECRETARIAT:
            return Capacity(SECRETARIAT, SECRETARIAT_ID, None, "the council's secretariat (CLAIR)",
                            "連絡協議会の事務局（クレア）")
        return None
    held = capacities(user, disaster)
    return held[0] if held else None


def sees_whole_disaster(user: User, disaster: Disaster) -> bool:
    """Observers, the secretariat and the disaster's coordinators see every record of it."""
    return (user.role == ROLE_OBSERVER or is_acting_secretariat(user, disaster)
            or bool(coordinator_blocks(user, disaster)))


def staff_readers(disaster: Disaster) -> list[str]:
    """Associations whose staff see every record of this disaster (coordinators, fail-over secretariat)."""
    readers = {c.get("association_id") for c in _coordinators(disaster).values()}
    secretariat = _secretariat_role(disaster)
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


# ---------------------------------------------------------------------------------------------------
# Acts on a disaster as a whole
# ---------------------------------------------------------------------------------------------------

def whole_disaster_capacity(user: User, disaster: Disaster) -> Capacity | None:
    """Secretariat (either), or a coordinator whose blocks hold every affected association; else None."""
    secretariat = secretariat_capacity(user, disaster)
    if secretariat is not None:
        return secretariat
    blocks = affected_blocks(disaster)
    mine = coordinator_blocks(user, disaster)
    if blocks and blocks <= mine:
        return coordinator_capacity(user, disaster, sorted(blocks)[0])
    return None


def _refuse_whole(disaster: Disaster, act_en: str, act_ja: str) -> Forbidden:
    names = [block_names(b) for b in sorted(affected_blocks(disaster))]
    return Forbidden(
        f"Only the secretariat, or the acting coordinator of every affected block "
        f"({', '.join(n[1] for n in names)}), may {act_en} this disaster",
        f"この災害を{act_ja}できるのは事務局、または被災したすべてのブロック（{'・'.join(n[0] for n in names)}）"
        "の幹事団体のみです", field="authority")


def ensure_can_change(user: User, disaster: Disaster, *, act_en: str = "change",
                      act_ja: str = "変更") -> Capacity:
    """Renaming, changing the area or closing: the secretariat, or a coordinator of all affected blocks."""
    capacity = whole_disaster_capacity(user, disaster)
    if capacity is None:
        raise _refuse_whole(disaster, act_en, act_ja)
    return capacity


def refuse_area_outside_blocks(after: Disaster) -> Forbidden:
    """A coordinator's change of area that would reach beyond the blocks it coordinates."""
    names = [block_names(b) for b in sorted(affected_blocks(after))]
    return Forbidden(
        "area: a coordinator may change the area only within the blocks it coordinates; the new area affects "
        f"{', '.join(n[1] for n in names)}: ask the secretariat",
        f"area：幹事団体が変更できるのは自ブロック内の区域のみです。新しい区域は{'・'.join(n[0] for n in names)}"
        "に及ぶため、事務局に依頼してください", field="area")


def ensure_can_reopen(user: User, disaster: Disaster) -> Capacity:
    """Reopening a closed disaster: the secretariat (the CLAIR login or the acting secretariat) only."""
    capacity = secretariat_capacity(user, disaster)
    if capacity is None:
        raise Forbidden("Only the secretariat may reopen a disaster", "災害を再開できるのは事務局のみです",
                        field="authority")
    return capacity


def declare_capacity(user: User, *, roles: dict[str, Any], designated: dict[str, str],
                     blocks: frozenset[str]) -> Capacity | None:
    """Who may declare a disaster whose area affects `blocks`, with the acting `roles` it would have.

    The secretariat; the association the secretariat would fail over to; or staff of a block's
    designated (this fiscal year) or acting coordinator, when every affected block is one it coordinates.
    """
    if user.role == ROLE_SECRETARIAT and user.is_active:
        return Capacity(SECRETARIAT, SECRETARIAT_ID, None, "the council's secretariat (CLAIR)",
                        "連絡協議会の事務局（クレア）")
    if user.role != ROLE_STAFF or not user.is_active or user.association_id is None:
        return None
    secretariat = roles.get("secretariat") or {}
    if secretariat.get("is_failover") and secretariat.get("id") == user.association_id:
        return Capacity(ACTING_SECRETARIAT, user.association_id, None, str(secretariat.get("reason_en") or ""),
                        str(secretariat.get("reason_ja") or ""))
    coordinators = roles.get("coordinators") or {}
    mine: dict[str, tuple[str, str]] = {}
    for block, role in coordinators.items():
        if role.get("association_id") == user.association_id:
            mine[block] = (str(role.get("reason_en") or ""), str(role.get("reason_ja") or ""))
        elif designated.get(block) == user.association_id:
            ja, en = block_names(block)
            mine[block] = (f"designated coordinator of {en} this fiscal year", f"今年度の{ja}ブロック幹事団体")
    if not blocks or not blocks <= set(mine):
        return None
    first = sorted(blocks)[0]
    return Capacity(COORDINATOR, user.association_id, first, *mine[first])


def refuse_declare(blocks: frozenset[str]) -> Forbidden:
    """The refusal of a declaration, naming the affected blocks."""
    names = [block_names(b) for b in sorted(blocks)]
    return Forbidden(
        "Only the secretariat, or the coordinator of every affected block "
        f"({', '.join(n[1] for n in names)}), may declare a disaster for this area",
        f"この区域の災害を宣言できるのは事務局、または被災するすべてのブロック（{'・'.join(n[0] for n in names)}）"
        "の幹事団体のみです", field="authority")


def ensure_can_open_cross_block(user: User, disaster: Disaster) -> Capacity:
    """Cross-block support is opened by the secretariat (source: DOMAIN.md, CLAIR liaises between blocks)."""
    capacity = secretariat_capacity(user, disaster)
    if capacity is None:
        raise Forbidden("Only the acting secretariat may open cross-block support",
                        "ブロック間支援を開始できるのは事務局（代行を含む）のみです", field="authority")
    return capacity


def plan_capacity(user: User, disaster: Disaster) -> Capacity | None:
    """The secretariat, or the coordinator of an affected block (its plan covers its blocks' needs)."""
    secretariat = secretariat_capacity(user, disaster)
    if secretariat is not None:
        return secretariat
    mine = sorted(coordinator_blocks(user, disaster) & affected_blocks(disaster))
    return coordinator_capacity(user, disaster, mine[0]) if mine else None


# ---------------------------------------------------------------------------------------------------
# Telling people who acts (the to-do API's `acting_as`, the dashboard's roles)
# ---------------------------------------------------------------------------------------------------

def capacity_entry(disaster: Disaster, capacity: Capacity) -> dict[str, Any]:
    """One `acting_as` entry: the capacity with the block's and association's names."""
    block_ja, block_en = block_names(capacity.block)
    return {"disaster_id": disaster.id, "role": capacity.role, "block": capacity.block,
            "block_name_ja": block_ja or None, "block_name_en": block_en or None,
            "association_id": capacity.association_id,
            "association_name_ja": name_of(capacity.association_id) or None,
            "association_name_en": name_of(capacity.association_id, "en") or None,
            "reason_ja": capacity.reason_ja, "reason_en": capacity.reason_en}


def acting_as(user: User, disaster: Disaster) -> list[dict[str, Any]]:
    """The capacities the user holds in this disaster, with names (to-do API and dashboard)."""
    return [capacity_entry(disaster, c) for c in capacities(user, disaster)]


def acting_roles_named(disaster: Disaster) -> dict[str, Any]:
    """Who acts as secretariat and as each affected block's coordinator in this disaster, and why."""
    secretariat = _secretariat_role(disaster)
    acting = secretariat.get("id") or SECRETARIAT_ID
    named = {
        "secretariat": {"association_id": acting, "name_ja": name_of(acting), "name_en": name_of(acting, "en"),
                        "is_failover": bool(secretariat.get("is_failover")),
                        # When it failed over, CLAIR keeps acting too (agreement [secretariat.failover]).
                        "also_acting": SECRETARIAT_ID if secretariat.get("is_failover") else None,
                        "reason_ja": secretariat.get("reason_ja"), "reason_en": secretariat.get("reason_en")},
        "coordinators": [],
    }
    for block in sorted(affected_blocks(disaster)):
        role = _coordinators(disaster).get(block) or {}
        block_ja, block_en = block_names(block)
        named["coordinators"].append({
            "block": block, "block_name_ja": block_ja, "block_name_en": block_en,
            "association_id": role.get("association_id"), "name_ja": name_of(role.get("association_id")),
            "name_en": name_of(role.get("association_id"), "en"), "is_deputy": bool(role.get("is_deputy")),
            "reason_ja": role.get("reason_ja"), "reason_en": role.get("reason_en")})
    return named
