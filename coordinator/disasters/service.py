"""Disaster use cases: declare, list, read, rename, open cross-block support, close, timeline."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from agreements import ActingRoles, AgreementError, NoCoordinatorLeft, acting_roles
from coordinator.auth.models import User
from coordinator.disasters import policy
from coordinator.disasters.models import (
    AreaInput,
    Disaster,
    DisasterCreate,
    DisasterPreviewRequest,
    DisasterPublic,
    DisasterUpdate,
)
from coordinator.disasters.preview import declaration_preview
from coordinator.disasters.reference import (
    AffectedArea,
    GeoError,
    all_association_ids,
    current_agreement,
    resolve_area,
)
from coordinator.errors import Conflict, Forbidden, Invalid, NotFound
from coordinator.events.models import Event, utcnow
from coordinator.events.service import events_since, record_event

MAX_TIMELINE_LIMIT = 1000


def public(disaster: Disaster) -> dict[str, Any]:
    """The public JSON view of a disaster (also the payload of its events)."""
    return DisasterPublic.model_validate(disaster).model_dump(mode="json")


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


@dataclass(frozen=True)
class Declaration:
    """An area resolved for a declaration: affected places and associations, and the acting roles."""

    area: AffectedArea
    roles: ActingRoles
    normal: ActingRoles

    @property
    def coordinator_associations(self) -> set[str]:
        """Designated and acting coordinators of every block (who may declare, with the secretariat)."""
        return ({c.association_id for c in self.normal.coordinators.values()}
                | {c.association_id for c in self.roles.coordinators.values()})


def resolve_declaration(area_input: AreaInput, *, on: date) -> Declaration:
    """The one resolution behind both declaring and previewing: area, affected associations, roles."""
    area = _resolve_area(area_input)
    if not area.association_ids:
        raise Invalid("area: no association is affected by this area",
                      "area：この区域に該当する地域国際化協会がありません", field="area")
    normal = _acting_roles(affected=(), prefectures=(), on=on)
    roles = _acting_roles(affected=area.association_ids, prefectures=area.prefecture_codes, on=on)
    return Declaration(area=area, roles=roles, normal=normal)


def authorise_declaration(actor: User, declaration: Declaration, *, mode: str) -> None:
    """Whether `actor` may declare (or preview) this declaration; Forbidden otherwise."""
    policy.ensure_can_declare(actor, coordinator_associations=declaration.coordinator_associations)


def declare_disaster(session: Session, *, data: DisasterCreate, actor: User, today: date | None = None,
                     before_commit: Callable[[Disaster], None] | None = None) -> Disaster:
    """Resolve the area, derive acting roles, store the disaster and its event in one transaction.

    `before_commit` sees the stored disaster (with its id) inside that transaction, so that a caller's
    own change and event (e.g. a confirmed bulletin proposal) commit with it or not at all."""
    declaration = resolve_declaration(data.area, on=today or utcnow().date())
    authorise_declaration(actor, declaration, mode=data.mode)
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
    _record(session, disaster, "disaster.declared", actor)
    if before_commit is not None:
        before_commit(disaster)
    session.commit()
    session.refresh(disaster)
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


def _record(session: Session, disaster: Disaster, type: str, actor: User | None) -> None:
    # Every association's staff may read a disaster, so its events name every association.
    assert disaster.id is not None
    record_event(session, type=type, entity="disaster", entity_id=disaster.id, disaster_id=disaster.id,
                 mode=disaster.mode, actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 associations=all_association_ids(), payload=public(disaster))


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
    disaster = session.get(Disaster, disaster_id, with_for_update=lock or None, populate_existing=lock)
    if disaster is None:
        raise NotFound(f"disaster_id: no disaster {disaster_id}",
                       f"disaster_id：災害 {disaster_id} は見つかりません", field="disaster_id")
    return disaster


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


def rename_disaster(session: Session, *, disaster_id: int, data: DisasterUpdate, actor: User) -> Disaster:
    """Change a disaster's name."""
    disaster = get_open_disaster(session, disaster_id, lock=True)
    policy.ensure_can_change(actor, disaster)
    if data.name is None or data.name.strip() == disaster.name:
        return disaster
    disaster.name = data.name.strip()
    session.add(disaster)
    _record(session, disaster, "disaster.renamed", actor)
    session.commit()
    session.refresh(disaster)
    return disaster


def open_cross_block(session: Session, *, disaster_id: int, actor: User) -> Disaster:
    """Open support from other blocks for this disaster (stage 2 of the agreement)."""
    disaster = get_open_disaster(session, disaster_id, lock=True)
    policy.ensure_can_open_cross_block(actor, disaster)
    if disaster.cross_block_open:
        raise Conflict("Cross-block support is already open", "ブロック間支援はすでに開始されています",
                       field="cross_block_open", details={"cross_block_open": True})
    disaster.cross_block_open = True
    disaster.cross_block_opened_at = utcnow()
    disaster.cross_block_opened_by = actor.id
    session.add(disaster)
    _record(session, disaster, "disaster.cross_block_opened", actor)
    session.commit()
    session.refresh(disaster)
    return disaster


def close_disaster(session: Session, *, disaster_id: int, actor: User) -> Disaster:
    """Close a disaster: no more needs, offers or amendments."""
    disaster = get_open_disaster(session, disaster_id, lock=True)
    policy.ensure_can_change(actor, disaster)
    disaster.status = "closed"
    disaster.closed_at = utcnow()
    disaster.closed_by = actor.id
    session.add(disaster)
    _record(session, disaster, "disaster.closed", actor)
    session.commit()
    session.refresh(disaster)
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
