"""POST /api/v1/disasters/preview: what a declaration would do, with the same resolution, nothing stored."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from coordinator.disasters.models import AreaInput
from coordinator.disasters.service import preview_declaration
from geo.associations import association
from tests.coordinator.disasters_support import ISHIKAWA, World, assert_error, counts, declare


def preview(client: TestClient, headers: dict[str, str], area: dict, mode: str = "live") -> dict:
    response = client.post("/api/v1/disasters/preview", json={"mode": mode, "area": area}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_preview_names_associations_blocks_and_roles_as_the_declaration_will(
        client: TestClient, make_user, auth, engine: Engine) -> None:
    secretariat = auth(make_user("secretariat", "clair")[1])
    before = counts(engine)
    shown = preview(client, secretariat, {"prefectures": ["17"]})
    assert counts(engine) == before  # nothing stored, not even an event
    assert [p["name_ja"] for p in shown["prefectures"]] == ["石川県"]
    assert shown["prefectures"][0]["reached_by_ja"] == "指定"
    ishikawa = next(a for a in shown["associations"] if a["id"] == ISHIKAWA)
    assert ishikawa["name_ja"] and ishikawa["block"] == "tokai_hokuriku" and ishikawa["block_name_ja"]
    assert shown["municipality_count"] >= 19 and shown["mode"] == "live"
    # The involved block comes first; every block's acting coordinator is listed with a reason.
    assert shown["acting_coordinators"][0]["block"] == "tokai_hokuriku"
    assert shown["acting_coordinators"][0]["involved"] is True
    assert len(shown["acting_coordinators"]) == 6
    declared = declare(client, secretariat, prefectures=["17"])
    for role in shown["acting_coordinators"]:
        stored = declared["acting_roles"]["coordinators"][role["block"]]
        assert role["association_id"] == stored["association_id"]
        # The reason is the agreement's, with names where it cites association ids.
        assert role["association_name_ja"] in role["reason_ja"] and "pref_" not in role["reason_ja"]
        assert role["association_name_en"] in role["reason_en"] and "pref_" not in role["reason_en"]
    assert shown["acting_secretariat"]["id"] == declared["acting_roles"]["secretariat"]["id"]
    assert shown["acting_secretariat"]["is_failover"] is False and shown["acting_secretariat"]["name_ja"]
    assert sorted(a["id"] for a in shown["associations"]) == declared["affected_associations"]


def test_an_affected_coordinator_is_replaced_and_the_preview_says_why(client: TestClient, make_user, auth) -> None:
    secretariat = auth(make_user("secretariat", "clair")[1])
    designated = preview(client, secretariat, {"prefectures": ["17"]})["acting_coordinators"][0]
    home = association(designated["association_id"]).prefecture_code
    shown = preview(client, secretariat, {"prefectures": [home]})
    block = next(c for c in shown["acting_coordinators"] if c["block"] == designated["block"])
    assert block["changed"] is True and block["is_deputy"] is True
    assert block["association_id"] != designated["association_id"]
    assert designated["association_name_ja"] in block["reason_ja"] and "代行" in block["reason_ja"]
    assert "_" not in block["reason_ja"] + block["reason_en"]


def test_tokyo_affected_fails_the_secretariat_over(client: TestClient, make_user, auth) -> None:
    secretariat = auth(make_user("secretariat", "clair")[1])
    shown = preview(client, secretariat, {"epicentre": {"lat": 35.68, "lon": 139.76}, "radius_km": 30}, "drill")
    assert "13" in [p["code"] for p in shown["prefectures"]]
    assert shown["acting_secretariat"]["is_failover"] is True and shown["mode"] == "drill"
    assert shown["acting_secretariat"]["reason_ja"]
    assert all(m["distance_km"] is not None for m in shown["municipalities"])


def test_same_authority_as_declaring_and_bad_areas_name_the_field(client: TestClient, make_user, auth,
                                                                   engine: Engine) -> None:
    world = World(client, make_user, auth)
    before = counts(engine)
    assert preview(client, world.coordinator, {"municipalities": ["17204"]})["associations"]
    for headers in (world.requester, world.observer):
        assert_error(client.post("/api/v1/disasters/preview", json={"area": {"prefectures": ["18"]}},
                                 headers=headers), 403)
    assert_error(client.post("/api/v1/disasters/preview", json={"area": {"prefectures": ["18"]}}), 401)
    bad = client.post("/api/v1/disasters/preview", json={"area": {"prefectures": ["99"]}}, headers=world.secretariat)
    assert_error(bad, 422)["field"].startswith("area")
    both = {"prefectures": ["17"], "municipalities": ["17204"]}
    assert_error(client.post("/api/v1/disasters/preview", json={"area": both}, headers=world.secretariat),
                 422, "area")
    assert counts(engine) == before


def test_service_function_without_a_caller() -> None:
    shown = preview_declaration(area=AreaInput(municipalities=["わじまし"]), mode="drill")
    assert [a["id"] for a in shown["associations"]] == [ISHIKAWA]
    assert shown["municipalities"][0]["name_ja"] == "輪島市"
