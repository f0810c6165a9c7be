"""What the decision dashboard adds to the picture: roles in names, who must act next, places and times.

Pure derivations from rows the picture already read (no queries of their own), so the dashboard, the
situation report and the plan page show the same words.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from coordinator.disasters.preview import readable
from coordinator.dispatches.models import Dispatch
from coordinator.reference import association_or_none, current_agreement, municipality_or_none

_TABLES: dict[int, tuple[Any, dict[str, str]]] = {}


def block_of(association_id: str | None) -> str | None:
    """The agreement block of an association (a dictionary built once per loaded agreement)."""
    agreement = current_agreement()
    cached = _TABLES.get(id(agreement))
    if cached is None or cached[0] is not agreement:
        cached = (agreement, {m: b.id for b in agreement.blocks for m in b.members})
        _TABLES.clear()
        _TABLES[id(agreement)] = cached
    return cached[1].get(association_id or "")


def iso(moment: datetime | None) -> str | None:
    """A stored (naive UTC or aware) time as ISO 8601 with Z, for pages to show in JST."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def _names(association_id: str | None) -> dict[str, str]:
    if not association_id:
        return {"ja": "", "en": ""}
    agreement = current_agreement()
    if association_id == agreement.secretariat.id:
        return {"ja": agreement.secretariat.name_ja, "en": agreement.secretariat.name_en}
    found = association_or_none(association_id)
    return {"ja": found.name_ja, "en": found.name_en} if found else {"ja": association_id, "en": association_id}


def _block_names(block_id: str | None) -> dict[str, str]:
    if not block_id:
        return {"ja": "", "en": ""}
    block = current_agreement().block(block_id)
    return {"ja": block.name_ja, "en": block.name_en}


def place_name(code: str | None) -> str | None:
    """A municipality's name ("輪島市") for its JIS code; None when there is none."""
    found = municipality_or_none(code) if code else None
    return found.name_ja if found else None


def roles_view(disaster: Any) -> dict[str, Any]:
    """Affected associations with their blocks, each block's acting coordinator and the acting secretariat,
    in names with the agreement's reasons (involved blocks first)."""
    roles = disaster.acting_roles or {}
    affected = [{"id": a, "name": _names(a), "block": block_of(a), "block_name": _block_names(block_of(a))}
                for a in disaster.affected_associations]
    involved = {a["block"] for a in affected}
    order = [b.id for b in current_agreement().blocks]
    coordinators = []
    for block, role in (roles.get("coordinators") or {}).items():
        coordinators.append({
            "block": block, "block_name": _block_names(block), "association_id": role.get("association_id"),
            "name": _names(role.get("association_id")), "is_deputy": bool(role.get("is_deputy")),
            "involved": block in involved,
            "reason": {"ja": readable(role.get("reason_ja") or ""), "en": readable(role.get("reason_en") or "")}})
    coordinators.sort(key=lambda c: (not c["involved"], order.index(c["block"]) if c["block"] in order else 99))
    secretariat = roles.get("secretariat") or {}
    return {
        "affected": affected,
        "coordinators": coordinators,
        "secretariat": {"id": secretariat.get("id"), "name": _names(secretariat.get("id")),
                        "is_failover": bool(secretariat.get("is_failover")),
                        # After a fail-over CLAIR keeps acting too (agreements/default.toml [secretariat.failover]).
                        "also_acting": current_agreement().secretariat.id if secretariat.get("is_failover") else None,
                        "reason": {"ja": readable(secretariat.get("reason_ja") or ""),
                                   "en": readable(secretariat.get("reason_en") or "")}},
    }


def need_extras(need: Any) -> dict[str, Any]:
    """Place name, last day, block and times (UTC, ISO) of a need row."""
    end: date = need.start + timedelta(days=max(need.days, 1) - 1)
    return {"place_name": place_name(need.place), "end": end.isoformat(), "block": block_of(need.requester_id),
            "created_at": iso(need.created_at), "updated_at": iso(need.updated_at)}


def dispatch_extras(disaster: Any, dispatch: Dispatch, need: Any | None) -> dict[str, Any]:
    """What the dashboard shows beside a dispatch: the need's kind, language and place, the blocks, the
    cancel reason, and when it was requested and last changed."""
    times = [getattr(dispatch, name) for name in (
        "proposed_at", "approved_at", "requested_at", "answered_at", "en_route_at", "on_site_at", "completed_at",
        "cancelled_at")]
    return {
        "kind": need.kind if need else None, "language": need.language if need else None,
        "place_name": place_name(need.place) if need else None,
        "supplier_block": block_of(dispatch.supplier_id), "requester_block": block_of(dispatch.requester_id),
        "cancel_reason": dispatch.cancel_reason, "requested_at": iso(dispatch.requested_at),
        "updated_at": iso(max((t for t in times if t is not None), default=None)),
    }


def compact_awaiting(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Replace each row's `awaiting` (who must act next and why, contract 2) by its action and a key into the
    returned table, so that 400 rows do not repeat the same sentences; the table's entries keep every field."""
    table: dict[str, dict[str, Any]] = {}
    keys: dict[str, str] = {}
    for row in rows:
        awaiting = row.get("awaiting")
        if not awaiting:
            continue
        party = {k: v for k, v in awaiting.items() if k != "action"}
        signature = repr(sorted(party.items()))
        key = keys.setdefault(signature, f"a{len(keys) + 1}")
        table[key] = party
        row["awaiting"] = {"action": awaiting.get("action"), "key": key}
    return table
