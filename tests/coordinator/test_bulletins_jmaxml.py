"""The pure JMA XML reader and the rules on real bulletins (tests/data/jma/README.md); no database."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agreements.loader import load_agreement
from coordinator.bulletins.jmaxml import BulletinFormatError, intensity_rank, parse_bulletin
from coordinator.bulletins.rules import assess, event_key

DATA = Path(__file__).resolve().parent.parent / "data" / "jma"
RULES = load_agreement().bulletins


def parse(name: str):  # type: ignore[no-untyped-def]
    """Parse one test bulletin."""
    return parse_bulletin((DATA / name).read_bytes())


def test_vxse53_header_hypocentre_and_municipal_intensities() -> None:
    bulletin = parse("32-35_06_05_240613_VXSE53.xml")
    assert (bulletin.type_code, bulletin.status, bulletin.info_type) == ("VXSE53", "通常", "発表")
    assert (bulletin.event_id, bulletin.serial) == ("20080614084350", 3)
    assert bulletin.report_datetime.tzinfo is not None
    assert bulletin.max_intensity == "6+"
    hypo = bulletin.hypocentre
    assert hypo is not None and hypo.name == "岩手県内陸南部"
    assert (hypo.lat, hypo.lon, hypo.depth_km, hypo.magnitude) == (39.0, 140.9, 10.0, 7.0)
    iwate = next(p for p in bulletin.prefectures if p.code == "03")
    cities = {c.code: c.max_int for r in iwate.regions for c in r.cities}
    assert cities["0321500"] == "6+"  # 奥州市


def test_vxse51_has_regions_without_municipalities() -> None:
    bulletin = parse("32-39_11_01_120615_VXSE51.xml")
    assert bulletin.type_code == "VXSE51" and bulletin.serial is None and bulletin.hypocentre is None
    regions = [r for p in bulletin.prefectures for r in p.regions]
    assert regions and all(not r.cities for r in regions)
    assert {r.code: r.max_int for r in regions}["220"] == "6+"  # 宮城県北部


def test_a_cancellation_is_read_without_a_body() -> None:
    bulletin = parse("32-35_06_06_100915_VXSE53.xml")
    assert bulletin.info_type == "取消" and bulletin.prefectures == ()
    assessment = assess(bulletin, RULES)
    assert not assessment.proposes and assessment.event_key == "earthquake:20080614084350"


def test_the_cancellation_and_the_bulletins_it_cancels_share_one_event_key() -> None:
    keys = {event_key(parse(name)) for name in ("32-35_06_03_240613_VXSE53.xml", "32-35_06_06_100915_VXSE53.xml")}
    assert keys == {"earthquake:20080614084350"}
    assert event_key(parse("32-39_11_02_250206_VTSE41.xml")) == "tsunami:20110311144640"


def test_tsunami_kinds_per_coast() -> None:
    bulletin = parse("32-39_11_02_250206_VTSE41.xml")
    kinds = {a.name: a.kinds for a in bulletin.tsunami_areas}
    assert kinds["宮城県"] == ("大津波警報：発表",)
    advisory = parse("20231009064018_06274659_VTSE41.xml")  # a real 津波注意報 (2023-10-09, 鳥島近海)
    assert {k for a in advisory.tsunami_areas for k in a.kinds} == {"津波注意報"}
    assert not assess(advisory, RULES).proposes


def test_intensity_scale_order() -> None:
    assert intensity_rank("5-") < intensity_rank("5+") < intensity_rank("6-") < intensity_rank("7")
    assert intensity_rank(None) == 0 and intensity_rank("9") == 0


def test_the_threshold_comes_from_the_agreement() -> None:
    bulletin = parse("32-35_01_03_240613_VXSE53.xml")  # 最大震度5弱
    assert not assess(bulletin, RULES).proposes
    lower = RULES.model_copy(update={"earthquake": RULES.earthquake.model_copy(update={"min_intensity": "5-"})})
    assessment = assess(bulletin, lower)
    assert assessment.proposes and assessment.name == "駿河湾を震源とする地震（最大震度5弱）"
    assert not assess(bulletin, None).proposes


def test_a_prefecture_without_regions_proposes_the_whole_prefecture() -> None:
    # The real 震度速報 with its region lines removed: a bulletin that reports prefectures only.
    data = (DATA / "32-39_11_01_120615_VXSE51.xml").read_text(encoding="utf-8")
    body = data[data.index("<Body"):]
    stripped = data[:data.index("<Body")] + re.sub(r"<Area>.*?</Area>", "", body, flags=re.DOTALL)
    bulletin = parse_bulletin(stripped.encode())
    assert all(not p.regions for p in bulletin.prefectures)
    assessment = assess(bulletin, RULES)
    assert assessment.proposes
    assert {p["level"] for p in assessment.places} == {"prefecture"}
    assert "04202" in assessment.municipality_codes and "03201" in assessment.municipality_codes


@pytest.mark.parametrize(("data", "field"), [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>', "body"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ELEMENT r ANY>]><r/>', "body"),
    (b"<Report xmlns='http://xml.kishou.go.jp/jmaxml1/'><Control><Title>x</Title></Control></Report>", "Head"),
    (b"not xml at all", "body"),
    (b"<Report/>", "Report"),
])
def test_refused_input_names_its_part(data: bytes, field: str) -> None:
    with pytest.raises(BulletinFormatError) as caught:
        parse_bulletin(data)
    assert caught.value.field == field
    assert caught.value.message_ja and caught.value.message_en


def test_bad_header_values_are_refused() -> None:
    good = (DATA / "32-35_06_03_240613_VXSE53.xml").read_bytes()
    cases = (("<InfoType>発表</InfoType>".encode(), b"<InfoType>x</InfoType>", "Head/InfoType"),
             (b"<Serial>1</Serial>", b"<Serial>one</Serial>", "Head/Serial"))
    for old, new, field in cases:
        assert old in good
        with pytest.raises(BulletinFormatError) as caught:
            parse_bulletin(good.replace(old, new, 1))
        assert caught.value.field == field


def test_report_time_keeps_its_offset() -> None:
    bulletin = parse("32-39_11_05_240613_VXSE53.xml")
    assert bulletin.report_datetime.astimezone(UTC) == datetime(2011, 3, 11, 5, 54, tzinfo=UTC)


def test_vpww54_reads_like_vpww53() -> None:
    bulletin = parse("15_14_01_170216_VPWW54.xml")
    assert (bulletin.type_code, bulletin.weather_prefecture) == ("VPWW54", "13")
    assessment = assess(bulletin, RULES)
    assert assessment.proposes and assessment.name == "東京都の大雨特別警報" and assessment.kind == "flood"
    assert assessment.event_key == "weather:13"
