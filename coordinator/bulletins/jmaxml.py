"""Read one bulletin of JMA's disaster-information XML (気象庁防災情報XML) into plain data.

Pure: no database, no HTTP. The feed is untrusted input: lxml parses with entities left unresolved, no
network and no DTD loading, and any document that declares a DTD is refused (JMA's never do), so an XML
bomb or an external-entity trick is an error, never expanded or fetched.
Reads 震度速報 (VXSE51), 震源・震度に関する情報 (VXSE53), 津波警報・注意報・予報 (VTSE41) and
気象特別警報・警報・注意報 (VPWW53, VPWW54); other titles are recognised as JMA bulletins and kept, with
nothing read from their body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from lxml.etree import _Element as Element

JMX = "http://xml.kishou.go.jp/jmaxml1/"
JMX_IB = "http://xml.kishou.go.jp/jmaxml1/informationBasis1/"
JMX_SEIS = "http://xml.kishou.go.jp/jmaxml1/body/seismology1/"
JMX_METE = "http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"
JMX_EB = "http://xml.kishou.go.jp/jmaxml1/elementBasis1/"

# Control/Title -> the data type code JMA publishes it under (the code is not in the XML itself).
TYPE_BY_TITLE = {
    "震度速報": "VXSE51",
    "震源に関する情報": "VXSE52",
    "震源・震度に関する情報": "VXSE53",
    "津波警報・注意報・予報a": "VTSE41",
    "気象特別警報・警報・注意報": "VPWW53",
    "気象警報・注意報（Ｈ２７）": "VPWW54",
}
SEISMOLOGY = frozenset({"VXSE51", "VXSE52", "VXSE53", "VTSE41"})
METEOROLOGY = frozenset({"VPWW53", "VPWW54"})

# JMA's intensity classes, weakest first; "5-" is 震度5弱, "5+" 震度5強.
INTENSITIES = ("1", "2", "3", "4", "5-", "5+", "6-", "6+", "7")
# A station JMA estimates at 5弱 or more whose reading has not arrived (it appears where shaking was worst).
UNRECEIVED = "震度５弱以上未入電"
INTENSITY_JA = {"1": "1", "2": "2", "3": "3", "4": "4", "5-": "5弱", "5+": "5強", "6-": "6弱", "6+": "6強", "7": "7"}
INFO_TYPES = ("発表", "訂正", "取消")
STATUSES = ("通常", "訓練", "試験")
_COORDINATE = re.compile(r"^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)(?:([+-]\d+))?/$")


class BulletinFormatError(ValueError):
    """The bytes are not a JMA bulletin this reader accepts; names the part and why, in ja and en."""

    def __init__(self, field_name: str, message_en: str, message_ja: str) -> None:
        super().__init__(f"{field_name}: {message_en}")
        self.field = field_name
        self.message_en = message_en
        self.message_ja = message_ja


@dataclass(frozen=True)
class IntensityPlace:
    """A municipality (市町村等) or a region (細分区域) with its JMA code and maximum intensity."""

    code: str
    name: str
    max_int: str | None
    unreceived: bool = False


@dataclass(frozen=True)
class IntensityRegion:
    """A seismic region (地震情報／細分区域) and, in VXSE53, its municipalities."""

    code: str
    name: str
    max_int: str | None
    cities: tuple[IntensityPlace, ...] = ()


@dataclass(frozen=True)
class IntensityPrefecture:
    """A prefecture (JIS code) with its maximum intensity and regions."""

    code: str
    name: str
    max_int: str | None
    regions: tuple[IntensityRegion, ...] = ()


@dataclass(frozen=True)
class Hypocentre:
    """Where the earthquake started: the area name, the point (WGS 84 as JMA gives it), depth, magnitude."""

    name: str
    lat: float | None
    lon: float | None
    depth_km: float | None
    magnitude: float | None


@dataclass(frozen=True)
class WarningArea:
    """A tsunami forecast area or a weather warning area with the warning kinds in force there."""

    code: str
    name: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class Bulletin:
    """One parsed bulletin: the header every JMA bulletin has, and what this reader takes from the body."""

    type_code: str | None
    title: str
    status: str
    publishing_office: str
    head_title: str
    report_datetime: datetime
    event_id: str
    info_type: str
    serial: int | None
    headline: str
    max_intensity: str | None = None
    prefectures: tuple[IntensityPrefecture, ...] = ()
    hypocentre: Hypocentre | None = None
    tsunami_areas: tuple[WarningArea, ...] = ()
    weather_areas: tuple[WarningArea, ...] = ()
    weather_prefecture: str | None = None
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> dict[str, Any]:
        """A JSON-ready digest (stored with the bulletin; the raw XML is kept beside it)."""
        hypo = self.hypocentre
        return {
            "type_code": self.type_code, "title": self.title, "status": self.status,
            "publishing_office": self.publishing_office, "head_title": self.head_title,
            "report_datetime": self.report_datetime.isoformat(), "event_id": self.event_id,
            "info_type": self.info_type, "serial": self.serial, "headline": self.headline,
            "max_intensity": self.max_intensity,
            "hypocentre": None if hypo is None else {"name": hypo.name, "lat": hypo.lat, "lon": hypo.lon,
                                                     "depth_km": hypo.depth_km, "magnitude": hypo.magnitude},
            "prefectures": [{"code": p.code, "name": p.name, "max_int": p.max_int,
                             "regions": [{"code": r.code, "name": r.name, "max_int": r.max_int,
                                          "cities": [{"code": c.code, "name": c.name, "max_int": c.max_int}
                                                     for c in r.cities]}
                                         for r in p.regions]}
                            for p in self.prefectures],
            "tsunami_areas": [{"code": a.code, "name": a.name, "kinds": list(a.kinds)} for a in self.tsunami_areas],
            "weather_areas": [{"code": a.code, "name": a.name, "kinds": list(a.kinds)} for a in self.weather_areas],
            "notes": list(self.notes),
        }


def intensity_rank(value: str | None) -> int:
    """Position of an intensity class on JMA's scale (0 for none or unknown)."""
    return INTENSITIES.index(value) + 1 if value in INTENSITIES else 0


def _text(parent: Element, path: str) -> str:
    node = parent.find(path)
    return (node.text or "").strip() if node is not None else ""


def safe_parser() -> etree.XMLParser:
    """A parser for untrusted XML: no entity substitution, no network, no DTD loading (one per call: lxml's
    parsers are not shared between threads)."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def safe_root(data: bytes) -> Element:
    """The root element of untrusted XML; ValueError names why it is refused (malformed, or a DTD)."""
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not well-formed XML ({exc})") from None
    info = root.getroottree().docinfo
    if info.doctype or info.internalDTD is not None:
        raise ValueError("the XML declares a DTD")
    return root


def _root(data: bytes) -> Element:
    if not data.strip():
        raise BulletinFormatError("body", "the bulletin is empty", "電文が空です")
    try:
        return safe_root(data)
    except ValueError as exc:
        if "DTD" in str(exc):
            raise BulletinFormatError("body", "refused: the XML declares a DTD (entities); JMA bulletins never do",
                                      "受け付けません：XML が DTD（実体の宣言）を含んでいます。"
                                      "気象庁の電文は DTD を使いません") from None
        raise BulletinFormatError("body", str(exc), f"XML の形式が正しくありません（{exc}）") from None


def _intensity(value: str) -> tuple[str | None, bool]:
    value = value.strip()
    if value in INTENSITIES:
        return value, False
    if value == UNRECEIVED:
        return "5-", True
    return None, False


_CODE, _NAME, _MAXINT = f"{{{JMX_SEIS}}}Code", f"{{{JMX_SEIS}}}Name", f"{{{JMX_SEIS}}}MaxInt"


def _place(node: Element) -> IntensityPlace:
    # One pass over the children: a 震度7 bulletin has over a thousand places.
    fields = {child.tag: child.text for child in node if child.tag in (_CODE, _NAME, _MAXINT)}
    max_int, unreceived = _intensity(fields.get(_MAXINT) or "")
    return IntensityPlace(code=(fields.get(_CODE) or "").strip(), name=(fields.get(_NAME) or "").strip(),
                          max_int=max_int, unreceived=unreceived)


def _coordinate(text: str) -> tuple[float | None, float | None, float | None]:
    match = _COORDINATE.match(text.strip())
    if not match:
        return None, None, None
    lat, lon, height = match.groups()
    depth = -int(height) / 1000 if height is not None else None
    return float(lat), float(lon), depth


def _hypocentre(body: Element) -> Hypocentre | None:
    quake = body.find(f"{{{JMX_SEIS}}}Earthquake")
    if quake is None:
        return None
    area = quake.find(f"{{{JMX_SEIS}}}Hypocenter/{{{JMX_SEIS}}}Area")
    name = _text(area, f"{{{JMX_SEIS}}}Name") if area is not None else ""
    coordinate = area.find(f"{{{JMX_EB}}}Coordinate") if area is not None else None
    lat, lon, depth = _coordinate(coordinate.text or "") if coordinate is not None else (None, None, None)
    magnitude_text = _text(quake, f"{{{JMX_EB}}}Magnitude")
    try:
        magnitude = float(magnitude_text)
        magnitude = None if magnitude != magnitude else magnitude  # JMA writes NaN when it is not known
    except ValueError:
        magnitude = None
    return Hypocentre(name=name, lat=lat, lon=lon, depth_km=depth, magnitude=magnitude)


def _intensities(body: Element) -> tuple[str | None, tuple[IntensityPrefecture, ...]]:
    observation = body.find(f"{{{JMX_SEIS}}}Intensity/{{{JMX_SEIS}}}Observation")
    if observation is None:
        return None, ()
    max_int, _ = _intensity(_text(observation, f"{{{JMX_SEIS}}}MaxInt"))
    prefectures = []
    for pref in observation.findall(f"{{{JMX_SEIS}}}Pref"):
        top = _place(pref)
        regions = []
        for area in pref.findall(f"{{{JMX_SEIS}}}Area"):
            region = _place(area)
            cities = tuple(_place(city) for city in area.findall(f"{{{JMX_SEIS}}}City"))
            regions.append(IntensityRegion(region.code, region.name, region.max_int, cities))
        prefectures.append(IntensityPrefecture(top.code, top.name, top.max_int, tuple(regions)))
    return max_int, tuple(prefectures)


def _tsunami(body: Element) -> tuple[WarningArea, ...]:
    areas = []
    for item in body.findall(f"{{{JMX_SEIS}}}Tsunami/{{{JMX_SEIS}}}Forecast/{{{JMX_SEIS}}}Item"):
        kind = _text(item, f"{{{JMX_SEIS}}}Category/{{{JMX_SEIS}}}Kind/{{{JMX_SEIS}}}Name")
        areas.append(WarningArea(code=_text(item, f"{{{JMX_SEIS}}}Area/{{{JMX_SEIS}}}Code"),
                                 name=_text(item, f"{{{JMX_SEIS}}}Area/{{{JMX_SEIS}}}Name"),
                                 kinds=(kind,) if kind else ()))
    return tuple(areas)


def _weather(body: Element) -> tuple[WarningArea, ...]:
    """Warnings in force per municipality (the 市町村等 part of VPWW53/54); lifted kinds are left out."""
    areas = []
    for warning in body.findall(f"{{{JMX_METE}}}Warning"):
        if warning.get("type") != "気象警報・注意報（市町村等）":
            continue
        for item in warning.findall(f"{{{JMX_METE}}}Item"):
            kinds = tuple(_text(kind, f"{{{JMX_METE}}}Name") for kind in item.findall(f"{{{JMX_METE}}}Kind")
                          if _text(kind, f"{{{JMX_METE}}}Status") not in ("解除", "発表警報・注意報はなし"))
            area = item.find(f"{{{JMX_METE}}}Area")
            if area is not None:
                areas.append(WarningArea(code=_text(area, f"{{{JMX_METE}}}Code"),
                                         name=_text(area, f"{{{JMX_METE}}}Name"), kinds=tuple(k for k in kinds if k)))
    return tuple(areas)


def _report_datetime(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise BulletinFormatError("Head/ReportDateTime", f"not a date and time with a UTC offset: {value!r}",
                                  f"時差付きの日時ではありません：{value!r}")
    return moment


def parse_bulletin(data: bytes) -> Bulletin:
    """Parse one bulletin; raises BulletinFormatError (naming the part) for anything that is not one."""
    root = _root(data)
    if root.tag != f"{{{JMX}}}Report":
        raise BulletinFormatError("Report", f"the root element is {root.tag!r}, not Report in {JMX}",
                                  f"ルート要素が {JMX} の Report ではありません（{root.tag!r}）")
    control = root.find(f"{{{JMX}}}Control")
    if control is None:
        raise BulletinFormatError("Control", f"no Control element in {JMX}", f"{JMX} の Control 要素がありません")
    head = root.find(f"{{{JMX_IB}}}Head")
    if head is None:
        raise BulletinFormatError("Head", f"no Head element in {JMX_IB}", f"{JMX_IB} の Head 要素がありません")
    title = _text(control, f"{{{JMX}}}Title")
    status = _text(control, f"{{{JMX}}}Status")
    if not title:
        raise BulletinFormatError("Control/Title", "missing", "標題（Control/Title）がありません")
    if status not in STATUSES:
        raise BulletinFormatError("Control/Status", f"must be one of {', '.join(STATUSES)}, got {status!r}",
                                  f"運用種別は {'・'.join(STATUSES)} のいずれかです（{status!r}）")
    info_type = _text(head, f"{{{JMX_IB}}}InfoType")
    if info_type not in INFO_TYPES:
        raise BulletinFormatError("Head/InfoType", f"must be one of {', '.join(INFO_TYPES)}, got {info_type!r}",
                                  f"情報形態は {'・'.join(INFO_TYPES)} のいずれかです（{info_type!r}）")
    serial_text = _text(head, f"{{{JMX_IB}}}Serial")
    if serial_text and not serial_text.isdigit():
        raise BulletinFormatError("Head/Serial", f"not a number: {serial_text!r}",
                                  f"数字ではありません：{serial_text!r}")
    type_code = TYPE_BY_TITLE.get(title)
    bulletin = Bulletin(
        type_code=type_code, title=title, status=status,
        publishing_office=_text(control, f"{{{JMX}}}PublishingOffice"),
        head_title=_text(head, f"{{{JMX_IB}}}Title"),
        report_datetime=_report_datetime(_text(head, f"{{{JMX_IB}}}ReportDateTime")),
        event_id=_text(head, f"{{{JMX_IB}}}EventID"), info_type=info_type,
        serial=int(serial_text) if serial_text else None,
        headline=_text(head, f"{{{JMX_IB}}}Headline/{{{JMX_IB}}}Text"),
    )
    if info_type == "取消" or type_code is None:
        return bulletin
    expected = JMX_SEIS if type_code in SEISMOLOGY else JMX_METE
    body = root.find(f"{{{expected}}}Body")
    if body is None:
        found = next((child.tag for child in root if isinstance(child.tag, str) and child.tag.endswith("Body")), None)
        raise BulletinFormatError("Body", f"no Body in {expected} for {title} (found {found!r})",
                                  f"{title} の Body（{expected}）がありません（{found!r}）")
    if type_code in SEISMOLOGY:
        max_int, prefectures = _intensities(body)
        return _replace(bulletin, max_intensity=max_int, prefectures=prefectures, hypocentre=_hypocentre(body),
                        tsunami_areas=_tsunami(body))
    return _replace(bulletin, weather_areas=_weather(body), weather_prefecture=_weather_prefecture(root, body))


def _weather_prefecture(root: Element, body: Element) -> str | None:
    for warning in body.findall(f"{{{JMX_METE}}}Warning"):
        if warning.get("type") == "気象警報・注意報（府県予報区等）":
            code = _text(warning, f"{{{JMX_METE}}}Item/{{{JMX_METE}}}Area/{{{JMX_METE}}}Code")
            return code[:2] or None
    return None


def _replace(bulletin: Bulletin, **changes: Any) -> Bulletin:
    from dataclasses import replace

    return replace(bulletin, **changes)
