"""Exports: needs CSV (BOM, CRLF, bilingual headers, opens with the csv module), GeoJSON, who may export."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.dispatches.models import Dispatch
from coordinator.exports.service import to_csv
from tests.coordinator.disasters_support import ISHIKAWA, TOYAMA, World, assert_error


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def _rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 byte-order mark for Excel"
    text = content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert text.endswith("\r\n") and text.count("\r\n") == len(rows), "every record ends with CRLF"
    return rows


def test_needs_csv_has_a_bom_crlf_and_bilingual_headers(world: World) -> None:
    world.need(notes="=HYPERLINK(\"http://x\")\n二行目")
    world.need(kind="translation", place=None, language="pt-br")
    response = world.client.get(f"/api/v1/disasters/{world.id}/export/needs.csv", headers=world.secretariat)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = _rows(response.content)
    header = rows[0]
    assert header[0] == "ID / id" and "人数 / headcount" in header and "要請団体ID / requester_id" in header
    assert len(rows) == 3 and all(len(r) == len(header) for r in rows)
    record = dict(zip(header, rows[1], strict=True))
    assert record["要請団体ID / requester_id"] == ISHIKAWA and record["要請団体名 / requester_name_ja"]
    assert record["場所 / place_name_ja"] == "輪島市"
    # A formula is neutralised for spreadsheets; the embedded newline survives quoting.
    assert record["備考 / notes"].startswith("'=HYPERLINK") and "\n二行目" in record["備考 / notes"]
    assert dict(zip(header, rows[2], strict=True))["言語コード / language"] == "pt-BR"


def test_requester_staff_export_their_own_rows_only_and_others_may_not(world: World, make_user, auth) -> None:
    world.need()
    world.need(headers=world.secretariat)  # on behalf, still Ishikawa's row
    url = f"/api/v1/disasters/{world.id}/export/needs.csv"
    assert len(_rows(world.client.get(url, headers=world.requester).content)) == 3
    for headers in (world.coordinator, world.observer):
        assert len(_rows(world.client.get(url, headers=headers).content)) == 3
    for headers in (world.toyama, world.outsider):
        assert_error(world.client.get(url, headers=headers), 403)
    assert_error(world.client.get(url), 401)
    # A second affected association (Toyama city is not one; declare Ishikawa + Toyama prefectures).
    both = world.client.post("/api/v1/disasters", headers=world.secretariat,
                             json={"name": "北陸豪雨", "kind": "flood", "area": {"prefectures": ["16", "17"]}}).json()
    world.client.post(f"/api/v1/disasters/{both['id']}/needs", headers=world.requester,
                      json={"requester_id": ISHIKAWA, "kind": "hotline", "language": "en", "headcount": 1,
                            "start": both["declared_at"][:10]})
    toyama_rows = _rows(world.client.get(f"/api/v1/disasters/{both['id']}/export/needs.csv",
                                         headers=world.toyama).content)
    assert len(toyama_rows) == 1  # header only: Toyama is affected there, but the need is Ishikawa's


def test_needs_geojson_points_at_the_place_or_the_requester(world: World) -> None:
    placed = world.need(place="17204")
    unplaced = world.need(place=None, kind="translation")
    response = world.client.get(f"/api/v1/disasters/{world.id}/export/needs.geojson", headers=world.observer)
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    collection = response.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    wajima = features[placed["id"]]
    lon, lat = wajima["geometry"]["coordinates"]
    assert 136.8 < lon < 137.0 and 37.3 < lat < 37.5  # Wajima city office
    assert wajima["properties"]["location_basis"] == "place"
    assert features[unplaced["id"]]["properties"]["location_basis"] == "requester"
    assert features[unplaced["id"]]["geometry"]["type"] == "Point"


def test_dispatches_csv_uses_the_same_format_and_the_same_row_rules(world: World, engine: Engine) -> None:
    url = f"/api/v1/disasters/{world.id}/export/dispatches.csv"
    need = world.need()
    with Session(engine) as session:
        session.add(Dispatch(disaster_id=world.id, need_id=need["id"], requester_id=ISHIKAWA, supplier_id=TOYAMA,
                             mode="live", headcount=2, stage=1))
        session.commit()
    rows = _rows(world.client.get(url, headers=world.secretariat).content)
    assert rows[0][0] == "ID / id" and "状態コード / state" in rows[0] and "応援団体ID / supplier_id" in rows[0]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["ニーズID / need_id"] == str(need["id"]) and record["状態コード / state"] == "proposed"
    assert len(_rows(world.client.get(url, headers=world.requester).content)) == 2
    assert_error(world.client.get(url, headers=world.toyama), 403)


def test_to_csv_round_trips_through_the_csv_module() -> None:
    content = to_csv([("a", "列A"), ("b", "列B")], [{"a": "x,y", "b": None}, {"a": "-1", "b": True}])
    assert _rows(content) == [["列A / a", "列B / b"], ["x,y", ""], ["'-1", "はい"]]


def test_exports_read_as_people_read(world: World, engine: Engine) -> None:
    """Names beside ids, Japanese labels for codes, JST times, はい/いいえ, reasons as sentences (issue 14 item 9)."""
    need = world.need(kind="centre_staff", language="vi", remote=False)
    with Session(engine) as session:
        session.add(Dispatch(disaster_id=world.id, need_id=need["id"], requester_id=ISHIKAWA, supplier_id=TOYAMA,
                             mode="live", headcount=2, stage=1, distance_km=82.0, cost_policy="requester_pays",
                             reasons=[{"ja": "同じブロック内", "en": "same block"}, {"ja": "82 km", "en": "82 km"}],
                             proposed_at=datetime(2026, 1, 6, 3, 12, 9, tzinfo=UTC)))
        session.commit()
    needs = _rows(world.client.get(f"/api/v1/disasters/{world.id}/export/needs.csv", headers=world.secretariat).content)
    record = dict(zip(needs[0], needs[1], strict=True))
    assert record["支援の種類 / kind_ja"] == "災害多言語支援センター要員"
    assert record["言語 / language_ja"] == "ベトナム語"
    assert record["状態 / status_ja"] == "未充足" and record["区分 / mode_ja"] == "実災害"
    assert record["遠隔 / remote"] == "いいえ" and record["場所 / place_name_ja"] == "輪島市"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", record["登録日時（JST） / created_at"])
    rows = _rows(world.client.get(f"/api/v1/disasters/{world.id}/export/dispatches.csv",
                                  headers=world.secretariat).content)
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["応援団体名 / supplier_name_ja"] == "とやま国際センター"
    assert record["要請団体名 / requester_name_ja"] == "石川県国際交流協会"
    assert record["状態 / state_ja"] == "提案" and record["段階（説明） / stage_ja"] == "第1段階（ブロック内）"
    assert record["費用負担 / cost_policy_ja"] == "要請団体が負担"
    assert record["提案の理由 / reasons"] == "同じブロック内\n82 km"
    assert record["提案日時（JST） / proposed_at"] == "2026-01-06 12:12:09"  # 03:12 UTC is 12:12 in Japan
    for row in needs + rows:
        for cell in row:
            assert not cell.startswith(("{'", "['", "(")) and cell not in ("True", "False", "None"), cell
