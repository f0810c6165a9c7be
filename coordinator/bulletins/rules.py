"""What a parsed bulletin proposes under the agreement's bulletin rules (pure: no database, no HTTP).

The area is the municipalities at or above the threshold (JMA codes mapped to JIS codes through
geo.jma); a region-level bulletin (震度速報) takes every municipality of each region at or above it; a
prefecture with no region takes the whole prefecture; with nothing placeable, a circle around the
epicentre. The area is then resolved by geo like any other declared area (disasters.service).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agreements.models import BulletinRules
from coordinator.bulletins.jmaxml import INTENSITY_JA, SEISMOLOGY, Bulletin, intensity_rank
from geo.datadir import resolve_data_dir
from geo.jma import jis_code_for, region_municipalities, tsunami_area_prefectures
from geo.municipalities import load_municipality_table
from geo.prefectures import prefecture

EARTHQUAKE, TSUNAMI, WEATHER, OTHER = "earthquake", "tsunami", "weather", "other"
# The disaster kind a weather special warning suggests (the secretariat may change it when confirming).
WEATHER_KIND = {"大雨": "flood", "高潮": "typhoon", "暴風": "typhoon", "波浪": "typhoon"}


@dataclass(frozen=True)
class Assessment:
    """A bulletin judged against the rules: whether it proposes, and if so what (kind, name, area)."""

    family: str
    event_key: str | None
    proposes: bool
    reason_en: str
    reason_ja: str
    kind: str = "other"
    name: str = ""
    area: dict[str, Any] | None = None
    headline: str = ""
    places: tuple[dict[str, Any], ...] = ()
    unmapped: tuple[str, ...] = field(default=())

    @property
    def municipality_codes(self) -> frozenset[str]:
        """JIS codes the proposed area lists (empty for a prefecture or circle area)."""
        return frozenset((self.area or {}).get("municipalities") or ())


def family_of(bulletin: Bulletin) -> str:
    """earthquake, tsunami, weather or other (by the bulletin's data type)."""
    if bulletin.type_code == "VTSE41":
        return TSUNAMI
    if bulletin.type_code in SEISMOLOGY:
        return EARTHQUAKE
    if bulletin.type_code in ("VPWW53", "VPWW54"):
        return WEATHER
    return OTHER


def event_key(bulletin: Bulletin) -> str | None:
    """Which proposal a bulletin belongs to: JMA's EventID per family; weather bulletins per prefecture."""
    family = family_of(bulletin)
    if family == WEATHER:
        return f"{WEATHER}:{bulletin.weather_prefecture}" if bulletin.weather_prefecture else None
    if family == OTHER or not bulletin.event_id:
        return None
    return f"{family}:{bulletin.event_id}"


def _no(bulletin: Bulletin, reason_en: str, reason_ja: str) -> Assessment:
    return Assessment(family=family_of(bulletin), event_key=event_key(bulletin), proposes=False,
                      reason_en=reason_en, reason_ja=reason_ja, headline=bulletin.headline)


def assess(bulletin: Bulletin, rules: BulletinRules | None, data_dir: Any = None) -> Assessment:
    """Judge one bulletin; a cancellation (取消) never proposes (the service withdraws what it proposed)."""
    family = family_of(bulletin)
    if rules is None:
        return _no(bulletin, "the agreement has no bulletin rules", "協定に電文の規則（bulletins）がありません")
    if bulletin.info_type == "取消":
        return _no(bulletin, "JMA cancelled this bulletin (取消)", "気象庁がこの電文を取り消しました（取消）")
    if family == EARTHQUAKE:
        return _earthquake(bulletin, rules, data_dir)
    if family == TSUNAMI:
        return _tsunami(bulletin, rules)
    if family == WEATHER:
        return _weather(bulletin, rules, data_dir)
    return _no(bulletin, f"{bulletin.title}: not a kind of bulletin that proposes a declaration",
               f"{bulletin.title}：宣言を提案する種類の電文ではありません")


def _intensity_ja(value: str | None) -> str:
    return INTENSITY_JA.get(value or "", "不明")


def _earthquake(bulletin: Bulletin, rules: BulletinRules, data_dir: Any) -> Assessment:
    rule = rules.earthquake
    threshold = intensity_rank(rule.min_intensity)
    if intensity_rank(bulletin.max_intensity) < threshold:
        return _no(bulletin, f"maximum intensity {bulletin.max_intensity or 'none'} is below the threshold "
                             f"{rule.min_intensity}",
                   f"最大震度{_intensity_ja(bulletin.max_intensity)}はしきい値（震度{_intensity_ja(rule.min_intensity)}"
                   "以上）に達していません")
    codes: set[str] = set()
    places: list[dict[str, Any]] = []
    unmapped: list[str] = []
    table = load_municipality_table(resolve_data_dir(data_dir))
    for pref in bulletin.prefectures:
        if not pref.regions and intensity_rank(pref.max_int) >= threshold:
            whole = [m.code for m in table.in_prefecture.get(pref.code, ())]
            codes.update(whole)
            places.append({"level": "prefecture", "code": pref.code, "name": pref.name, "max_int": pref.max_int})
        for region in pref.regions:
            if region.cities:
                for city in region.cities:
                    if intensity_rank(city.max_int) < threshold:
                        continue
                    jis = jis_code_for(city.code, data_dir)
                    if jis is None:
                        unmapped.append(city.code)
                        continue
                    codes.add(jis)
                    places.append({"level": "municipality", "code": jis, "name": city.name, "max_int": city.max_int})
            elif intensity_rank(region.max_int) >= threshold:
                members = region_municipalities(region.code, data_dir)
                if not members:
                    unmapped.append(region.code)
                codes.update(members)
                places.append({"level": "region", "code": region.code, "name": region.name,
                               "max_int": region.max_int, "municipalities": len(members)})
    hypo = bulletin.hypocentre
    strongest = max(places, key=lambda p: intensity_rank(p["max_int"]), default=None)
    max_ja = _intensity_ja(bulletin.max_intensity)
    if hypo is not None and hypo.name:
        name = f"{hypo.name}を震源とする地震（最大震度{max_ja}）"
    elif strongest is not None:
        name = f"{strongest['name']}で最大震度{max_ja}を観測した地震"
    else:
        name = f"最大震度{max_ja}の地震"
    if codes:
        area: dict[str, Any] = {"municipalities": sorted(codes)}
    elif hypo is not None and hypo.lat is not None and hypo.lon is not None:
        area = {"epicentre": {"lat": hypo.lat, "lon": hypo.lon}, "radius_km": rule.epicentre_radius_km}
    else:
        return _no(bulletin, "intensity meets the threshold but no place of the bulletin could be mapped",
                   "震度はしきい値に達していますが、電文の地域を市町村に対応づけられませんでした")
    count = len(codes)
    return Assessment(
        family=EARTHQUAKE, event_key=event_key(bulletin), proposes=True, kind="earthquake", name=name, area=area,
        headline=bulletin.headline, places=tuple(places), unmapped=tuple(sorted(set(unmapped))),
        reason_en=f"maximum intensity {bulletin.max_intensity} (threshold {rule.min_intensity}); "
                  + (f"{count} municipalities at or above it" if count else
                     f"no municipality placeable: {rule.epicentre_radius_km:g} km around the epicentre"),
        reason_ja=f"最大震度{max_ja}（しきい値：震度{_intensity_ja(rule.min_intensity)}以上）、"
                  + (f"しきい値以上の市町村 {count}" if count else
                     f"市町村に対応づけられないため震央から半径 {rule.epicentre_radius_km:g} km"),
    )


def _tsunami(bulletin: Bulletin, rules: BulletinRules) -> Assessment:
    kinds = set(rules.tsunami.kinds)
    hits = [a for a in bulletin.tsunami_areas if kinds.intersection(a.kinds)]
    if not hits:
        return _no(bulletin, f"no coast under {', '.join(rules.tsunami.kinds)}",
                   f"{'・'.join(rules.tsunami.kinds)}の沿岸がありません")
    prefectures = sorted({p for a in hits for p in tsunami_area_prefectures(a.code)})
    unmapped = sorted(a.code for a in hits if not tsunami_area_prefectures(a.code))
    strongest = "大津波警報" if any("大津波警報" in k for a in hits for k in a.kinds) else "津波警報"
    origin = bulletin.hypocentre.name if bulletin.hypocentre and bulletin.hypocentre.name else ""
    name = f"{origin}を震源とする地震による津波（{strongest}）" if origin else f"津波（{strongest}）"
    if not prefectures:
        return _no(bulletin, "warning coasts could not be mapped to prefectures",
                   "警報の沿岸を都道府県に対応づけられませんでした")
    places = tuple({"level": "tsunami_area", "code": a.code, "name": a.name, "kinds": list(a.kinds)} for a in hits)
    return Assessment(family=TSUNAMI, event_key=event_key(bulletin), proposes=True, kind="tsunami", name=name,
                      area={"prefectures": prefectures}, headline=bulletin.headline, places=places,
                      unmapped=tuple(unmapped),
                      reason_en=f"{len(hits)} coasts under {strongest}: prefectures {', '.join(prefectures)}",
                      reason_ja=f"{strongest}などの沿岸 {len(hits)}（都道府県 {len(prefectures)}）")


def _weather(bulletin: Bulletin, rules: BulletinRules, data_dir: Any) -> Assessment:
    kinds = set(rules.weather.kinds)
    table = load_municipality_table(resolve_data_dir(data_dir))
    codes: set[str] = set()
    unmapped: list[str] = []
    found: set[str] = set()
    places = []
    for area in bulletin.weather_areas:
        hit = sorted(kinds.intersection(area.kinds))
        if not hit:
            continue
        found.update(hit)
        jis = area.code[:5]
        if jis in table.by_code:
            codes.add(jis)
            places.append({"level": "municipality", "code": jis, "name": area.name, "kinds": hit})
        else:
            unmapped.append(area.code)
    if not codes:
        return _no(bulletin, f"no municipality under {', '.join(rules.weather.kinds)}",
                   "特別警報が発表されている市町村がありません")
    pref_code = bulletin.weather_prefecture or next(iter(codes))[:2]
    pref_name = prefecture(pref_code).name_ja
    kind = next((WEATHER_KIND[k[:2]] for k in sorted(found) if k[:2] in WEATHER_KIND), "other")
    return Assessment(family=WEATHER, event_key=event_key(bulletin), proposes=True, kind=kind,
                      name=f"{pref_name}の{'・'.join(sorted(found))}", area={"municipalities": sorted(codes)},
                      headline=bulletin.headline, places=tuple(places), unmapped=tuple(sorted(unmapped)),
                      reason_en=f"special warnings ({', '.join(sorted(found))}) in {len(codes)} municipalities",
                      reason_ja=f"特別警報（{'・'.join(sorted(found))}）が {len(codes)} 市町村に発表")
