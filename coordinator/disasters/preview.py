"""The declaration preview: what declaring an area would do, in names people read (nothing stored)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agreements import AgreementError
from coordinator.reference import association_or_none, current_agreement
from coordinator.settings import get_settings
from geo.errors import GeoError
from geo.prefectures import prefecture

if TYPE_CHECKING:
    from coordinator.disasters.service import Declaration

SLIVER = re.compile(r"prefecture \d+ (?P<name>\S+): (?P<share>[\d.]+%) of its area is covered but no municipal "
                    r"office; below (?P<min>\d+%), not counted")
PREFECTURE = re.compile(r"(?:prefecture|都道府県) (?P<code>\d{2})\b(?P<space> ?)")
BARE_ID = re.compile(r"\b(?:pref|city)_[a-z0-9_]+\b")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
# How geo reached a prefecture or municipality, in words (geo.area's reached_by values).
REACHED_BY = {
    "listed": ("指定", "listed"),
    "in listed prefecture": ("指定された都道府県内", "in a listed prefecture"),
    "contains listed municipality": ("指定された市区町村を含む", "contains a listed municipality"),
    "ward of listed city": ("指定された市の区", "ward of a listed city"),
    "city of listed ward": ("指定された区の市", "city of a listed ward"),
    "covers municipal office": ("市区町村役所が区域内", "a municipal office lies in the area"),
    "overlap share": ("面積の 5% 以上が区域内", "5 % or more of its area is in the area"),
    "office inside area": ("役所が区域内", "office inside the area"),
    "inside radius": ("震央から半径内", "within the radius of the epicentre"),
    "city of affected ward": ("被災した区の市", "city of an affected ward"),
}


def _names(association_id: str) -> tuple[str, str]:
    agreement = current_agreement()
    if association_id == agreement.secretariat.id:
        return agreement.secretariat.name_ja, agreement.secretariat.name_en
    found = association_or_none(association_id)
    return (found.name_ja, found.name_en) if found else (association_id, association_id)


def _block(association_id: str) -> Any | None:
    try:
        return current_agreement().block_of(association_id)
    except AgreementError:  # an association outside every block
        return None


def _warning(text: str) -> dict[str, str]:
    """geo's warnings are English; the two it gives for drawn areas and circles get a Japanese text."""
    sliver = SLIVER.match(text)
    if sliver:
        return {"ja": f"{sliver['name']}：面積の {sliver['share']} が区域に入りますが、役所が区域外で "
                      f"{sliver['min']} 未満のため含めていません", "en": text}
    if text.startswith("no municipal office and no prefecture share"):
        return {"ja": "区域内に市区町村役所がなく、面積の 5% 以上が入る都道府県もありません。"
                      "該当する地域はありません", "en": text}
    return {"ja": text, "en": text}


def readable(text: str) -> str:
    """A reason from the agreement in names only: "pref_aichi (Aichi …)" → "Aichi …", "愛知県…（pref_aichi）" →
    "愛知県…", a bare "pref_ishikawa" → its name, "prefecture 13" / "都道府県 13" → the prefecture's name."""
    japanese = bool(JAPANESE.search(text))
    for found in sorted(set(BARE_ID.findall(text)), key=len, reverse=True):
        if association_or_none(found) is None:
            continue
        name_ja, name_en = _names(found)
        text = text.replace(f"{found} ({name_en})", name_en).replace(f"{name_ja}（{found}）", name_ja)
        text = re.sub(rf"\b{found}\b", name_ja if japanese else name_en, text)
    return PREFECTURE.sub(lambda m: (_prefecture_name(m["code"], japanese) or m[0]) + ("" if japanese else m["space"]),
                          text)


def _prefecture_name(code: str, japanese: bool) -> str | None:
    try:
        found = prefecture(code, get_settings().data_dir)
    except GeoError:
        return None
    return found.name_ja if japanese else found.name_en


def _reached(how: str) -> dict[str, str]:
    ja, en = REACHED_BY.get(how, (how, how))
    return {"reached_by_ja": ja, "reached_by_en": en}


def declaration_preview(declaration: Declaration, *, mode: str) -> dict[str, Any]:
    """The preview's JSON: prefectures, associations (with blocks), acting roles with reasons, warnings."""
    agreement = current_agreement()
    area, roles = declaration.area, declaration.roles
    associations = []
    involved: set[str] = set()
    for a in area.associations:
        name_ja, name_en = _names(a.id)
        block = _block(a.id)
        if block is not None:
            involved.add(block.id)
        associations.append({"id": a.id, "name_ja": name_ja, "name_en": name_en,
                             "block": block.id if block else None,
                             "block_name_ja": block.name_ja if block else None,
                             "block_name_en": block.name_en if block else None})
    coordinators = []
    for block in agreement.blocks:
        acting = roles.coordinators[block.id]
        designated = declaration.normal.coordinators[block.id]
        name_ja, name_en = _names(acting.association_id)
        coordinators.append({
            "block": block.id, "block_name_ja": block.name_ja, "block_name_en": block.name_en,
            "association_id": acting.association_id, "association_name_ja": name_ja,
            "association_name_en": name_en, "is_deputy": acting.is_deputy,
            "changed": acting.association_id != designated.association_id,
            "involved": block.id in involved, "reason_ja": readable(acting.reason_ja),
            "reason_en": readable(acting.reason_en)})
    coordinators.sort(key=lambda c: (not c["involved"], [b.id for b in agreement.blocks].index(c["block"])))
    secretariat_ja, secretariat_en = _names(roles.secretariat.id)
    warnings = [_warning(w) for w in area.warnings]
    return {
        "mode": mode,
        "fiscal_year": roles.fiscal_year,
        "source": area.source,
        "prefectures": [{"code": p.code, "name_ja": p.name_ja, "name_en": p.name_en, **_reached(p.reached_by)}
                        for p in area.prefectures],
        "municipality_count": len(area.municipalities),
        "municipalities": [{"code": m.code, "name_ja": m.name_ja, "prefecture_code": m.pref_code,
                            "distance_km": m.distance_km} for m in area.municipalities[:200]],
        "associations": associations,
        "acting_coordinators": coordinators,
        "acting_secretariat": {"id": roles.secretariat.id, "name_ja": secretariat_ja,
                               "name_en": secretariat_en, "is_failover": roles.secretariat.is_failover,
                               "reason_ja": readable(roles.secretariat.reason_ja),
                               "reason_en": readable(roles.secretariat.reason_en)},
        "warnings": warnings,
    }
