"""Need use cases: create, amend, cancel, read, history, roll-ups and status from dispatches."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from agreements import AgreementError
from agreements.languages import UnknownLanguage, canonical
from coordinator.auth.models import User
from coordinator.contacts import service as contacts
from coordinator.db import writes
from coordinator.disasters.models import Disaster
from coordinator.disasters.service import get_disaster, get_open_disaster
from coordinator.errors import (
    InvalidTransition,
    check_version,
    invalid,
    invalid_fields,
    load_or_404,
    problem,
)
from coordinator.events.models import utcnow
from coordinator.events.service import record_event
from coordinator.needs import policy
from coordinator.needs.models import (
    AMENDABLE_FIELDS,
    MAX_HEADCOUNT,
    MAX_NOTES,
    Need,
    NeedCreate,
    NeedPublic,
    NeedRevision,
    NeedUpdate,
)
from coordinator.readmodel.people import counts_for, need_people, needs_people
from coordinator.reference import block_of, current_agreement, municipality_or_none

# Start-date window around the declaration (brief of issue 3: not more than 30 days before, 365 after).
START_DAYS_BEFORE = 30
START_DAYS_AFTER = 365

def public(session: Session, need: Need) -> NeedPublic:
    """The public view of a need with its roll-up."""
    return publics(session, [need])[0]


def publics(session: Session, needs: Sequence[Need]) -> list[NeedPublic]:
    """The public views of needs with their roll-ups (one query for all of them)."""
    people = needs_people(session, needs)
    views = []
    for need in needs:
        view = NeedPublic.model_validate(need)
        view.people = people[need.id or 0]
        views.append(view)
    return views


def created_public(need: Need) -> NeedPublic:
    """The public view of a need just declared: nothing refers to it yet, so its roll-up needs no query."""
    view = NeedPublic.model_validate(need)
    view.people = counts_for(need, {})
    return view


def _payload(need: Need) -> dict[str, Any]:
    return NeedPublic.model_validate(need).model_dump(mode="json", exclude={"people"})


def _record(session: Session, disaster: Disaster, need: Need, type: str, actor: User | None) -> None:
    assert need.id is not None
    record_event(session, type=type, entity="need", entity_id=need.id, disaster_id=disaster.id,
                 mode=disaster.mode, actor_user_id=actor.id if actor else None,
                 actor_association_id=actor.association_id if actor else None,
                 associations=policy.event_readers(disaster, need.requester_id), payload=_payload(need))


def _check_requester(disaster: Disaster, requester_id: str) -> None:
    if requester_id not in disaster.affected_associations:
        raise invalid("requester_id", f"association {requester_id!r} is not affected by this disaster",
                       f"協会 {requester_id!r} はこの災害の被災地域の協会ではありません",
                       affected=disaster.affected_associations)


def _validated(disaster: Disaster, values: dict[str, Any],
               more_problems: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Check a need's fields against the agreement and the disaster; fill defaults; raise Invalid naming
    every problem at once (details.problems), so that a form can show them all beside their fields."""
    agreement = current_agreement()
    problems: list[dict[str, str]] = list(more_problems or [])
    details: dict[str, Any] = {}

    def bad(field: str, en: str, ja: str) -> None:
        problems.append(problem(field, en, ja))

    kind_id = values["kind"]
    kind = None
    try:
        if not kind_id:
            bad("kind", "required: choose a kind of support", "選択してください")
        else:
            kind = agreement.kind(kind_id)
    except AgreementError:
        details["known"] = [k.id for k in agreement.kinds]
        names = "、".join(k.name_ja for k in agreement.kinds)
        bad("kind", f"unknown support kind {kind_id!r}; known: {', '.join(details['known'])}",
            f"協定にない種類です。次から選んでください：{names}")
    if not values["language"]:
        bad("language", "required: choose a language", "選択してください")
    else:
        try:
            values["language"] = canonical(agreement, values["language"])
        except UnknownLanguage as error:
            details["known_languages"] = error.known
            bad("language", error.problem, error.problem_ja)
    headcount = values["headcount"]
    if headcount is None:
        bad("headcount", "required", "人数を入力してください")
    elif not 1 <= headcount <= MAX_HEADCOUNT:
        bad("headcount", f"must be between 1 and {MAX_HEADCOUNT}", f"1 から {MAX_HEADCOUNT} の範囲で指定してください")
    declared = disaster.declared_at.date()
    earliest, latest = declared - timedelta(days=START_DAYS_BEFORE), declared + timedelta(days=START_DAYS_AFTER)
    start: date | None = values["start"]
    if start is None:
        bad("start", "required", "開始日を入力してください")
    elif not earliest <= start <= latest:
        bad("start", f"must be between {earliest} and {latest} (30 days before to 365 days after the declaration)",
            f"{_ja_date(earliest)}から{_ja_date(latest)}の間で指定してください（宣言の30日前から365日後まで）")
    rotation = agreement.rotation
    if values.get("days") is None:
        values["days"] = rotation.default_days
    if not rotation.min_days <= values["days"] <= rotation.max_days:
        bad("days", f"must be between {rotation.min_days} and {rotation.max_days} days (the agreement's rotation)",
            f"{rotation.min_days} 日から {rotation.max_days} 日の範囲で指定してください（協定の交代期間）")
    place = values.get("place")
    if place is not None:
        municipality = municipality_or_none(place) if len(place) == 5 and place.isdigit() else None
        if municipality is None:
            bad("place", f"{place!r} is not a known municipality code (5 digits, JIS X 0402)",
                "市区町村が見つかりません。市区町村名で検索して選んでください")
        elif municipality.pref_code not in disaster.affected_prefectures:
            details["affected_prefectures"] = disaster.affected_prefectures
            bad("place", f"municipality {place} is not in an affected prefecture",
                f"{municipality.name_ja}は被災した都道府県にありません")
    if kind is not None:
        if values.get("remote") is None:
            values["remote"] = kind.remote
        if values["remote"] and not kind.remote:
            bad("remote", f"support kind {kind_id!r} is done on site and cannot be remote",
                f"「{kind.name_ja}」は現地での支援のため遠隔にはできません")
    notes = values.get("notes") or ""
    if len(notes) > MAX_NOTES:
        bad("notes", f"must be at most {MAX_NOTES} characters", f"{MAX_NOTES} 文字以内で入力してください")
    values["notes"] = notes
    if problems:
        error = invalid_fields(problems)
        error.details.update(details)
        raise error
    return values


def _ja_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@writes
def create_need(session: Session, *, disaster_id: int, data: NeedCreate, actor: User) -> Need:
    """Register a need for an affected association (by its staff, or on its behalf)."""
    disaster = get_open_disaster(session, disaster_id)
    on_behalf = policy.ensure_can_write(actor, disaster, requester_id=data.requester_id,
                                        requester_block=block_of(data.requester_id))
    _check_requester(disaster, data.requester_id)
    site, site_problems = contacts.site_contact_problems(data.site_contact)
    values = _validated(disaster, data.model_dump(exclude={"site_contact"}), site_problems)
    now = utcnow()
    need = Need(**values, disaster_id=disaster_id, mode=disaster.mode, status="open", version=1,
                created_by_user_id=actor.id, created_by_association_id=actor.association_id,
                on_behalf=on_behalf, created_at=now, updated_at=now)
    session.add(need)
    session.flush()
    assert need.id is not None
    if site is not None:
        contacts.set_site_contact(session, need.id, site)
    _record(session, disaster, need, "need.created", actor)
    return need


def _load(session: Session, need_id: int, *, lock: bool = False) -> Need:
    return load_or_404(session, Need, need_id, field="need_id", what_en="need", what_ja="ニーズ", lock=lock)


def _ensure_current(session: Session, need: Need, version: int | None) -> None:
    """Refuse a change made on an old version, and show what the other person changed since (issue 15
    item 4: a concurrent edit shows the other person's change instead of only refusing)."""

    def since() -> dict[str, Any]:
        revisions = session.exec(select(NeedRevision).where(NeedRevision.need_id == need.id,
                                                            col(NeedRevision.version) > (version or 0))
                                 .order_by(col(NeedRevision.version)))
        changes = [{"version": r.version, "changes": r.changes, "by_association_id": r.by_association_id,
                    "on_behalf": r.on_behalf, "at": r.at.isoformat(),
                    "place_names": place_names_of(r.changes)} for r in revisions]
        return {"current": _payload(need), "changes_since": changes}

    check_version(need.version, version, details=since,
                  en=f"Someone else changed this need meanwhile (now version {need.version}); check their "
                  "change and send yours again",
                  ja=f"このニーズは他の人が先に更新しました（現在の版 {need.version}）。"
                  "相手の変更を確認してから、もう一度送ってください")


_STATUS_JA = {"open": "受付中", "cancelled": "取り消し済み", "fulfilled": "充足済み"}


def _ensure_open(need: Need) -> None:
    if need.status != "open":
        raise InvalidTransition(f"status: the need is {need.status} and can no longer change",
                                f"このニーズは{_STATUS_JA.get(need.status, need.status)}のため変更できません",
                                field="status", details={"status": need.status})


def _revise(session: Session, need: Need, changes: dict[str, Any], actor: User, on_behalf: bool) -> None:
    assert need.id is not None
    need.version += 1
    need.updated_at = utcnow()
    session.add(need)
    session.add(NeedRevision(need_id=need.id, version=need.version, changes=changes, by_user_id=actor.id,
                             by_association_id=actor.association_id, on_behalf=on_behalf, at=need.updated_at))


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@writes
def amend_need(session: Session, *, need_id: int, data: NeedUpdate, actor: User) -> Need:
    """Change some fields of an open need; the old and new values are kept in need_revision."""
    need = _load(session, need_id, lock=True)
    disaster = get_open_disaster(session, need.disaster_id)
    on_behalf = policy.ensure_can_write(actor, disaster, requester_id=need.requester_id,
                                        requester_block=block_of(need.requester_id))
    _ensure_current(session, need, data.version)
    _ensure_open(need)
    given = data.model_dump(exclude_unset=True, exclude={"version", "site_contact"})
    for name in ("kind", "language", "headcount", "start", "days", "remote"):
        if name in given and given[name] is None:
            raise invalid(name, "may not be null", "空にはできません")
    current = {name: getattr(need, name) for name in AMENDABLE_FIELDS}
    site, site_problems = contacts.site_contact_problems(data.site_contact)
    proposed = _validated(disaster, {**current, **given}, site_problems)
    changes: dict[str, Any] = {name: {"old": _jsonable(current[name]), "new": _jsonable(proposed[name])}
                               for name in AMENDABLE_FIELDS if proposed[name] != current[name]}
    if site is not None and contacts.set_site_contact(session, need_id, site):
        changes["site_contact"] = {"changed": True}  # no names or numbers: the history is widely read
    if not changes:
        return need
    for name in changes:
        if name in AMENDABLE_FIELDS:
            setattr(need, name, proposed[name])
    _revise(session, need, changes, actor, on_behalf)
    _apply_fulfilment(session, need)
    _record(session, disaster, need, "need.amended", actor)
    return need


@writes
def cancel_need(session: Session, *, need_id: int, actor: User, version: int | None = None,
                reason: str | None = None) -> Need:
    """Cancel an open need (kept, with its history and the reason given)."""
    need = _load(session, need_id, lock=True)
    disaster = get_open_disaster(session, need.disaster_id)
    on_behalf = policy.ensure_can_write(actor, disaster, requester_id=need.requester_id,
                                        requester_block=block_of(need.requester_id))
    _ensure_current(session, need, version)
    _ensure_open(need)
    need.status = "cancelled"
    need.cancel_reason = (reason or "").strip() or None
    changes: dict[str, Any] = {"status": {"old": "open", "new": "cancelled"}}
    if need.cancel_reason:
        changes["reason"] = need.cancel_reason
    _revise(session, need, changes, actor, on_behalf)
    _record(session, disaster, need, "need.cancelled", actor)
    return need


def get_need(session: Session, *, need_id: int, actor: User) -> Need:
    """One need, if the actor may read it."""
    need = _load(session, need_id)
    disaster = get_disaster(session, disaster_id=need.disaster_id, actor=actor)
    policy.ensure_can_read(actor, disaster, need.requester_id, status=need.status)
    return need


def list_needs(session: Session, *, disaster_id: int, actor: User, status: str | None = None) -> list[Need]:
    """The disaster's needs the actor may read (only this disaster's mode, ever)."""
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    return visible_needs(session, disaster=disaster, actor=actor, status=status)


def visible_needs(session: Session, *, disaster: Disaster, actor: User, status: str | None = None) -> list[Need]:
    """Needs of a disaster filtered by its mode and by what the actor may read."""
    query = select(Need).where(Need.disaster_id == disaster.id, Need.mode == disaster.mode)
    if status is not None:
        query = query.where(Need.status == status)
    rows = session.exec(query.order_by(col(Need.id)))
    return [n for n in rows if policy.can_read(actor, disaster, n.requester_id, status=n.status)]


def need_history(session: Session, *, need_id: int, actor: User) -> list[NeedRevision]:
    """A need's amendments, oldest first."""
    need = get_need(session, need_id=need_id, actor=actor)
    query = select(NeedRevision).where(NeedRevision.need_id == need.id).order_by(col(NeedRevision.version))
    return list(session.exec(query))


def place_names_of(changes: dict[str, Any]) -> dict[str, str]:
    """Municipality names ("輪島市") for the place codes a revision changed, so no one reads a JIS code."""
    place = changes.get("place") or {}
    codes = [place.get("old"), place.get("new")] if isinstance(place, dict) else []
    found = {code: municipality_or_none(code) for code in codes if code}
    return {code: m.name_ja for code, m in found.items() if m is not None}


def _apply_fulfilment(session: Session, need: Need) -> bool:
    """Set fulfilled when completed people cover the headcount, back to open when they no longer do."""
    if need.status == "cancelled":
        return False
    completed = need_people(session, need).fulfilled
    wanted = "fulfilled" if completed >= need.headcount else "open"
    if wanted == need.status:
        return False
    need.status = wanted
    need.updated_at = utcnow()
    session.add(need)
    return True


def refresh_need_status(session: Session, need_id: int) -> Need:
    """Recompute a need's status from its dispatches, inside the caller's transaction (no commit).

    Called by the dispatches domain after a transition; writes "need.fulfilled" or "need.reopened"
    when the status changes.
    """
    need = _load(session, need_id, lock=True)
    if _apply_fulfilment(session, need):
        disaster = session.get(Disaster, need.disaster_id)
        assert disaster is not None
        session.flush()
        _record(session, disaster, need, "need.fulfilled" if need.status == "fulfilled" else "need.reopened",
                None)
    return need
