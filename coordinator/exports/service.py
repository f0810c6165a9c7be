"""Exports: needs and dispatches as CSV for Excel, needs as GeoJSON points.

CSV format (chosen for Excel on Japanese Windows): UTF-8 with a byte-order mark, CRLF line ends, one
header row whose labels read "日本語 / English" (e.g. "人数 / headcount"), so both readers find their
column and the English half is the field name of the API. Text cells that start with = + - @ are
prefixed with an apostrophe so that a spreadsheet never runs them as formulas (OWASP "CSV injection").

For people (issue 14 item 9): every id sits beside a name, every code (kind, language, state, mode, stage,
cost settlement) beside its Japanese label, times are Japan Standard Time ("2026-01-06 12:09:30", the header
says JST), yes/no reads はい/いいえ and reasons are sentences, never Python values.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from coordinator.auth.models import User
from coordinator.contacts import policy as contact_policy
from coordinator.contacts.models import DisasterContacts
from coordinator.contacts.service import contact_line, visible_contacts
from coordinator.disasters.models import Disaster, PeopleCounts
from coordinator.disasters.service import get_disaster
from coordinator.dispatches.models import Dispatch
from coordinator.exports import policy
from coordinator.needs.models import Need
from coordinator.readmodel.people import needs_people
from coordinator.reference import association_or_none, current_agreement, municipality_or_none
from coordinator.web.i18n import catalogue
from coordinator.web.timefmt import jst

BOM = "\ufeff"

NEED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"), ("disaster_id", "災害ID"), ("mode_ja", "区分"), ("requester_id", "要請団体ID"),
    ("requester_name_ja", "要請団体名"), ("kind", "支援の種類コード"), ("kind_ja", "支援の種類"),
    ("language", "言語コード"), ("language_ja", "言語"), ("headcount", "人数"), ("start", "開始日"),
    ("end", "終了日"), ("days", "日数"), ("place", "場所コード"), ("place_name_ja", "場所"), ("remote", "遠隔"),
    ("status", "状態コード"), ("status_ja", "状態"), ("version", "版"), ("on_behalf", "代理登録"),
    ("notes", "備考"), ("requested", "要請人数"), ("proposed", "提案人数"), ("accepted", "受諾人数"),
    ("on_site", "現地人数"), ("fulfilled", "完了人数"), ("created_at", "登録日時（JST）"),
    ("updated_at", "更新日時（JST）"),
)

DISPATCH_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"), ("disaster_id", "災害ID"), ("mode_ja", "区分"), ("need_id", "ニーズID"),
    ("supplier_id", "応援団体ID"), ("supplier_name_ja", "応援団体名"), ("requester_id", "要請団体ID"),
    ("requester_name_ja", "要請団体名"), ("kind_ja", "支援の種類"), ("language_ja", "言語"),
    ("place_name_ja", "場所"), ("headcount", "人数"), ("stage", "段階"), ("stage_ja", "段階（説明）"),
    ("distance_km", "距離（km）"), ("state", "状態コード"), ("state_ja", "状態"), ("reasons", "提案の理由"),
    ("expected_cost_yen", "見込み費用（円）"), ("cost_policy_ja", "費用負担"), ("decline_reason", "辞退理由"),
    ("cancel_reason", "取消理由"), ("notes", "備考"), ("overdue", "回答期限超過"),
    ("proposed_at", "提案日時（JST）"), ("approved_at", "承認日時（JST）"), ("requested_at", "要請日時（JST）"),
    ("answered_at", "回答日時（JST）"), ("en_route_at", "出発日時（JST）"), ("on_site_at", "到着日時（JST）"),
    ("completed_at", "完了日時（JST）"), ("cancelled_at", "取消日時（JST）"),
    ("overdue_since", "期限超過日時（JST）"), ("created_by", "作成者"), ("approved_by", "承認者"), ("version", "版"),
)
STAGES_JA = {1: "第1段階（ブロック内）", 2: "第2段階（ブロック間）"}
MODES_JA = {"live": "実災害", "drill": "訓練"}

# Contact columns (issue 15 item 3): present for everyone but observers; a cell is filled only when the
# reader may see that contact (contacts/policy.py), else left empty.
NEED_CONTACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("site_place", "現地の場所"), ("site_name", "現地の担当者"), ("site_phone", "現地の電話"),
    ("requester_contacts", "要請団体の連絡先"),
)
DISPATCH_CONTACT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("people", "派遣する人（電話）"), ("requester_contacts", "要請団体の連絡先"),
    ("supplier_contacts", "応援団体の連絡先"),
)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    if isinstance(value, datetime):
        return jst(value, with_zone=False, seconds=True)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        value = _readable(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _readable(value: Any) -> str:
    """Lists and {ja, en} texts as sentences (Japanese first), never a Python value."""
    if isinstance(value, dict):
        return str(value.get("ja") or value.get("en") or "、".join(f"{k}: {_readable(v)}" for k, v in value.items()))
    if isinstance(value, list | tuple):
        return "\n".join(_readable(v) for v in value)
    return str(value)


def _labels() -> dict[str, dict[str, str]]:
    """Japanese labels of the codes in the rows: support kinds, languages (agreement), states (catalogue)."""
    agreement = current_agreement()
    messages = catalogue("ja")

    def family(prefix: str) -> dict[str, str]:
        return {k.split(".", 1)[1]: v for k, v in messages.items() if k.startswith(prefix + ".")}

    return {"kind": {k.id: k.name_ja for k in agreement.kinds},
            "language": {lang.tag: lang.name_ja for lang in agreement.languages},
            "need_status": family("need_status"), "dispatch_state": family("dispatch_state"),
            "cost_policy": family("cost_policy")}


def to_csv(columns: Sequence[tuple[str, str]], rows: Iterable[dict[str, Any]]) -> bytes:
    """CSV bytes: BOM, CRLF, one "日本語 / English" header row, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f"{ja} / {en}" for en, ja in columns])
    for row in rows:
        writer.writerow([_cell(row.get(en)) for en, _ in columns])
    return (BOM + buffer.getvalue()).encode("utf-8")


def _exportable(session: Session, disaster_id: int, actor: User) -> Disaster:
    disaster = get_disaster(session, disaster_id=disaster_id, actor=actor)
    policy.ensure_can_export(actor, disaster)
    return disaster


def _needs(session: Session, disaster: Disaster, actor: User) -> list[Need]:
    query = select(Need).where(Need.disaster_id == disaster.id, Need.mode == disaster.mode)
    rows = session.exec(query.order_by(col(Need.id)))
    return [n for n in rows if policy.row_visible(actor, disaster, n.requester_id)]


def _name_ja(association_id: str | None) -> str:
    found = association_or_none(association_id) if association_id else None
    return found.name_ja if found else (association_id or "")


def _need_row(need: Need, people: PeopleCounts, labels: dict[str, dict[str, str]]) -> dict[str, Any]:
    row = need.model_dump()
    place = municipality_or_none(need.place) if need.place else None
    row.update(requester_name_ja=_name_ja(need.requester_id), place_name_ja=place.name_ja if place else "",
               kind_ja=labels["kind"].get(need.kind, need.kind),
               language_ja=labels["language"].get(need.language, need.language),
               status_ja=labels["need_status"].get(need.status, need.status),
               mode_ja=MODES_JA.get(need.mode, need.mode), end=need.start + timedelta(days=max(need.days, 1) - 1))
    row.update(people.model_dump())
    return row


def _need_rows(session: Session, disaster: Disaster, actor: User) -> list[tuple[Need, dict[str, Any]]]:
    """The needs the actor may export, each with its export row (the roll-up read once for all)."""
    needs = _needs(session, disaster, actor)
    people = needs_people(session, needs)
    labels = _labels()
    return [(need, _need_row(need, people[need.id or 0], labels)) for need in needs]


def _need_contacts(row: dict[str, Any], need: Need, seen: DisasterContacts) -> dict[str, Any]:
    site = seen.needs.get(need.id or 0)
    row.update({"site_place": site.place if site else "", "site_name": site.name if site else "",
                "site_phone": site.phone if site else "",
                "requester_contacts": contact_line(seen.associations.get(need.requester_id, []))})
    return row


def needs_csv(session: Session, *, disaster_id: int, actor: User) -> bytes:
    """The disaster's needs the actor may export, as CSV (contact columns as far as the actor may see)."""
    disaster = _exportable(session, disaster_id, actor)
    rows = _need_rows(session, disaster, actor)
    if not contact_policy.exports_contacts(actor):
        return to_csv(NEED_COLUMNS, (row for _, row in rows))
    seen = visible_contacts(session, disaster=disaster, actor=actor)
    return to_csv(NEED_COLUMNS + NEED_CONTACT_COLUMNS, (_need_contacts(row, n, seen) for n, row in rows))


def dispatches_csv(session: Session, *, disaster_id: int, actor: User) -> bytes:
    """The disaster's dispatches the actor may export, as CSV."""
    disaster = _exportable(session, disaster_id, actor)
    query = select(Dispatch).where(Dispatch.disaster_id == disaster.id, Dispatch.mode == disaster.mode)
    rows = [r for r in session.exec(query.order_by(col(Dispatch.id)))
            if policy.row_visible(actor, disaster, r.requester_id)]
    needs = {n.id: n for n in session.exec(select(Need).where(col(Need.id).in_({r.need_id for r in rows})))}
    user_ids = {u for r in rows for u in (r.created_by_user_id, r.approved_by_user_id) if u is not None}
    users = {u.id: u.display_name for u in session.exec(select(User).where(col(User.id).in_(user_ids)))}
    labels = _labels()
    columns = list(DISPATCH_COLUMNS)

    def readable(dispatch: Dispatch) -> dict[str, Any]:
        row = dispatch.model_dump()
        need = needs.get(dispatch.need_id)
        place = municipality_or_none(need.place) if need and need.place else None
        row.update(
            mode_ja=MODES_JA.get(dispatch.mode, dispatch.mode), supplier_name_ja=_name_ja(dispatch.supplier_id),
            requester_name_ja=_name_ja(dispatch.requester_id),
            kind_ja=labels["kind"].get(need.kind, need.kind) if need else "",
            language_ja=labels["language"].get(need.language, need.language) if need else "",
            place_name_ja=place.name_ja if place else "", stage_ja=STAGES_JA.get(dispatch.stage, ""),
            state_ja=labels["dispatch_state"].get(dispatch.state, dispatch.state),
            cost_policy_ja=labels["cost_policy"].get(dispatch.cost_policy or "", dispatch.cost_policy or ""),
            created_by=users.get(dispatch.created_by_user_id or 0, ""),
            approved_by=users.get(dispatch.approved_by_user_id or 0, ""))
        return row

    if not contact_policy.exports_contacts(actor):
        return to_csv(columns, (readable(r) for r in rows))
    seen = visible_contacts(session, disaster=disaster, actor=actor)

    def with_contacts(dispatch: Any) -> dict[str, Any]:
        row = readable(dispatch)
        shown = contact_policy.may_see_dispatch_contacts(actor, disaster, requester_id=dispatch.requester_id,
                                                         supplier_id=dispatch.supplier_id, state=dispatch.state)
        people = seen.dispatches.get(dispatch.id, [])
        row["people"] = " / ".join(" ".join(x for x in (p.name, p.phone) if x) for p in people)
        row["requester_contacts"] = contact_line(seen.associations.get(dispatch.requester_id, [])) if shown else ""
        row["supplier_contacts"] = contact_line(seen.associations.get(dispatch.supplier_id, [])) if shown else ""
        return row

    return to_csv(columns + list(DISPATCH_CONTACT_COLUMNS), (with_contacts(r) for r in rows))


def needs_geojson(session: Session, *, disaster_id: int, actor: User) -> dict[str, Any]:
    """The disaster's needs as GeoJSON points: the place's municipal office, else the requester's."""
    disaster = _exportable(session, disaster_id, actor)
    features = []
    for need, row in _need_rows(session, disaster, actor):
        place = municipality_or_none(need.place) if need.place else None
        requester = association_or_none(need.requester_id)
        located = place or requester
        basis = "place" if place else "requester"
        properties = {key: _json(value) for key, value in row.items()}
        properties["location_basis"] = basis
        geometry = ({"type": "Point", "coordinates": [round(located.lon, 6), round(located.lat, 6)]}
                    if located else None)
        features.append({"type": "Feature", "id": need.id, "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features,
            "properties": {"disaster_id": disaster.id, "mode": disaster.mode, "name": disaster.name}}


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime | date) else value
