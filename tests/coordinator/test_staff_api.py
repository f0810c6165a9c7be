"""Issue 15 items 2 and 4 over the API: supporters see the open needs the agreement lets them help with and
offer against them; every problem at once in words; reasons for cancelling and withdrawing; a concurrent
edit answers with the other person's change."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import ISHIKAWA, World, assert_error, counts, need_body, offer_body


@pytest.fixture
def world(client: TestClient, make_user, auth) -> World:
    """A live disaster for prefecture 17 with users of every role."""
    return World(client, make_user, auth)


def test_a_supporter_offers_against_an_open_need_of_its_block(world: World, engine: Engine) -> None:
    need = world.need(headcount=3)
    offer = world.offer(need_id=need["id"], headcount=2)
    assert offer["need_id"] == need["id"]
    # Another block may not, until the secretariat opens cross-block support.
    url = f"/api/v1/disasters/{world.id}/offers"
    before = counts(engine)
    refused = world.client.post(url, json=offer_body(need_id=need["id"]), headers=world.outsider)
    assert "ブロック間支援" in assert_error(refused, 422, "need_id")["message"]["ja"]
    assert counts(engine) == before
    world.client.post(f"/api/v1/disasters/{world.id}/cross-block", headers=world.secretariat)
    assert world.client.post(url, json=offer_body(need_id=need["id"]), headers=world.outsider).status_code == 201


def test_an_offer_cannot_answer_a_closed_or_foreign_need(world: World) -> None:
    need = world.need()
    world.client.post(f"/api/v1/needs/{need['id']}/cancel", json={"reason": "重複"}, headers=world.requester)
    url = f"/api/v1/disasters/{world.id}/offers"
    assert_error(world.client.post(url, json=offer_body(need_id=need["id"]), headers=world.toyama), 422, "need_id")
    assert_error(world.client.post(url, json=offer_body(need_id=987654), headers=world.toyama), 422, "need_id")


def test_reasons_are_kept_when_cancelling_a_need_and_withdrawing_an_offer(world: World) -> None:
    need = world.need()
    reason = "自治体の職員で対応できたため"
    cancelled = world.client.post(f"/api/v1/needs/{need['id']}/cancel", json={"version": 1, "reason": reason},
                                  headers=world.requester)
    assert cancelled.json()["cancel_reason"] == "自治体の職員で対応できたため"
    history = world.client.get(f"/api/v1/needs/{need['id']}/history", headers=world.requester).json()
    assert history[-1]["changes"]["reason"] == "自治体の職員で対応できたため"
    offer = world.offer()
    why = "職員が被災地から戻らない"
    withdrawn = world.client.post(f"/api/v1/offers/{offer['id']}/withdraw", json={"reason": why},
                                  headers=world.toyama).json()
    assert withdrawn["status"] == "withdrawn" and withdrawn["withdraw_reason"] == why


def test_every_problem_of_a_need_is_named_at_once_in_words(world: World, engine: Engine) -> None:
    before = counts(engine)
    body = need_body(kind="", language="", headcount=None, start=None, days=2, place="99999")
    error = assert_error(world.client.post(f"/api/v1/disasters/{world.id}/needs", json=body,
                                           headers=world.requester), 422)
    fields = [p["field"] for p in error["details"]["problems"]]
    assert fields == ["kind", "language", "headcount", "start", "days", "place"]
    assert error["details"]["problems"][0]["problem_ja"] == "選択してください"
    message = error["message"]["ja"]
    assert "支援の種類" in message and "開始日" in message and "（kind）" not in message and "kind" not in message
    assert counts(engine) == before


def test_a_validation_error_names_the_field_in_words(world: World) -> None:
    error = assert_error(world.client.post(f"/api/v1/disasters/{world.id}/needs",
                                           json=need_body(headcount="many"), headers=world.requester), 422)
    assert error["field"] == "headcount" and error["message"]["ja"].startswith("人数：")
    assert error["details"]["problems"][0]["label_en"] == "number of people"


def test_a_concurrent_edit_answers_with_the_other_persons_change(world: World) -> None:
    need = world.need()
    url = f"/api/v1/needs/{need['id']}"
    assert world.client.patch(url, json={"version": 1, "headcount": 5}, headers=world.coordinator).status_code == 200
    late = world.client.patch(url, json={"version": 1, "notes": "通訳2名"}, headers=world.requester)
    error = assert_error(late, 409, "version")
    assert error["details"]["current"]["headcount"] == 5 and error["details"]["version"] == 2
    change = error["details"]["changes_since"][0]
    assert change["changes"] == {"headcount": {"old": 2, "new": 5}} and change["on_behalf"] is True
    assert "他の人が先に更新しました" in error["message"]["ja"] and "version" not in error["message"]["ja"]
    assert world.client.get(url, headers=world.requester).json()["notes"] == need["notes"]
    assert need["requester_id"] == ISHIKAWA
