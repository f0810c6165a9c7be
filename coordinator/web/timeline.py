"""The timeline as people read it: who did what, in which capacity, and why, in Japanese and English.

Events come from the disasters service's timeline (its permission rules); this module only puts names
and words on them: the actor's name and capacity, what the event was about and the reason given.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, User
from coordinator.disasters.service import get_disaster, timeline
from coordinator.web.decisions import _block_names, _names, iso, place_name
from coordinator.web.i18n import catalogue


def _capacity(event: Any, actor: User | None, disaster: Any) -> dict[str, str]:
    """In which capacity the actor acted: the event's own word when it carries one, else derived."""
    given = (event.payload or {}).get("capacity")
    if isinstance(given, dict) and given.get("ja"):
        return {"ja": str(given["ja"]), "en": str(given.get("en") or given["ja"])}
    if actor is None and event.actor_association_id is None:
        return {"ja": "システム", "en": "System"}
    if actor is not None and actor.role == ROLE_SECRETARIAT:
        return {"ja": "事務局", "en": "Secretariat"}
    if actor is not None and actor.role == ROLE_OBSERVER:
        return {"ja": "オブザーバー", "en": "Observer"}
    association = event.actor_association_id or (actor.association_id if actor else None)
    roles = disaster.acting_roles or {}
    secretariat = roles.get("secretariat") or {}
    name = _names(association)
    if secretariat.get("is_failover") and secretariat.get("id") == association:
        return {"ja": f"事務局代行（{name['ja']}）", "en": f"Acting secretariat ({name['en']})"}
    payload = event.payload or {}
    if association == payload.get("supplier_id") or association == payload.get("association_id"):
        return {"ja": f"応援団体（{name['ja']}）", "en": f"Supporter ({name['en']})"}
    if association == payload.get("requester_id"):
        return {"ja": f"要請団体（{name['ja']}）", "en": f"Requester ({name['en']})"}
    for block, role in (roles.get("coordinators") or {}).items():
        if role.get("association_id") == association:
            block_name = _block_names(block)
            return {"ja": f"{block_name['ja']}ブロック幹事（{name['ja']}）",
                    "en": f"{block_name['en']} coordinator ({name['en']})"}
    return {"ja": name["ja"], "en": name["en"]}


def _about(event: Any, labels: dict[str, dict[str, str]]) -> dict[str, str]:
    """What the event concerned, in a line: the parties, people, kind and language, or the disaster."""
    p = event.payload or {}
    ja: list[str] = []
    en: list[str] = []
    if p.get("supplier_id") and p.get("requester_id"):
        supplier, requester = _names(p["supplier_id"]), _names(p["requester_id"])
        ja.append(f"{supplier['ja']} → {requester['ja']}")
        en.append(f"{supplier['en']} → {requester['en']}")
    elif p.get("requester_id"):
        ja.append(_names(p["requester_id"])["ja"])
        en.append(_names(p["requester_id"])["en"])
    elif p.get("association_id"):
        ja.append(_names(p["association_id"])["ja"])
        en.append(_names(p["association_id"])["en"])
    if event.entity == "disaster" and isinstance(p.get("kind"), str):
        ja.append(catalogue("ja").get(f"kind.{p['kind']}", p["kind"]))
        en.append(catalogue("en").get(f"kind.{p['kind']}", p["kind"]))
    for field in ("kind", "language"):
        if event.entity != "disaster" and isinstance(p.get(field), str):
            ja.append(labels[field].get(p[field], {}).get("ja", p[field]))
            en.append(labels[field].get(p[field], {}).get("en", p[field]))
    if isinstance(p.get("headcount"), int):
        ja.append(f"{p['headcount']}人")
        en.append(f"{p['headcount']} people")
    if p.get("place"):
        name = place_name(p["place"])
        if name:
            ja.append(name)
            en.append(name)
    totals = p.get("totals")
    if isinstance(totals, dict) and event.type == "plan.committed":
        ja.append(f"提案 {len(p.get('dispatch_ids') or [])} 件・{totals.get('covered', 0)} 人、"
                  f"取り消し {len(p.get('cancelled_ids') or [])} 件")
        en.append(f"{len(p.get('dispatch_ids') or [])} proposals, {totals.get('covered', 0)} people, "
                  f"{len(p.get('cancelled_ids') or [])} cancelled")
    if event.entity == "disaster" and p.get("name"):
        ja.append(str(p["name"]))
        en.append(str(p["name"]))
    return {"ja": "・".join(ja), "en": ", ".join(en)}


def _why(event: Any) -> dict[str, str] | None:
    """The reason a person gave (decline, cancel, reopen, dismissal), or the system's reason."""
    p = event.payload or {}
    if event.type == "dispatch.declined" and p.get("decline_reason"):
        return {"ja": str(p["decline_reason"]), "en": str(p["decline_reason"])}
    if event.type == "dispatch.cancelled":
        if p.get("replaced_by_plan"):
            return {"ja": "支援計画の見直しで置き換え", "en": "replaced by a new support plan"}
        if p.get("cancel_reason"):
            return {"ja": str(p["cancel_reason"]), "en": str(p["cancel_reason"])}
    if event.type == "dispatch.overdue":
        return {"ja": "回答期限を過ぎました", "en": "no answer before the deadline"}
    for field in ("reason", "dismiss_reason"):
        value = p.get(field)
        if isinstance(value, str) and value:
            return {"ja": value, "en": value}
        if isinstance(value, dict) and value.get("ja"):
            return {"ja": str(value["ja"]), "en": str(value.get("en") or value["ja"])}
    return None


def _parties(event: Any) -> list[str]:
    """The associations an event is about (for the association filter): parties and the actor's own."""
    p = event.payload or {}
    found = {p.get("supplier_id"), p.get("requester_id"), p.get("association_id"), event.actor_association_id}
    return sorted(a for a in found if isinstance(a, str) and a)


def _reference_labels() -> dict[str, dict[str, dict[str, str]]]:
    from coordinator.reference import current_agreement

    agreement = current_agreement()
    return {"kind": {k.id: {"ja": k.name_ja, "en": k.name_en} for k in agreement.kinds},
            "language": {lang.tag: {"ja": lang.name_ja, "en": lang.name_en} for lang in agreement.languages}}


def timeline_rows(session: Session, *, disaster_id: int, actor: User, since: int = 0,
                  limit: int = 200) -> dict[str, Any]:
    """The disaster's events after `since` that `actor` may read, each with words for people."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    events, next_since = timeline(session, disaster_id=disaster_id, actor=actor, since=since, limit=limit)
    ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(ids)))} if ids else {}
    labels = _reference_labels()
    ja, en = catalogue("ja"), catalogue("en")
    rows = []
    for event in events:
        user = users.get(event.actor_user_id) if event.actor_user_id is not None else None
        rows.append({
            "seq": event.seq, "at": iso(event.created_at), "type": event.type,
            "label": {"ja": ja.get(f"event.{event.type}", event.type), "en": en.get(f"event.{event.type}", event.type)},
            "actor": user.display_name if user else None,
            "capacity": _capacity(event, user, disaster), "about": _about(event, labels), "why": _why(event),
            "associations": _parties(event),
            "entity": event.entity, "entity_id": event.entity_id,
        })
    return {"events": rows, "next_since": next_since}
