"""Exports: needs and dispatches as CSV for Excel, needs as GeoJSON points.

CSV format (chosen for Excel on Japanese Windows): UTF-8 with a byte-order mark, CRLF line ends, one
header row whose labels read "日本語 / English" (e.g. "人数 / headcount"), so both readers find their
column and the English half is the field name of the API. Text cells that start with = + - @ are
prefixed with an apostrophe so that a spreadsheet never runs them as formulas (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from coordinator.auth.models import User
from coordinator.contacts import policy as contact_policy
from coordinator.contacts.models import DisasterContacts
from coordinator.contacts.service import contact_line, visible_contacts
from coordinator.disasters.models import Disaster, PeopleCounts
from coordinator.disasters.reference import association_or_none, municipality_or_none
from coordinator.disasters.service import get_disaster
from coordinator.dispatches.models import Dispatch
from coordinator.exports import policy
from coordinator.needs.models import Need
from coordinator.readmodel.people import needs_people

BOM = "\ufeff"

NEED_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "ID"), ("disaster_id", "災害ID"), ("mode", "モード"), ("requester_id", "要請団体"),
    ("requester_name_ja", "要請団体名"), ("kind", "支援の種類"), ("language", "言語"), ("headcount", "人数"),
    ("start", "開始日"), ("days", "日数"), ("place", "場所コード"), ("place_name_ja", "場所"),
    ("remote", "遠隔"), ("status", "状態"), ("version", "版"), ("on_behalf", "代理登録"),
    ("notes", "備考"), ("requested", "要請人数"), ("proposed", "提案人数"), ("accepted", "受諾人数"),
    ("on_site", "現地人数"), ("fulfilled", "完了人数"), ("created_at", "登録日時"), ("updated_at", "更新日時"),
)

# Japanese labels for the dispatch table's columns; a column without one shows its name twice.
DISPATCH_LABELS: dict[str, str] = {
    "id": "ID", "disaster_id": "災害ID", "need_id": "ニーズID", "requester_id": "要請団体",
    "supplier_id": "支援団体", "offer_id": "申し出ID", "mode": "モード", "headcount": "人数",
    "stage": "段階", "distance_km": "距離（km）", "reasons": "理由", "state": "状態",
    "expected_cost_yen": "見込み費用（円）", "cost_policy": "費用負担", "decline_reason": "辞退理由",
    "cancel_reason": "取消理由", "notes": "備考", "proposed_at": "提案日時", "approved_at": "承認日時",
    "requested_at": "要請日時", "answered_at": "回答日時", "en_route_at": "出発日時", "on_site_at": "到着日時",
    "completed_at": "完了日時", "cancelled_at": "取消日時", "overdue": "回答期限超過",
    "overdue_since": "期限超過日時", "created_by_user_id": "作成者", "approved_by_user_id": "承認者",
    "version": "版",
}

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
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple | dict):
        value = str(value)
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


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


def _need_row(need: Need, people: PeopleCounts) -> dict[str, Any]:
    row = need.model_dump()
    requester = association_or_none(need.requester_id)
    place = municipality_or_none(need.place) if need.place else None
    row["requester_name_ja"] = requester.name_ja if requester else ""
    row["place_name_ja"] = place.name_ja if place else ""
    row.update(people.model_dump())
    return row


def _need_rows(session: Session, disaster: Disaster, actor: User) -> list[tuple[Need, dict[str, Any]]]:
    """The needs the actor may export, each with its export row (the roll-up read once for all)."""
    needs = _needs(session, disaster, actor)
    people = needs_people(session, needs)
    return [(need, _need_row(need, people[need.id or 0])) for need in needs]


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
    table = Dispatch.__table__  # type: ignore[attr-defined]
    names = sorted((c.name for c in table.columns), key=lambda name: name != "id")  # id first, then table order
    columns = [(name, DISPATCH_LABELS.get(name, name)) for name in names]
    query = select(Dispatch).where(Dispatch.disaster_id == disaster.id, Dispatch.mode == disaster.mode)
    rows = [r for r in session.exec(query.order_by(col(Dispatch.id)))
            if policy.row_visible(actor, disaster, r.requester_id)]
    if not contact_policy.exports_contacts(actor):
        return to_csv(columns, (r.model_dump() for r in rows))
    seen = visible_contacts(session, disaster=disaster, actor=actor)

    def with_contacts(dispatch: Any) -> dict[str, Any]:
        row = dispatch.model_dump()
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
