"""Offer and standing-capacity use cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from agreements.languages import UnknownLanguage, canonical
from coordinator.auth.models import ROLE_STAFF, User
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.policy import Capacity
from coordinator.disasters.service import get_disaster, get_open_disaster
from coordinator.errors import InvalidTransition, check_version, invalid, load_or_404
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.needs import policy as need_policy
from coordinator.needs.models import Need
from coordinator.offers import policy
from coordinator.offers.models import (
    MAX_OFFER_HEADCOUNT,
    Offer,
    OfferCreate,
    OfferPrefill,
    OfferPublic,
    OfferUpdate,
    StandingCapacity,
    StandingCapacityCreate,
    StandingCapacityPublic,
    StandingCapacityUpdate,
)
from coordinator.reference import association_or_none, current_agreement


def _languages(tags: list[str], field: str = "languages") -> list[str]:
    """The agreement's tags for the given ones, de-duplicated; a 422 naming the known languages otherwise."""
    agreement = current_agreement()
    out: list[str] = []
    for tag in tags:
        try:
            tag = canonical(agreement, tag)
        except UnknownLanguage as error:
            raise invalid(field, error.problem, error.problem_ja, known_languages=error.known) from None
        if tag not in out:
            out.append(tag)
    return out


def _kinds(kinds: list[str]) -> list[str]:
    known = [k.id for k in current_agreement().kinds]
    for kind in kinds:
        if kind not in known:
            raise invalid("kinds", f"unknown support kind {kind!r}; known: {', '.join(known)}",
                           f"支援の種類 {kind!r} は協定にありません（{', '.join(known)}）", known=known)
    return list(dict.fromkeys(kinds))


def _window(available_from: date, available_until: date) -> None:
    if available_from > available_until:
        raise invalid("available_until", f"must not be before available_from ({available_from})",
                       f"available_from（{available_from}）より前の日付は指定できません")


def _headcount(headcount: int) -> None:
    if not 1 <= headcount <= MAX_OFFER_HEADCOUNT:
        raise invalid("headcount", f"must be between 1 and {MAX_OFFER_HEADCOUNT}",
                       f"1 から {MAX_OFFER_HEADCOUNT} の範囲で指定してください")


def _check_supporter(disaster: Disaster, association_id: str) -> None:
    if association_or_none(association_id) is None:
        raise invalid("association_id", f"unknown association {association_id!r}",
                       f"協会 {association_id!r} は見つかりません")
    if association_id in disaster.affected_associations:
        raise invalid("association_id", f"association {association_id!r} is affected by this disaster and "
                       "cannot offer support for it",
                       f"協会 {association_id!r} はこの災害の被災地域にあるため支援を申し出ることはできません")


def public(offer: Offer) -> OfferPublic:
    """The public view of an offer (its events carry it as JSON)."""
    return OfferPublic.model_validate(offer)


def _record(session: Session, disaster: Disaster, offer: Offer, type: str, actor: User,
            capacity: Capacity | None = None) -> None:
    assert offer.id is not None
    record_event(session, type=type, entity="offer", entity_id=offer.id, disaster_id=disaster.id,
                 mode=disaster.mode, actor_user_id=actor.id, actor_association_id=actor.association_id,
                 associations=policy.offer_event_readers(disaster, offer.association_id),
                 payload=public(offer).model_dump(mode="json"), acted_as=capacity)


def _recorded_by(actor: User, capacity: Capacity) -> dict[str, Any]:
    return {"user_id": actor.id, "display_name": actor.display_name, "role": capacity.role,
            "association_id": capacity.association_id, "block": capacity.block}


def _insert_offer(session: Session, disaster: Disaster, actor: User, *, association_id: str, source: str,
                  capacity: Capacity, on_behalf: bool, **fields: Any) -> Offer:
    now = utcnow()
    offer = Offer(**fields, disaster_id=disaster.id, mode=disaster.mode, association_id=association_id,
                  status="active", source=source, version=1, created_by_user_id=actor.id,
                  created_at=now, updated_at=now, recorded_by=_recorded_by(actor, capacity) if on_behalf else None)
    session.add(offer)
    session.flush()
    # An offer taken by phone gets its own event type: the association is told that someone else
    # recorded people in its name (the event names it, so its staff see it live and are notified).
    _record(session, disaster, offer, "offer.recorded_on_behalf" if on_behalf else "offer.created", actor,
            capacity)
    return offer


@writes
def create_offer(session: Session, *, disaster_id: int, data: OfferCreate, actor: User) -> Offer:
    """Offer people for a disaster, by staff of an association outside the affected area."""
    disaster = get_open_disaster(session, disaster_id)
    association_id, capacity, on_behalf = policy.offer_capacity(actor, disaster, data.association_id)
    _check_supporter(disaster, association_id)
    languages, kinds = _languages(data.languages), _kinds(data.kinds)
    _headcount(data.headcount)
    _window(data.available_from, data.available_until)
    if data.need_id is not None:
        _check_need(session, disaster, association_id, data.need_id)
    return _insert_offer(session, disaster, actor, association_id=association_id, source="manual",
                         capacity=capacity, on_behalf=on_behalf, need_id=data.need_id, languages=languages,
                         kinds=kinds, headcount=data.headcount,
                         available_from=data.available_from, available_until=data.available_until,
                         notes=data.notes)


def _check_need(session: Session, disaster: Disaster, association_id: str, need_id: int) -> None:
    """An offer may answer an open need of this disaster that the association may help with."""
    need = session.get(Need, need_id)
    if need is None or need.disaster_id != disaster.id:
        raise invalid("need_id", f"no need {need_id} in this disaster", "この災害にそのニーズはありません")
    if need.status != "open":
        raise invalid("need_id", f"need {need_id} is {need.status}", "このニーズはもう受け付けていません",
                       need_status=need.status)
    if not need_policy.may_help(disaster, supporter_id=association_id, requester_id=need.requester_id):
        raise invalid("need_id", "the agreement does not (yet) let this association help with this need "
                       "(other blocks help once cross-block support is open)",
                       "協定上、このニーズにはまだ応援を申し出られません（他ブロックはブロック間支援の開始後）")


@writes
def prefill_offer(session: Session, *, disaster_id: int, data: OfferPrefill, actor: User) -> Offer:
    """Create an offer from the association's standing capacity (languages, kinds, summed headcount)."""
    disaster = get_open_disaster(session, disaster_id)
    association_id, capacity, on_behalf = policy.offer_capacity(actor, disaster, data.association_id)
    _check_supporter(disaster, association_id)
    _window(data.available_from, data.available_until)
    rows = _capacity_rows(session, association_id)
    if not rows:
        raise invalid("standing_capacity", f"association {association_id!r} has no standing capacity "
                       "registered", f"協会 {association_id!r} には平常時の支援可能人数が登録されていません")
    languages = list(dict.fromkeys(r.language for r in rows))
    kinds = list(dict.fromkeys(k for r in rows for k in r.kinds))
    # Rows are per language and name different people (assumption), so they add up; an offer caps at 100.
    headcount = min(MAX_OFFER_HEADCOUNT, sum(r.headcount for r in rows))
    notes = data.notes or "; ".join(r.notes for r in rows if r.notes)[:2000]
    return _insert_offer(session, disaster, actor, association_id=association_id,
                         source="standing_capacity", capacity=capacity, on_behalf=on_behalf,
                         languages=languages, kinds=kinds, headcount=headcount,
                         available_from=data.available_from, available_until=data.available_until,
                         notes=notes)


def _load(session: Session, offer_id: int, *, lock: bool = False) -> Offer:
    return load_or_404(session, Offer, offer_id, field="offer_id", what_en="offer", what_ja="申し出", lock=lock)


def _changeable(session: Session, offer_id: int, actor: User,
                version: int | None) -> tuple[Offer, Disaster, Capacity]:
    offer = _load(session, offer_id, lock=True)
    disaster = get_open_disaster(session, offer.disaster_id)
    capacity = policy.change_capacity(actor, disaster, offer.association_id)
    check_version(offer.version, version, en=f"version: the offer was changed meanwhile (now version {offer.version})",
                  ja=f"version：この申し出は他の人が更新しました（現在の版 {offer.version}）")
    if offer.status != "active":
        raise InvalidTransition(f"status: the offer is {offer.status} and can no longer change",
                                f"status：この申し出は {offer.status} のため変更できません", field="status",
                                details={"status": offer.status})
    return offer, disaster, capacity


@writes
def amend_offer(session: Session, *, offer_id: int, data: OfferUpdate, actor: User) -> Offer:
    """Change some fields of an active offer."""
    offer, disaster, capacity = _changeable(session, offer_id, actor, data.version)
    given = data.model_dump(exclude_unset=True, exclude={"version"})
    for name in ("languages", "kinds", "headcount", "available_from", "available_until"):
        if name in given and given[name] is None:
            raise invalid(name, "may not be null", "空にはできません")
    if "languages" in given:
        given["languages"] = _languages(given["languages"])
    if "kinds" in given:
        given["kinds"] = _kinds(given["kinds"])
    if "headcount" in given:
        _headcount(given["headcount"])
    _window(given.get("available_from", offer.available_from), given.get("available_until", offer.available_until))
    if "notes" in given and given["notes"] is None:
        given["notes"] = ""
    changed = {name: value for name, value in given.items() if getattr(offer, name) != value}
    if not changed:
        return offer
    for name, value in changed.items():
        setattr(offer, name, value)
    offer.version += 1
    offer.updated_at = utcnow()
    session.add(offer)
    _record(session, disaster, offer, "offer.amended", actor, capacity)
    return offer


@writes
def withdraw_offer(session: Session, *, offer_id: int, actor: User, version: int | None = None,
                   reason: str | None = None) -> Offer:
    """Withdraw an active offer (with the reason given)."""
    offer, disaster, capacity = _changeable(session, offer_id, actor, version)
    offer.status = "withdrawn"
    offer.withdraw_reason = (reason or "").strip() or None
    offer.version += 1
    offer.updated_at = utcnow()
    session.add(offer)
    _record(session, disaster, offer, "offer.withdrawn", actor, capacity)
    return offer


def get_offer(session: Session, *, offer_id: int, actor: User) -> Offer:
    """One offer, if the actor may read it."""
    offer = _load(session, offer_id)
    disaster = get_disaster(session, disaster_id=offer.disaster_id, actor=actor)
    policy.ensure_can_read_offer(actor, disaster, offer.association_id)
    return offer


def list_offers(session: Session, *, disaster_id: int, actor: User, status: str | None = None) -> list[Offer]:
    """The disaster's offers the actor may read (only this disaster's mode, ever)."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    return disaster_offers(session, disaster=disaster, status=status, actor=actor)


def disaster_offers(session: Session, *, disaster: Disaster, status: str | None = None,
                    actor: User | None = None) -> list[Offer]:
    """Offers of a disaster, filtered by its mode (and by what the actor may read, when given)."""
    query = select(Offer).where(Offer.disaster_id == disaster.id, Offer.mode == disaster.mode)
    if status is not None:
        query = query.where(Offer.status == status)
    rows = session.exec(query.order_by(col(Offer.id)))
    return [o for o in rows if actor is None or policy.can_read_offer(actor, disaster, o.association_id)]


# --- standing capacity (normal time, no disaster) -------------------------------------------------

def _capacity_rows(session: Session, association_id: str) -> list[StandingCapacity]:
    query = select(StandingCapacity).where(StandingCapacity.association_id == association_id)
    return list(session.exec(query.order_by(col(StandingCapacity.id))))


def _record_capacity(session: Session, row: StandingCapacity, type: str, actor: User) -> None:
    assert row.id is not None
    record_event(session, type=type, entity="standing_capacity", entity_id=row.id, actor_user_id=actor.id,
                 actor_association_id=actor.association_id, associations=[row.association_id],
                 payload=StandingCapacityPublic.model_validate(row).model_dump(mode="json"))


def list_standing_capacity(session: Session, *, actor: User,
                           association_id: str | None = None) -> list[StandingCapacity]:
    """Standing capacity rows: staff see their own association's, secretariat and observers any."""
    if association_id is None and actor.role == ROLE_STAFF:
        association_id = actor.association_id
    query = select(StandingCapacity)
    if association_id is not None:
        query = query.where(StandingCapacity.association_id == association_id)
    rows = session.exec(query.order_by(col(StandingCapacity.association_id), col(StandingCapacity.id)))
    return [r for r in rows if policy.can_read_capacity(actor, r.association_id)]


@writes
def add_standing_capacity(session: Session, *, data: StandingCapacityCreate, actor: User) -> StandingCapacity:
    """Register people the actor's association could send, for one language."""
    association_id = policy.offering_association(actor, data.association_id)
    language = _languages([data.language], field="language")[0]
    kinds = _kinds(data.kinds)
    _headcount(data.headcount)
    row = StandingCapacity(association_id=association_id, language=language, kinds=kinds,
                           headcount=data.headcount, notes=data.notes, updated_by_user_id=actor.id,
                           updated_at=utcnow())
    session.add(row)
    session.flush()
    _record_capacity(session, row, "standing_capacity.added", actor)
    return row


def _load_capacity(session: Session, row_id: int) -> StandingCapacity:
    return load_or_404(session, StandingCapacity, row_id, field="capacity_id", what_en="standing capacity row",
                       what_ja="平常時登録")


@writes
def update_standing_capacity(session: Session, *, row_id: int, data: StandingCapacityUpdate,
                             actor: User) -> StandingCapacity:
    """Change a standing-capacity row of the actor's association."""
    row = _load_capacity(session, row_id)
    policy.ensure_can_change(actor, row.association_id)
    given = data.model_dump(exclude_unset=True)
    for name in ("language", "kinds", "headcount"):
        if name in given and given[name] is None:
            raise invalid(name, "may not be null", "空にはできません")
    if "language" in given:
        given["language"] = _languages([given["language"]], field="language")[0]
    if "kinds" in given:
        given["kinds"] = _kinds(given["kinds"])
    if "headcount" in given:
        _headcount(given["headcount"])
    if "notes" in given and given["notes"] is None:
        given["notes"] = ""
    changed = {name: value for name, value in given.items() if getattr(row, name) != value}
    if not changed:
        return row
    for name, value in changed.items():
        setattr(row, name, value)
    row.updated_by_user_id = actor.id
    row.updated_at = utcnow()
    session.add(row)
    _record_capacity(session, row, "standing_capacity.updated", actor)
    return row


@writes
def delete_standing_capacity(session: Session, *, row_id: int, actor: User) -> None:
    """Remove a standing-capacity row of the actor's association."""
    row = _load_capacity(session, row_id)
    policy.ensure_can_change(actor, row.association_id)
    _record_capacity(session, row, "standing_capacity.removed", actor)
    session.delete(row)
