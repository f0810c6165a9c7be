"""POST /api/v1/bulletins with real JMA bulletins (tests/data/jma/README.md): stored once, proposals opened,
updated by later serials, withdrawn by 取消, confirmed into a disaster or dismissed with a reason; bad input
is refused with the field named and nothing stored. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from coordinator.bulletins.models import Bulletin, Proposal
from coordinator.disasters.models import Disaster
from coordinator.events.models import Event

DATA = Path(__file__).resolve().parent.parent / "data" / "jma"
TOHOKU_53 = "32-39_11_05_240613_VXSE53.xml"  # 2011-03-11, 震度7, municipalities
TOHOKU_51 = "32-39_11_01_120615_VXSE51.xml"  # the same earthquake's 震度速報: prefectures and regions only
TOHOKU_TSUNAMI = "32-39_11_02_250206_VTSE41.xml"  # 大津波警報
IWATE = ["32-35_06_03_240613_VXSE53.xml", "32-35_06_04_240613_VXSE53.xml", "32-35_06_05_240613_VXSE53.xml"]
IWATE_CANCEL = "32-35_06_06_100915_VXSE53.xml"  # 取消 of serial 3
SHINDO_5_LOWER = "32-35_01_03_240613_VXSE53.xml"  # 最大震度5弱 (below 5強)
NARA_RAIN = "15_08_01_130412_VPWW53.xml"  # 大雨特別警報 in Nara, which has no association
SHIMANE_RAIN = "15_12_01_161130_VPWW53.xml"  # 大雨特別警報 in Shimane
XML = {"Content-Type": "application/xml"}


def read(name: str) -> bytes:
    """A test bulletin's bytes."""
    return (DATA / name).read_bytes()


@pytest.fixture
def secretariat(make_user: Callable[..., tuple[object, str]], auth: Callable[[str], dict[str, str]]) -> dict[str, str]:
    """Headers of a secretariat user."""
    return {**auth(make_user("secretariat")[1]), **XML}


def as_json(headers: dict[str, str]) -> dict[str, str]:
    """The same credentials for a JSON request."""
    return {k: v for k, v in headers.items() if k != "Content-Type"}


def post(client: TestClient, headers: dict[str, str], name: str) -> dict:
    """Hand in one test bulletin; the JSON answer."""
    response = client.post("/api/v1/bulletins", content=read(name), headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def counts(engine: Engine) -> tuple[int, int, int]:
    """Stored bulletins, proposals and events."""
    with Session(engine) as session:
        return tuple(session.exec(select(func.count()).select_from(t)).one() for t in (Bulletin, Proposal, Event))


def test_a_shindo_7_bulletin_proposes_a_declaration_with_its_area_preview(client: TestClient, engine: Engine,
                                                                          secretariat: dict[str, str]) -> None:
    result = post(client, secretariat, TOHOKU_53)
    assert result["duplicate"] is False
    assert result["bulletin"]["outcome"] == "proposed"
    proposal = result["proposal"]
    assert proposal["status"] == "open" and proposal["action"] == "declare" and proposal["mode"] == "live"
    assert proposal["name"] == "三陸沖を震源とする地震（最大震度7）"
    assert proposal["kind"] == "earthquake"
    codes = set(proposal["area_input"]["municipalities"])
    assert {"04202", "04205"} <= codes  # 石巻市, 気仙沼市 (震度6強/6弱)
    assert "04100" not in codes and "04101" in codes  # 仙台市 青葉区 is listed by JMA as a ward
    preview = proposal["preview"]
    affected = {a["id"] for a in preview["associations"]}
    assert {"pref_miyagi", "pref_iwate", "pref_fukushima", "city_sendai"} <= affected
    assert preview["acting_secretariat"]["id"] and preview["acting_coordinators"]
    assert proposal["assessment"]["unmapped"]  # pre-merger codes the sample still uses are shown, not dropped
    with Session(engine) as session:
        types = [e.type for e in session.exec(select(Event).order_by(Event.seq))]
    assert types[-2:] == ["bulletin.proposed", "bulletin.received"]


def test_the_same_bulletin_twice_is_stored_once(client: TestClient, engine: Engine,
                                                secretariat: dict[str, str]) -> None:
    first = post(client, secretariat, TOHOKU_53)
    before = counts(engine)
    again = client.post("/api/v1/bulletins", content=read(TOHOKU_53), headers=secretariat)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["bulletin"]["id"] == first["bulletin"]["id"]
    assert counts(engine) == before


def test_later_serials_update_one_proposal_and_a_cancellation_withdraws_it(client: TestClient, engine: Engine,
                                                                          secretariat: dict[str, str]) -> None:
    results = [post(client, secretariat, name) for name in IWATE]
    assert [r["bulletin"]["outcome"] for r in results] == ["proposed", "updated", "updated"]
    ids = {r["proposal"]["id"] for r in results}
    assert len(ids) == 1
    assert results[-1]["proposal"]["bulletin_count"] == 3
    assert results[-1]["proposal"]["serial"] == 3
    assert results[-1]["proposal"]["bulletin_id"] == results[-1]["bulletin"]["id"]
    cancel = post(client, secretariat, IWATE_CANCEL)
    assert cancel["bulletin"]["outcome"] == "withdrawn"
    assert cancel["proposal"]["status"] == "withdrawn"
    assert cancel["proposal"]["withdraw_reason_ja"].startswith("気象庁が電文を取り消しました")
    listed = client.get("/api/v1/bulletins/proposals", headers=secretariat).json()
    assert listed == []
    everything = client.get("/api/v1/bulletins/proposals?status=all", headers=secretariat).json()
    assert [p["id"] for p in everything] == list(ids)


def test_an_older_serial_arriving_late_leaves_the_proposal_as_it_is(client: TestClient,
                                                                   secretariat: dict[str, str]) -> None:
    post(client, secretariat, IWATE[0])
    newest = post(client, secretariat, IWATE[2])
    late = post(client, secretariat, IWATE[1])
    assert late["bulletin"]["outcome"] == "older"
    assert late["proposal"]["bulletin_id"] == newest["bulletin"]["id"]
    assert late["proposal"]["serial"] == 3


def test_a_shindo_5_lower_bulletin_is_stored_and_proposes_nothing(client: TestClient, engine: Engine,
                                                                 secretariat: dict[str, str]) -> None:
    result = post(client, secretariat, SHINDO_5_LOWER)
    assert result["proposal"] is None
    assert result["bulletin"]["outcome"] == "below_threshold"
    assert "5弱" in result["bulletin"]["reason_ja"] and "5強" in result["bulletin"]["reason_ja"]
    assert counts(engine)[:2] == (1, 0)


def test_a_region_level_bulletin_proposes_and_the_detailed_one_updates_it(client: TestClient,
                                                                         secretariat: dict[str, str]) -> None:
    quick = post(client, secretariat, TOHOKU_51)
    assert quick["bulletin"]["outcome"] == "proposed"
    assert quick["proposal"]["name"] == "宮城県北部で最大震度6強を観測した地震"
    places = quick["proposal"]["assessment"]["places"]
    assert {p["level"] for p in places} == {"region"}
    assert "04205" in quick["proposal"]["area_input"]["municipalities"]  # 気仙沼市 is in 宮城県北部
    detailed = post(client, secretariat, TOHOKU_53)
    assert detailed["bulletin"]["outcome"] == "updated"
    assert detailed["proposal"]["id"] == quick["proposal"]["id"]
    assert detailed["proposal"]["name"] == "三陸沖を震源とする地震（最大震度7）"


def test_a_tsunami_warning_proposes_the_prefectures_on_its_coasts(client: TestClient,
                                                                 secretariat: dict[str, str]) -> None:
    result = post(client, secretariat, TOHOKU_TSUNAMI)
    proposal = result["proposal"]
    assert proposal["kind"] == "tsunami"
    assert proposal["name"] == "三陸沖を震源とする地震による津波（大津波警報）"
    assert {"02", "03", "04", "07", "08"} <= set(proposal["area_input"]["prefectures"])


def test_a_special_weather_warning_proposes_its_municipalities(client: TestClient,
                                                              secretariat: dict[str, str]) -> None:
    proposal = post(client, secretariat, SHIMANE_RAIN)["proposal"]
    assert proposal["name"] == "島根県の大雨特別警報" and proposal["kind"] == "flood"
    assert proposal["area_input"]["municipalities"] == ["32202", "32207", "32449"]  # 浜田市, 江津市, 川本町
    nara = post(client, secretariat, NARA_RAIN)
    assert nara["proposal"] is None and nara["bulletin"]["outcome"] == "not_applicable"
    assert "地域国際化協会がありません" in nara["bulletin"]["reason_ja"]


BAD = {
    "malformed": (read(TOHOKU_53)[:5000], "body"),  # cut off mid-way, as a broken download would be
    "bomb": (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">'
             b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><Report xmlns="http://xml.kishou.go.jp/jmaxml1/">'
             b"<Control><Title>&lol3;</Title></Control></Report>", "body"),
    "wrong_namespace": (read(TOHOKU_53).replace(b'<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"',
                                                 b'<Report xmlns="http://example.org/not-jma/"', 1), "body.Report"),
    "empty": (b"", "body"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_is_refused_with_its_field_and_stores_nothing(case: str, client: TestClient, engine: Engine,
                                                                secretariat: dict[str, str]) -> None:
    data, field = BAD[case]
    before = counts(engine)
    response = client.post("/api/v1/bulletins", content=data, headers=secretariat)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["field"] == field
    assert error["message"]["ja"] and error["message"]["en"]
    assert counts(engine) == before


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(client: TestClient, engine: Engine,
                                                                 secretariat: dict[str, str]) -> None:
    before = counts(engine)
    settings = client.app.state.settings  # type: ignore[attr-defined]
    limit = settings.bulletin_max_bytes
    assert limit > settings.max_body_bytes  # a bulletin may be larger than other request bodies
    response = client.post("/api/v1/bulletins", content=b"<" * (limit + 1), headers=secretariat)
    assert response.status_code == 413
    assert response.json()["error"]["field"] == "body"
    assert response.json()["error"]["details"]["limit_bytes"] == limit
    assert counts(engine)[:2] == before[:2]
    large = read(TOHOKU_53).replace(b"</Report>", b"<!--" + b" " * (settings.max_body_bytes + 1) + b"--></Report>")
    accepted = client.post("/api/v1/bulletins", content=large, headers=secretariat)
    assert accepted.status_code == 201 and accepted.json()["proposal"] is not None


def test_only_the_secretariat_hands_in_and_decides(client: TestClient, engine: Engine, make_user, auth,
                                                   secretariat: dict[str, str]) -> None:
    staff_token = make_user("staff", "pref_miyagi")[1]
    staff = {**auth(staff_token), **XML}
    observer = auth(make_user("observer")[1])
    before = counts(engine)
    assert client.post("/api/v1/bulletins", content=read(TOHOKU_53), headers=staff).status_code == 403
    assert counts(engine)[:2] == before[:2]  # the refusal's only trace is its auth.denied audit event
    result = post(client, secretariat, TOHOKU_53)
    bulletin_id = result["bulletin"]["id"]
    staff = auth(staff_token)
    assert client.get("/api/v1/bulletins/proposals", headers=staff).status_code == 403
    assert client.get("/api/v1/bulletins/proposals", headers=observer).status_code == 200
    assert client.post(f"/api/v1/bulletins/{bulletin_id}/confirm", json={}, headers=staff).status_code == 403
    assert client.post(f"/api/v1/bulletins/{bulletin_id}/confirm", json={}, headers=observer).status_code == 403
    assert client.post(f"/api/v1/bulletins/{bulletin_id}/dismiss", json={"reason": "x"},
                       headers=observer).status_code == 403
    assert client.get("/api/v1/bulletins/proposals", headers=observer).json()[0]["status"] == "open"


def test_confirm_declares_the_live_disaster_and_records_the_bulletin_on_its_timeline(
        client: TestClient, engine: Engine, secretariat: dict[str, str]) -> None:
    result = post(client, secretariat, TOHOKU_53)
    bulletin_id = result["bulletin"]["id"]
    response = client.post(f"/api/v1/bulletins/{bulletin_id}/confirm", headers=as_json(secretariat))
    assert response.status_code == 201, response.text
    disaster = response.json()
    assert disaster["mode"] == "live" and disaster["name"] == "三陸沖を震源とする地震（最大震度7）"
    assert "pref_miyagi" in disaster["affected_associations"]
    proposal = client.get(f"/api/v1/bulletins/proposals/{result['proposal']['id']}", headers=secretariat).json()
    assert proposal["status"] == "confirmed" and proposal["disaster_id"] == disaster["id"]
    timeline = client.get(f"/api/v1/disasters/{disaster['id']}/events?since=0", headers=as_json(secretariat)).json()
    confirmed = [e for e in timeline["events"] if e["type"] == "bulletin.confirmed"]
    assert confirmed and confirmed[0]["payload"]["bulletin_id"] == bulletin_id
    again = client.post(f"/api/v1/bulletins/{bulletin_id}/confirm", headers=as_json(secretariat))
    assert again.status_code == 409 and again.json()["error"]["details"]["status"] == "confirmed"


def test_confirm_with_an_edited_name_and_area(client: TestClient, secretariat: dict[str, str]) -> None:
    bulletin_id = post(client, secretariat, IWATE[0])["bulletin"]["id"]
    response = client.post(f"/api/v1/bulletins/{bulletin_id}/confirm", headers=as_json(secretariat),
                           json={"name": "岩手・宮城内陸地震", "area": {"prefectures": ["03", "04"]}})
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "岩手・宮城内陸地震"
    assert response.json()["affected_prefectures"] == ["03", "04"]


def test_confirming_a_superseded_bulletin_is_refused(client: TestClient, engine: Engine,
                                                     secretariat: dict[str, str]) -> None:
    first = post(client, secretariat, IWATE[0])
    post(client, secretariat, IWATE[1])
    before = counts(engine)
    response = client.post(f"/api/v1/bulletins/{first['bulletin']['id']}/confirm", headers=as_json(secretariat))
    assert response.status_code == 409
    assert response.json()["error"]["field"] == "bulletin_id"
    assert counts(engine) == before


def test_a_bad_confirmation_changes_nothing(client: TestClient, engine: Engine, secretariat: dict[str, str]) -> None:
    bulletin_id = post(client, secretariat, IWATE[0])["bulletin"]["id"]
    before = counts(engine)
    response = client.post(f"/api/v1/bulletins/{bulletin_id}/confirm", headers=as_json(secretariat),
                           json={"area": {"prefectures": ["29"]}})  # Nara has no association
    assert response.status_code == 422
    assert counts(engine) == before
    proposal = client.get("/api/v1/bulletins/proposals", headers=secretariat).json()[0]
    assert proposal["status"] == "open" and proposal["disaster_id"] is None


def test_dismiss_needs_a_reason_and_keeps_it(client: TestClient, secretariat: dict[str, str]) -> None:
    bulletin_id = post(client, secretariat, TOHOKU_TSUNAMI)["bulletin"]["id"]
    missing = client.post(f"/api/v1/bulletins/{bulletin_id}/dismiss", json={}, headers=as_json(secretariat))
    assert missing.status_code == 422
    response = client.post(f"/api/v1/bulletins/{bulletin_id}/dismiss", json={"reason": "地震として宣言済み"},
                           headers=as_json(secretariat))
    assert response.status_code == 200
    assert response.json()["status"] == "dismissed" and response.json()["dismiss_reason"] == "地震として宣言済み"


def test_a_bulletin_for_a_declared_area_proposes_an_area_change(client: TestClient,
                                                                secretariat: dict[str, str]) -> None:
    declared = client.post("/api/v1/disasters", headers=as_json(secretariat), json={
        "name": "宮城県沖の地震", "kind": "earthquake", "mode": "live", "area": {"municipalities": ["04202"]}})
    assert declared.status_code == 201
    result = post(client, secretariat, TOHOKU_53)
    assert result["bulletin"]["outcome"] == "area_change"
    proposal = result["proposal"]
    assert proposal["action"] == "change_area"
    assert proposal["target_disaster_id"] == declared.json()["id"]
    assert proposal["name"] == "宮城県沖の地震"
    assert "04202" in proposal["area_input"]["municipalities"]
    assert len(proposal["area_input"]["municipalities"]) > 100


def test_a_bulletin_inside_a_declared_area_proposes_nothing(client: TestClient, engine: Engine,
                                                            secretariat: dict[str, str]) -> None:
    declared = client.post("/api/v1/disasters", headers=as_json(secretariat), json={
        "name": "東北地方太平洋沖地震", "kind": "earthquake", "mode": "live",
        "area": {"prefectures": ["02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14",
                                 "15", "19", "20", "22"]}})
    assert declared.status_code == 201, declared.text
    result = post(client, secretariat, IWATE[0])
    assert result["bulletin"]["outcome"] == "already_declared"
    assert result["proposal"] is None
    assert counts(engine)[1] == 0


def test_two_confirmations_at_once_declare_one_disaster(engine: Engine, make_user) -> None:
    import threading

    from coordinator.bulletins.models import ConfirmRequest
    from coordinator.bulletins.service import confirm, ingest
    from coordinator.errors import Conflict

    with Session(engine, expire_on_commit=False) as session:
        bulletin_id = ingest(session, data=read(IWATE[0]), source="cli", actor=None).bulletin.id
    users = [make_user("secretariat")[0] for _ in range(2)]
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def attempt(user: object) -> None:
        start.wait()
        with Session(engine, expire_on_commit=False) as session:
            try:
                confirm(session, bulletin_id=bulletin_id, data=ConfirmRequest(), actor=user)  # type: ignore[arg-type]
                outcomes.append("declared")
            except Conflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["conflict", "declared"]
    with Session(engine) as session:
        assert len(session.exec(select(Disaster)).all()) == 1


def test_confirming_an_area_change_widens_the_declared_disaster(client: TestClient, engine: Engine,
                                                                secretariat: dict[str, str]) -> None:
    declared = client.post("/api/v1/disasters", headers=as_json(secretariat), json={
        "name": "宮城県沖の地震", "kind": "earthquake", "mode": "live", "area": {"municipalities": ["04202"]}})
    disaster_id = declared.json()["id"]
    result = post(client, secretariat, TOHOKU_53)
    assert result["proposal"]["action"] == "change_area"
    response = client.post(f"/api/v1/bulletins/{result['bulletin']['id']}/confirm", headers=as_json(secretariat))
    assert response.status_code == 201, response.text
    changed = response.json()
    assert changed["id"] == disaster_id and changed["name"] == "宮城県沖の地震"
    assert {"pref_iwate", "pref_fukushima", "pref_miyagi"} <= set(changed["affected_associations"])
    with Session(engine) as session:
        disasters = session.exec(select(func.count()).select_from(Disaster)).one()
        rows = session.exec(select(Event).where(Event.disaster_id == disaster_id).order_by(Event.seq))
        types = [e.type for e in rows]
    assert disasters == 1
    assert types[-2:] == ["bulletin.confirmed", "disaster.area_changed"]
