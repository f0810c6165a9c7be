"""Disaster use cases: declare, list, read, rename, change the area, open cross-block support, close, reopen,
timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from agreements import ActingRoles, AgreementError, NoCoordinatorLeft, acting_roles
from coordinator.auth.models import User, as_utc
from coordinator.db import writes
from coordinator.disasters import policy
from coordinator.disasters.models import (
    AreaInput,
    Disaster,
    DisasterAreaChange,
    DisasterCreate,
    DisasterPreviewRequest,
    DisasterPublic,
    DisasterUpdate,
)
from coordinator.disasters.preview import declaration_preview
from coordinator.errors import Conflict, Forbidden, Invalid, load_or_404
from coordinator.events.models import Event, utcnow
from coordinator.events.service import events_since, record_event
from coordinator.inputs import geojson_vertices
from coordinator.reference import (
    AffectedArea,
    GeoError,
    all_association_ids,
    block_of,
    current_agreement,
    resolve_area,
)

MAX_TIMELINE_LIMIT = 1000


def public(disaster: Disaster, actor: User | None = None) -> DisasterPublic:
    """The public view of a disaster (never a drawn area's input); with `actor`, what they may do now."""
    from coordinator.disasters.actions import disaster_actions

    shown = DisasterPublic.model_validate(disaster)
    shown.area_input = area_input_summary(disaster.area_input)
    if actor is not None:
        shown.allowed_actions = disaster_actions(actor, disaster)
    return shown


def payload(disaster: Disaster) -> dict[str, Any]:
    """The disaster as its events carry it (the public view without anyone's allowed actions)."""
    return public(disaster).model_dump(mode="json", exclude={"allowed_actions"})


def roles_dict(roles: Any) -> dict[str, Any]:
    """Acting roles (agreements.ActingRoles) as the JSON stored on the disaster."""
    return {
        "fiscal_year": roles.fiscal_year,
        "coordinators": {block: {"association_id": c.association_id, "is_deputy": c.is_deputy,
                                 "skipped": list(c.skipped), "reason_en": c.reason_en,
                                 "reason_ja": c.reason_ja}
                         for block, c in sorted(roles.coordinators.items())},
        "secretariat": {"id": roles.secretariat.id, "is_failover": roles.secretariat.is_failover,
                        "reason_en": roles.secretariat.reason_en, "reason_ja": roles.secretariat.reason_ja},
    }


def _resolve_area(area: AreaInput) -> Any:
    """The area through geo; a GeoError becomes Invalid naming the field under `area`."""
    given = [name for name in ("prefectures", "municipalities", "geojson", "epicentre")
             if getattr(area, name) is not None]
    if len(given) != 1:
        raise Invalid("area: give exactly one of prefectures, municipalities, geojson or epicentre",
                      "area：区域は prefectures・municipalities・geojson・epicentre のいずれか一つで指定してください",
                      field="area")
    if area.radius_km is not None and area.epicentre is None:
        raise Invalid("area.radius_km: a radius needs an epicentre",
                      "area.radius_km：半径は震央（epicentre）と一緒に指定してください", field="area.radius_km")
    try:
        if area.prefectures is not None:
            return resolve_area(prefectures=area.prefectures)
        if area.municipalities is not None:
            return resolve_area(municipalities=area.municipalities)
        if area.geojson is not None:
            return resolve_area(geojson=json.dumps(area.geojson))
        assert area.epicentre is not None
        return resolve_area(epicentre=(area.epicentre.lon, area.epicentre.lat), radius_km=area.radius_km)
    except GeoError as exc:
        field = exc.field if str(exc.field).startswith("area") else f"area.{exc.field}"
        raise Invalid(f"{field}: {exc.message_en}", f"{field}：{exc.message_ja}", field=field) from exc


def _acting_roles(*, affected: frozenset[str] | tuple[()], prefectures: Any, on: date) -> Any:
    try:
        return acting_roles(current_agreement(), affected=affected, on=on, affected_prefectures=prefectures)
    except NoCoordinatorLeft as exc:
        raise Invalid(f"area: no coordinator is left outside the affected area ({exc})",
                      f"area：被災地域外に幹事団体が残っていません（{exc}）", field="area") from exc
    except AgreementError as exc:
        raise Conflict(f"agreement: {exc.key}: {exc.problem}", f"協定：{exc.key}：{exc.problem_ja}",
                       field="agreement") from exc


def area_input_summary(area_input: dict[str, Any]) -> dict[str, Any]:
    """The area as given, with a drawn GeoJSON replaced by its type and point count (stored once only)."""
    if "geojson" not in area_input:
        return dict(area_input)
    geojson = area_input["geojson"] or {}
    return {**{k: v for k, v in area_input.items() if k != "geojson"},
            "geojson": {"type": geojson.get("type"), "points": geojson_vertices(geojson), "stored": True}}


def _blocks_of(association_ids: Any) -> frozenset[str]:
    return frozenset(b for b in (block_of(a) for a in association_ids) if b)


@dataclass(frozen=True)
class Declaration:
    """An area resolved for a declaration: affected places and associations, and the acting roles."""

    area: AffectedArea
    roles: ActingRoles
    normal: ActingRoles


def resolve_declaration(area_input: AreaInput, *, on: date) -> Declaration:
    """The one resolution behind both declaring and previewing: area, affected associations, roles."""
    area = _resolve_area(area_input)
    if not area.association_ids:
        raise Invalid("area: no association is affected by this area",
                      "area：この区域に該当する地域国際化協会がありません", field="area")
    normal = _acting_roles(affected=(), prefectures=(), on=on)
    roles = _acting_roles(affected=area.association_ids, prefectures=area.prefecture_codes, on=on)
    return Declaration(area=area, roles=roles, normal=normal)


def authorise_declaration(actor: User, declaration: Declaration, *, mode: str) -> policy.Capacity:
    """The capacity in which `actor` may declare (or preview) this declaration; Forbidden otherwise.

    The secretariat, the association the secretariat would fail over to, or the designated or acting
    coordinator of every affected block (policy.declare_capacity): a coordinator acts only for its block.
    """
    blocks = _blocks_of(declaration.area.association_ids)
    capacity = policy.declare_capacity(
        actor, roles=roles_dict(declaration.roles), blocks=blocks,
        designated={block: c.association_id for block, c in declaration.normal.coordinators.items()})
    if capacity is None:
        raise policy.refuse_declare(blocks)
    return capacity


@writes
def declare_disaster(session: Session, *, data: DisasterCreate, actor: User, today: date | None = None,
                     before_commit: Callable[[Disaster], None] | None = None) -> Disaster:
    """Resolve the area, derive acting roles, store the disaster and its event in one transaction.

    `before_commit` sees the stored disaster (with its id) inside that transaction, so that a caller's
    own change and event (e.g. a confirmed bulletin proposal) commit with it or not at all."""
    declaration = resolve_declaration(data.area, on=today or utcnow().date())
    capacity = authorise_declaration(actor, declaration, mode=data.mode)
    area, roles = declaration.area, declaration.roles
    disaster = Disaster(
        name=data.name.strip(), kind=data.kind, mode=data.mode, status="open",
        area_input=data.area.model_dump(mode="json", exclude_none=True),
        area=area.to_dict(),
        affected_associations=sorted(area.association_ids),
        affected_prefectures=sorted(area.prefecture_codes),
        acting_roles=roles_dict(roles),
        declared_by=actor.id, declared_by_association_id=actor.association_id, declared_at=utcnow(),
    )
    session.add(disaster)
    session.flush()
    _record(session, disaster, "disaster.declared", actor, capacity)
    if before_commit is not None:
        before_commit(disaster)
        session.flush()
    return disaster


def preview_declaration(*, area: AreaInput, mode: str, today: date | None = None) -> dict[str, Any]:
    """What declaring this area would do, without storing anything: affected prefectures, associations
    and municipalities (count), the acting coordinator of each block and the acting secretariat, warnings."""
    return declaration_preview(resolve_declaration(area, on=today or utcnow().date()), mode=mode)


def preview_for(*, data: DisasterPreviewRequest, actor: User, today: date | None = None) -> dict[str, Any]:
    """preview_declaration for a caller who may declare (same authority as declaring)."""
    declaration = resolve_declaration(data.area, on=today or utcnow().date())
    authorise_declaration(actor, declaration, mode=data.mode)
    return declaration_preview(declaration, mode=data.mode)


def _record(session: Session, disaster: Disaster, type: str, actor: User | None,
            capacity: policy.Capacity | None = None, **extra: Any) -> None:
    # Every association's staff may read a disaster, so its events name every association.
    assert disaster.id is not None
    record_event(session, type=type, entity="disaster", entity_id=disaster.id, disaster_id=disaster.id,
                 mode=disaster.mode, actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 associations=all_association_ids(), payload={**payload(disaster), **extra},
                 acted_as=capacity or policy.acted_as(actor, disaster))


def list_disasters(session: Session, *, actor: User, mode: str = "live",
                   status: str | None = None) -> list[Disaster]:
    """Disasters of one mode (drills never appear in a live list, nor live ones in a drill list)."""
    query = select(Disaster).where(Disaster.mode == mode)
    if status is not None:
        query = query.where(Disaster.status == status)
    rows = session.exec(query.order_by(col(Disaster.declared_at).desc(), col(Disaster.id).desc()))
    return [d for d in rows if policy.can_read_disaster(actor, d)]


def _load(session: Session, disaster_id: int, *, lock: bool = False) -> Disaster:
    # FOR UPDATE (PostgreSQL) serialises concurrent changes of one disaster; SQLite's BEGIN IMMEDIATE
    # already serialises every writer.
    return load_or_404(session, Disaster, disaster_id, field="disaster_id", what_en="disaster", what_ja="災害",
                       lock=lock)


def get_disaster(session: Session, *, disaster_id: int, actor: User) -> Disaster:
    """One disaster, if the actor may read it."""
    disaster = _load(session, disaster_id)
    if not policy.can_read_disaster(actor, disaster):
        raise Forbidden("You may not read this disaster", "この災害を閲覧する権限がありません")
    return disaster


def get_open_disaster(session: Session, disaster_id: int, *, lock: bool = False) -> Disaster:
    """The disaster if it exists and is open; NotFound or Conflict otherwise (for other domains)."""
    disaster = _load(session, disaster_id, lock=lock)
    if disaster.status != "open":
        raise Conflict(f"disaster_id: disaster {disaster_id} is closed",
                       f"disaster_id：災害 {disaster_id} は終了しています", field="disaster_id",
                       details={"status": disaster.status})
    return disaster


@writes
def rename_disaster(session: Session, *, disaster_id: int, data: DisasterUpdate, actor: User) -> Disaster:
    """Change a disaster's name (the secretariat, or the coordinator of every affected block)."""
    disaster = get_open_disaster(session, disaster_id, lock=True)
    capacity = policy.ensure_can_change(actor, disaster, act_en="rename", act_ja="改名")
    if data.name is None or data.name.strip() == disaster.name:
        return disaster
    previous = disaster.name
    disaster.name = data.name.strip()
    session.add(disaster)
    _record(session, disaster, "disaster.renamed", actor, capacity, previous_name=previous, reason=data.reason)
    return disaster


def _role_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    changes = []
    old, new = before.get("coordinators") or {}, after.get("coordinators") or {}
    for block in sorted(set(old) | set(new)):
        was, now = (old.get(block) or {}).get("association_id"), (new.get(block) or {}).get("association_id")
        if was != now:
            changes.append({"role": "coordinator", "block": block, "from": was, "to": now,
                            "reason_en": (new.get(block) or {}).get("reason_en"),
                            "reason_ja": (new.get(block) or {}).get("reason_ja")})
    was_sec, now_sec = before.get("secretariat") or {}, after.get("secretariat") or {}
    if was_sec.get("id") != now_sec.get("id"):
        changes.append({"role": "secretariat", "block": None, "from": was_sec.get("id"), "to": now_sec.get("id"),
                        "reason_en": now_sec.get("reason_en"), "reason_ja": now_sec.get("reason_ja")})
    return changes


def _area_warnings(session: Session, disaster: Disaster, added: set[str], removed: set[str]) -> list[dict[str, str]]:
    """What a person should look at after the area changed; nothing is withdrawn or cancelled by itself."""
    from coordinator.dispatches.models import Dispatch
    from coordinator.dispatches.transitions import OPEN_STATES
    from coordinator.needs.models import Need
    from coordinator.offers.models import Offer

    warnings = []
    open_needs = sorted(set(session.exec(select(Need.requester_id).where(
        Need.disaster_id == disaster.id, Need.status == "open", col(Need.requester_id).in_(sorted(removed))))))
    for association_id in open_needs:
        warnings.append({"association_id": association_id, "en": f"{policy.name_of(association_id, 'en')} is no "
                         "longer affected but has open needs: they stay open until someone cancels them",
                         "ja": f"{policy.name_of(association_id)}は被災地域から外れましたが、未完了のニーズが"
                         "残っています（取り消すまで残ります）"})
    offering = set(session.exec(select(Offer.association_id).where(
        Offer.disaster_id == disaster.id, Offer.status == "active", col(Offer.association_id).in_(sorted(added)))))
    offering |= set(session.exec(select(Dispatch.supplier_id).where(
        Dispatch.disaster_id == disaster.id, col(Dispatch.state).in_([s.value for s in OPEN_STATES]),
        col(Dispatch.supplier_id).in_(sorted(added)))))
    for association_id in sorted(offering):
        warnings.append({"association_id": association_id, "en": f"{policy.name_of(association_id, 'en')} is now "
                         "affected but still offers people or has open dispatches: plans no longer use it; "
                         "cancel or withdraw what it cannot do",
                         "ja": f"{policy.name_of(association_id)}は新たに被災地域に入りましたが、申し出または"
                         "進行中の派遣があります（今後の計画では使われません。必要なら取り消してください）"})
    return warnings


@writes
def change_area(session: Session, *, disaster_id: int, data: DisasterAreaChange, actor: User) -> Disaster:
    """Change the affected area: re-derive the affected associations and acting roles; one event says what changed.

    A coordinator may do it only when every affected block is one it coordinates, before and after the
    change (it acts only for its own block); the secretariat always. Acting roles are derived for the
    declaration's fiscal year, so only the area changes them.
    """
    disaster = get_open_disaster(session, disaster_id, lock=True)
    capacity = policy.ensure_can_change(actor, disaster, act_en="change the area of", act_ja="区域変更")
    area = _resolve_area(data.area)
    if not area.association_ids:
        raise Invalid("area: no association is affected by this area",
                      "area：この区域に該当する地域国際化協会がありません", field="area")
    on = as_utc(disaster.declared_at).date()
    roles = roles_dict(_acting_roles(affected=area.association_ids, prefectures=area.prefecture_codes, on=on))
    before = {"associations": set(disaster.affected_associations), "prefectures": set(disaster.affected_prefectures),
              "roles": disaster.acting_roles}
    after = Disaster.model_validate({**disaster.model_dump(), "acting_roles": roles,
                                     "affected_associations": sorted(area.association_ids)})
    if capacity.role == policy.COORDINATOR and policy.whole_disaster_capacity(actor, after) is None:
        raise policy.refuse_area_outside_blocks(after)
    added = set(area.association_ids) - before["associations"]
    removed = before["associations"] - set(area.association_ids)
    changes = {
        "added_associations": sorted(added), "removed_associations": sorted(removed),
        "added_prefectures": sorted(set(area.prefecture_codes) - before["prefectures"]),
        "removed_prefectures": sorted(before["prefectures"] - set(area.prefecture_codes)),
        "roles": _role_changes(before["roles"], roles),
        "warnings": _area_warnings(session, disaster, added, removed),
    }
    disaster.area_input = data.area.model_dump(mode="json", exclude_none=True)
    disaster.area = area.to_dict()
    disaster.affected_associations = sorted(area.association_ids)
    disaster.affected_prefectures = sorted(area.prefecture_codes)
    disaster.acting_roles = roles
    session.add(disaster)
    _record(session, disaster, "disaster.area_changed", actor, capacity, changes=changes, reason=data.reason)
    return disaster


@writes
def open_cross_block(session: Session, *, disaster_id: int, actor: User) -> Disaster:
    """Open support from other blocks for this disaster (stage 2 of the agreement)."""
    disaster = get_open_disaster(session, disaster_id, lock=True)
    capacity = policy.ensure_can_open_cross_block(actor, disaster)
    if disaster.cross_block_open:
        raise Conflict("Cross-block support is already open", "ブロック間支援はすでに開始されています",
                       field="cross_block_open", details={"cross_block_open": True})
    disaster.cross_block_open = True
    disaster.cross_block_opened_at = utcnow()
    disaster.cross_block_opened_by = actor.id
    session.add(disaster)
    _record(session, disaster, "disaster.cross_block_opened", actor, capacity)
    return disaster


@writes
def close_disaster(session: Session, *, disaster_id: int, actor: User, reason: str | None = None) -> Disaster:
    """Close a disaster: no more needs, offers or amendments (the secretariat, or its blocks' coordinator)."""
    disaster = get_open_disaster(session, disaster_id, lock=True)
    capacity = policy.ensure_can_change(actor, disaster, act_en="close", act_ja="終了")
    disaster.status = "closed"
    disaster.closed_at = utcnow()
    disaster.closed_by = actor.id
    session.add(disaster)
    _record(session, disaster, "disaster.closed", actor, capacity, reason=reason)
    return disaster


@writes
def reopen_disaster(session: Session, *, disaster_id: int, actor: User, reason: str) -> Disaster:
    """Reopen a closed disaster (the secretariat only, with a reason); needs and offers may follow again."""
    disaster = _load(session, disaster_id, lock=True)
    capacity = policy.ensure_can_reopen(actor, disaster)
    if disaster.status != "closed":
        raise Conflict(f"disaster_id: disaster {disaster_id} is not closed",
                       f"disaster_id：災害 {disaster_id} は終了していません", field="disaster_id",
                       details={"status": disaster.status})
    disaster.status = "open"
    disaster.reopened_at = utcnow()
    disaster.reopened_by = actor.id
    session.add(disaster)
    _record(session, disaster, "disaster.reopened", actor, capacity, reason=reason,
            closed_at=as_utc(disaster.closed_at).isoformat() if disaster.closed_at else None)
    return disaster


def timeline(session: Session, *, disaster_id: int, actor: User, since: int = 0,
             limit: int = 200) -> tuple[list[Event], int]:
    """The disaster's events after `since` that the actor may read, and the seq to continue from."""
    if since < 0:
        raise Invalid("since: must be 0 or more", "since：0 以上を指定してください", field="since")
    if not 1 <= limit <= MAX_TIMELINE_LIMIT:
        raise Invalid(f"limit: must be between 1 and {MAX_TIMELINE_LIMIT}",
                      f"limit：1 から {MAX_TIMELINE_LIMIT} の範囲で指定してください", field="limit")
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    visible: list[Event] = []
    cursor = since
    while len(visible) < limit:
        batch = events_since(session, since=cursor, disaster_id=disaster_id, limit=limit)
        for event in batch:
            assert event.seq is not None
            cursor = event.seq
            if event.mode == disaster.mode and policy.can_read_event(actor, disaster, event.associations):
                visible.append(event)
                if len(visible) == limit:
                    break
        if len(batch) < limit:
            break
    return visible, cursor
