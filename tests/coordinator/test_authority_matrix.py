"""The authority matrix (issue 12 items 1, 2, 13, 14): declare, rename, change the area, close, reopen, plan,
approve, request and offer on behalf, for the secretariat, the acting secretariat, the coordinator of the
affected block and of another block, staff of the affected association and of another one, and an observer.

The disaster affects Tokyo and Kanagawa (prefectures 13 and 14) in FY2026: Tokyo (Kanto's coordinator)
and Kanagawa (its first deputy) are affected, so Tochigi acts for Kanto; Tokyo is affected, so the
secretariat fails over to Kinki's coordinator, Osaka, and CLAIR keeps acting too. Each act is tried on
a fresh target, and `allowed_actions` must say the same as the server. SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from tests.coordinator.disasters_support import assert_error, counts

AREA = {"prefectures": ["13", "14"]}
WIDER = {"prefectures": ["13", "14", "11"]}  # + Saitama: still only Kanto
ACTORS = {  # actor -> (role, association)
    "secretariat": ("secretariat", "clair"),
    "acting_secretariat": ("staff", "pref_osaka"),
    "coordinator_own": ("staff", "pref_tochigi"),
    "coordinator_other": ("staff", "pref_aichi"),
    "staff_own": ("staff", "city_yokohama"),
    "staff_other": ("staff", "pref_saitama"),
    "observer": ("observer", None),
}
SECRETARIATS = {"secretariat", "acting_secretariat"}
TODAY = date.today().isoformat()


class Matrix:
    """Users of every actor and fresh targets for each act."""

    def __init__(self, client: TestClient, make_user: Any, auth: Any) -> None:
        self.client = client
        self.headers = {name: auth(make_user(role, association)[1]) for name, (role, association) in ACTORS.items()}
        first = self.declare()
        roles = first["acting_roles"]
        assert roles["secretariat"] == {**roles["secretariat"], "id": "pref_osaka", "is_failover": True}
        assert roles["coordinators"]["kanto"]["association_id"] == "pref_tochigi"
        assert roles["coordinators"]["tokai_hokuriku"]["association_id"] == "pref_aichi"

    def declare(self, headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"name": "首都直下地震", "kind": "earthquake", "mode": "live", "area": AREA, **extra}
        response = self.client.post("/api/v1/disasters", json=body, headers=headers or self.headers["secretariat"])
        assert response.status_code == 201, response.text
        return response.json()

    def post(self, path: str, actor: str, body: Any = None) -> Any:
        return self.client.post(path, json=body, headers=self.headers[actor])

    def open_disaster(self) -> int:
        disaster = self.declare()
        assert self.post(f"/api/v1/disasters/{disaster['id']}/cross-block", "secretariat").status_code == 200
        return int(disaster["id"])

    def closed_disaster(self) -> int:
        disaster_id = self.open_disaster()
        assert self.post(f"/api/v1/disasters/{disaster_id}/close", "secretariat").status_code == 200
        return disaster_id

    def dispatch(self, stage: int, state: str = "proposed") -> int:
        disaster_id = self.open_disaster()
        need = self.post(f"/api/v1/disasters/{disaster_id}/needs", "staff_own", {
            "requester_id": "city_yokohama", "kind": "centre_staff", "language": "vi", "headcount": 2,
            "start": TODAY, "days": 5, "place": "14100"}).json()
        supplier, proposer = ("pref_saitama", "coordinator_own") if stage == 1 else ("pref_aichi", "secretariat")
        dispatch = self.post(f"/api/v1/disasters/{disaster_id}/dispatches", proposer,
                             {"need_id": need["id"], "supplier_id": supplier, "headcount": 1})
        assert dispatch.status_code == 201, dispatch.text
        assert dispatch.json()["stage"] == stage
        if state == "approved":
            assert self.post(f"/api/v1/dispatches/{dispatch.json()['id']}/approve", proposer).status_code == 200
        return int(dispatch.json()["id"])


@pytest.fixture
def matrix(client: TestClient, make_user, auth) -> Matrix:
    """Users of every actor; the first Tokyo-Kanagawa disaster is declared and its roles checked."""
    return Matrix(client, make_user, auth)


def _expect(allowed: set[str], ok: int = 200) -> dict[str, int]:
    return {actor: (ok if actor in allowed else 403) for actor in ACTORS}


def acts(m: Matrix) -> list[tuple[str, Callable[[str], Any], dict[str, int], str | None]]:
    """(act, do it as an actor on a fresh target, expected status by actor, allowed_actions name)."""
    def on_open(suffix: str, body: Any = None, method: str = "POST") -> Callable[[str], Any]:
        def run(actor: str) -> Any:
            disaster_id = m.open_disaster()
            return m.client.request(method, f"/api/v1/disasters/{disaster_id}{suffix}", json=body,
                                    headers=m.headers[actor])
        return run

    def reopen(actor: str) -> Any:
        return m.post(f"/api/v1/disasters/{m.closed_disaster()}/reopen", actor, {"reason": "余震で被害が拡大"})

    def dispatch_act(stage: int, state: str, action: str) -> Callable[[str], Any]:
        return lambda actor: m.post(f"/api/v1/dispatches/{m.dispatch(stage, state)}/{action}", actor)

    def offer_for(association_id: str) -> Callable[[str], Any]:
        body = {"association_id": association_id, "languages": ["vi"], "kinds": ["centre_staff"], "headcount": 2,
                "available_from": TODAY, "available_until": TODAY, "notes": "電話で受付"}
        return lambda actor: m.post(f"/api/v1/disasters/{m.open_disaster()}/offers", actor, body)

    whole = SECRETARIATS | {"coordinator_own"}
    return [
        ("declare", lambda actor: m.client.post("/api/v1/disasters", headers=m.headers[actor], json={
            "name": "首都直下地震", "kind": "earthquake", "mode": "live", "area": AREA}), _expect(whole, 201), None),
        ("rename", on_open("", {"name": "首都直下地震（改）", "reason": "気象庁の命名"}, "PATCH"), _expect(whole),
         "rename"),
        ("change the area", on_open("/area", {"area": WIDER, "reason": "埼玉県でも被害"}), _expect(whole),
         "change_area"),
        ("close", on_open("/close", {"reason": "応援終了"}), _expect(whole), "close"),
        ("reopen", reopen, _expect(SECRETARIATS), "reopen"),
        ("plan", on_open("/plan", {"commit": False}), _expect(whole), "plan"),
        ("approve stage 1", dispatch_act(1, "proposed", "approve"), _expect({"coordinator_own"}), None),
        ("request stage 1", dispatch_act(1, "approved", "request"), _expect({"coordinator_own"}), None),
        ("approve stage 2", dispatch_act(2, "proposed", "approve"), _expect(SECRETARIATS), None),
        ("request stage 2", dispatch_act(2, "approved", "request"), _expect(SECRETARIATS), None),
        ("offer on behalf of Gunma (Kanto)", offer_for("pref_gunma"), _expect(whole, 201), None),
        ("offer on behalf of Gifu (Tokai)", offer_for("pref_gifu"),
         _expect(SECRETARIATS | {"coordinator_other"}, 201), None),
    ]


def test_the_authority_matrix(matrix: Matrix) -> None:
    problems = []
    for act, run, expected, _ in acts(matrix):
        for actor in ACTORS:
            response = run(actor)
            if response.status_code != expected[actor]:
                problems.append(f"{act} as {actor}: {response.status_code} (expected {expected[actor]}) "
                                f"{response.text[:200]}")
            elif response.status_code == 403:
                error = response.json()["error"]
                if not (error["message"]["ja"] and error["message"]["en"]):
                    problems.append(f"{act} as {actor}: refusal without ja/en message")
    assert not problems, "\n".join(problems)


def test_allowed_actions_on_the_disaster_say_what_the_server_allows(matrix: Matrix) -> None:
    open_id, closed_id = matrix.open_disaster(), matrix.closed_disaster()
    for act, _, expected, name in acts(matrix):
        if name is None:
            continue
        target = closed_id if name == "reopen" else open_id
        for actor in ACTORS:
            allowed = matrix.client.get(f"/api/v1/disasters/{target}", headers=matrix.headers[actor]).json()
            assert (name in allowed["allowed_actions"]) == (expected[actor] < 400), (act, actor, allowed)


def test_every_act_is_audited_with_who_in_which_capacity_and_why(matrix: Matrix) -> None:
    disaster_id = matrix.open_disaster()
    base = f"/api/v1/disasters/{disaster_id}"
    assert matrix.client.patch(base, json={"name": "首都圏地震", "reason": "名称統一"},
                               headers=matrix.headers["coordinator_own"]).status_code == 200
    assert matrix.post(f"{base}/close", "acting_secretariat", {"reason": "応援終了"}).status_code == 200
    assert_error(matrix.post(f"{base}/reopen", "secretariat", {}), 422, "reason")
    assert_error(matrix.post(f"{base}/reopen", "secretariat", {"reason": "  　"}), 422, "reason")
    assert matrix.post(f"{base}/reopen", "secretariat", {"reason": "余震"}).json()["status"] == "open"
    assert_error(matrix.post(f"{base}/reopen", "secretariat", {"reason": "二度目"}), 409, "disaster_id")
    events = matrix.client.get(f"{base}/events", headers=matrix.headers["secretariat"]).json()["events"]
    by_type = {e["type"]: e for e in events}
    renamed, closed, reopened = by_type["disaster.renamed"], by_type["disaster.closed"], by_type["disaster.reopened"]
    assert renamed["acted_as"]["role"] == "coordinator" and renamed["acted_as"]["block"] == "kanto"
    assert renamed["acted_as"]["association_id"] == "pref_tochigi" and renamed["acted_as"]["reason_ja"]
    assert renamed["payload"]["reason"] == "名称統一" and renamed["payload"]["previous_name"] == "首都直下地震"
    assert closed["acted_as"]["role"] == "acting_secretariat" and closed["acted_as"]["association_id"] == "pref_osaka"
    assert "13" in closed["acted_as"]["reason_en"] and closed["payload"]["reason"] == "応援終了"
    # Two secretariats: CLAIR's act is labelled as the secretariat's, saying the secretariat also failed over.
    assert reopened["acted_as"]["role"] == "secretariat" and "failed over" in reopened["acted_as"]["reason_en"]
    assert reopened["payload"]["reason"] == "余震" and reopened["actor_user_id"]
    assert by_type["disaster.cross_block_opened"]["acted_as"]["role"] == "secretariat"


def test_a_coordinator_of_an_unaffected_block_declares_and_changes_nothing_there(
        matrix: Matrix, engine: Engine) -> None:
    """The defects of issue 12 item 1: Aichi (Tokai) declared a live disaster for Kanto, and renamed and
    closed disasters nationwide."""
    disaster_id = matrix.open_disaster()
    before = counts(engine)
    error = assert_error(matrix.client.post("/api/v1/disasters", headers=matrix.headers["coordinator_other"], json={
        "name": "x", "kind": "flood", "mode": "live", "area": AREA}), 403, "authority")
    assert "関東" in error["message"]["ja"] and "Kanto" in error["message"]["en"]
    assert_error(matrix.client.patch(f"/api/v1/disasters/{disaster_id}", json={"name": "x"},
                                     headers=matrix.headers["coordinator_other"]), 403)
    assert_error(matrix.post(f"/api/v1/disasters/{disaster_id}/close", "coordinator_other"), 403)
    assert counts(engine) == before
    # Its own block's disaster, though, it may declare (Aichi coordinates Tokai-Hokuriku).
    own = matrix.client.post("/api/v1/disasters", headers=matrix.headers["coordinator_other"], json={
        "name": "能登", "kind": "earthquake", "mode": "drill", "area": {"prefectures": ["17"]}})
    assert own.status_code == 201 and own.json()["allowed_actions"][:3] == ["rename", "change_area", "close"]
    # A disaster across two blocks is the secretariat's to declare.
    assert_error(matrix.client.post("/api/v1/disasters", headers=matrix.headers["coordinator_other"], json={
        "name": "x", "kind": "flood", "mode": "drill", "area": {"prefectures": ["17", "13"]}}), 403, "authority")


def test_changing_the_area_derives_associations_and_roles_again(matrix: Matrix) -> None:
    disaster_id = matrix.open_disaster()
    base = f"/api/v1/disasters/{disaster_id}"
    offer = matrix.post(f"{base}/offers", "staff_other", {
        "languages": ["vi"], "kinds": ["centre_staff"], "headcount": 2, "available_from": TODAY,
        "available_until": TODAY}).json()
    assert offer["association_id"] == "pref_saitama"
    assert_error(matrix.post(f"{base}/area", "secretariat", {"area": WIDER}), 422, "reason")
    # Tochigi may not reach into another block with its change.
    assert_error(matrix.post(f"{base}/area", "coordinator_own", {"area": {"prefectures": ["13", "14", "15"]},
                                                                   "reason": "新潟も"}), 403, "area")
    changed = matrix.post(f"{base}/area", "coordinator_own", {"area": {"prefectures": ["13", "14", "11", "09"]},
                                                               "reason": "埼玉・栃木でも被害"})
    assert changed.status_code == 403, changed.text  # Tochigi itself would be affected: no longer Kanto's coordinator
    changed = matrix.post(f"{base}/area", "secretariat", {"area": {"prefectures": ["13", "14", "11", "09"]},
                                                          "reason": "埼玉・栃木でも被害"})
    assert changed.status_code == 200, changed.text
    disaster = changed.json()
    assert {"pref_saitama", "city_saitama", "pref_tochigi"} <= set(disaster["affected_associations"])
    assert disaster["acting_roles"]["coordinators"]["kanto"]["association_id"] == "pref_nagano"
    events = matrix.client.get(f"{base}/events", headers=matrix.headers["secretariat"]).json()["events"]
    event = next(e for e in events if e["type"] == "disaster.area_changed")
    changes = event["payload"]["changes"]
    assert changes["added_prefectures"] == ["09", "11"] and changes["removed_prefectures"] == []
    assert "pref_tochigi" in changes["added_associations"] and changes["removed_associations"] == []
    assert {"role": "coordinator", "block": "kanto", "from": "pref_tochigi", "to": "pref_nagano"}.items() <= \
        next(r for r in changes["roles"] if r["block"] == "kanto").items()
    assert any(w["association_id"] == "pref_saitama" for w in changes["warnings"])  # still offers people
    assert event["payload"]["reason"] == "埼玉・栃木でも被害" and event["acted_as"]["role"] == "secretariat"
    # Tochigi is affected now: it no longer coordinates, so it may no longer close.
    assert_error(matrix.post(f"{base}/close", "coordinator_own"), 403)


def test_the_acting_secretariat_does_not_approve_what_its_own_association_supplies(matrix: Matrix) -> None:
    disaster_id = matrix.open_disaster()
    need = matrix.post(f"/api/v1/disasters/{disaster_id}/needs", "staff_own", {
        "requester_id": "city_yokohama", "kind": "centre_staff", "language": "vi", "headcount": 2,
        "start": TODAY, "days": 5, "place": "14100"}).json()
    proposed = matrix.post(f"/api/v1/disasters/{disaster_id}/dispatches", "secretariat",
                           {"need_id": need["id"], "supplier_id": "pref_osaka", "headcount": 1}).json()
    assert proposed["stage"] == 2 and proposed["awaiting"]["association_ids"] == ["clair"]
    assert "does not approve its own" in proposed["awaiting"]["reason_en"]
    assert_error(matrix.post(f"/api/v1/dispatches/{proposed['id']}/approve", "acting_secretariat"), 403)
    assert matrix.post(f"/api/v1/dispatches/{proposed['id']}/approve", "secretariat").status_code == 200


def test_the_dashboard_and_the_todo_say_who_is_acting_secretariat_and_why(matrix: Matrix) -> None:
    disaster_id = matrix.open_disaster()
    picture = matrix.client.get(f"/web/picture/{disaster_id}", headers=matrix.headers["secretariat"]).json()
    secretariat = picture["disaster"]["acting_roles"]["secretariat"]
    assert secretariat["association_id"] == "pref_osaka" and secretariat["is_failover"] is True
    assert secretariat["also_acting"] == "clair" and "13" in secretariat["reason_ja"]
    assert picture["roles"]["secretariat"]["also_acting"] == "clair"
    assert [a["role"] for a in picture["acting_as"]] == ["secretariat"]
    mine = matrix.client.get("/api/v1/todo", headers=matrix.headers["acting_secretariat"]).json()["acting_as"]
    roles = {(a["disaster_id"], a["role"]) for a in mine}
    assert (disaster_id, "acting_secretariat") in roles and (disaster_id, "coordinator") in roles
    entry = next(a for a in mine if a["disaster_id"] == disaster_id and a["role"] == "acting_secretariat")
    assert entry["association_name_ja"] and "13" in entry["reason_en"]


def test_an_offer_taken_by_phone_is_marked_and_the_association_is_told(matrix: Matrix, make_user, auth) -> None:
    disaster_id = matrix.open_disaster()
    gunma = auth(make_user("staff", "pref_gunma")[1])
    body = {"association_id": "pref_gunma", "languages": ["vi"], "kinds": ["centre_staff"], "headcount": 3,
            "available_from": TODAY, "available_until": TODAY, "notes": "電話で受付"}
    recorded = matrix.post(f"/api/v1/disasters/{disaster_id}/offers", "coordinator_own", body)
    assert recorded.status_code == 201, recorded.text
    offer = recorded.json()
    assert offer["association_id"] == "pref_gunma" and offer["recorded_by"]["role"] == "coordinator"
    assert offer["recorded_by"]["association_id"] == "pref_tochigi" and offer["recorded_by"]["display_name"]
    events = matrix.client.get(f"/api/v1/disasters/{disaster_id}/events", headers=gunma).json()["events"]
    told = [e for e in events if e["type"] == "offer.recorded_on_behalf"]
    assert told and told[0]["payload"]["association_id"] == "pref_gunma"
    assert told[0]["acted_as"]["association_id"] == "pref_tochigi"
    # ...and notified in its bell (and by mail or webhook, as it chose): who recorded it, how many people.
    bell = matrix.client.get("/api/v1/notifications", headers=gunma).json()["items"]
    notice = next(i for i in bell if i["event_seq"] == told[0]["seq"])
    assert "代理登録" in notice["title_ja"] and "3人" in notice["title_ja"] and notice["title_en"]
    # Gunma's own staff may change it afterwards; Tokai's coordinator may not touch it.
    assert matrix.client.patch(f"/api/v1/offers/{offer['id']}", json={"headcount": 2}, headers=gunma).status_code == 200
    assert_error(matrix.client.patch(f"/api/v1/offers/{offer['id']}", json={"headcount": 1},
                                     headers=matrix.headers["coordinator_other"]), 403)
    # Without an association the secretariat cannot offer (it has no people of its own).
    no_one = {k: v for k, v in body.items() if k != "association_id"}
    assert_error(matrix.post(f"/api/v1/disasters/{disaster_id}/offers", "secretariat", no_one), 403,
                 "association_id")


def test_acts_of_other_domains_are_labelled_with_their_capacity_too(matrix: Matrix) -> None:
    disaster_id = matrix.open_disaster()
    need = {"requester_id": "city_yokohama", "kind": "centre_staff", "language": "vi", "headcount": 2,
            "start": TODAY, "days": 5, "place": "14100"}
    assert matrix.post(f"/api/v1/disasters/{disaster_id}/needs", "staff_own", need).status_code == 201
    assert matrix.post(f"/api/v1/disasters/{disaster_id}/needs", "coordinator_own", need).status_code == 201
    assert matrix.post(f"/api/v1/disasters/{disaster_id}/offers", "staff_other", {
        "languages": ["vi"], "kinds": ["centre_staff"], "headcount": 4, "available_from": TODAY,
        "available_until": (date.today() + timedelta(days=10)).isoformat()}).status_code == 201
    assert matrix.post(f"/api/v1/disasters/{disaster_id}/plan", "acting_secretariat", {"commit": True}
                       ).json()["proposals"]
    events = matrix.client.get(f"/api/v1/disasters/{disaster_id}/events", headers=matrix.headers["secretariat"]
                               ).json()["events"]
    needs = [e["acted_as"] for e in events if e["type"] == "need.created"]
    assert [(c["role"], c["association_id"]) for c in needs] == [("staff", "city_yokohama"),
                                                                ("coordinator", "pref_tochigi")]
    committed = [e for e in events if e["type"] == "plan.committed"]
    assert committed and committed[0]["acted_as"]["role"] == "acting_secretariat"
