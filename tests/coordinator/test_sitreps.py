"""Situation reports over the API: numbered, summary kept per report and versioned, the secretariat writes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from coordinator.drills.purge import purge_drill
from tests.coordinator.disasters_support import World, assert_error, declare


def rows(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(connection.execute(text(sql)).scalar_one() for sql in (  # type: ignore[return-value]
            "SELECT COUNT(*) FROM situation_report", "SELECT COUNT(*) FROM situation_report_revision",
            "SELECT COUNT(*) FROM event WHERE type LIKE 'sitrep.%'"))


def test_issue_numbers_and_amend_keeps_every_version(client: TestClient, make_user, auth, engine: Engine) -> None:
    world = World(client, make_user, auth)
    url = f"/api/v1/disasters/{world.id}/sitreps"
    first = client.post(url, json={"summary": " 輪島市で避難所 12 か所を開設。\n通訳の要請 3 件。 "},
                        headers=world.secretariat)
    assert first.status_code == 201, first.text
    report = first.json()
    assert report["number"] == 1 and report["version"] == 1 and report["mode"] == "live"
    assert report["summary"] == "輪島市で避難所 12 か所を開設。\n通訳の要請 3 件。"
    assert report["issuer_id"] == "clair" and "自治体国際化協会" in report["issuer_name_ja"]
    second = client.post(url, json={"summary": "第2報"}, headers=world.secretariat).json()
    assert second["number"] == 2
    amended = client.patch(f"/api/v1/sitreps/{report['id']}", json={"summary": "訂正：避難所 13 か所", "version": 1},
                           headers=world.secretariat)
    assert amended.status_code == 200 and amended.json()["version"] == 2
    stale = client.patch(f"/api/v1/sitreps/{report['id']}", json={"summary": "古い版から", "version": 1},
                         headers=world.secretariat)
    assert assert_error(stale, 409, "version")["details"] == {"version": 2}
    read = client.get(f"/api/v1/sitreps/{report['id']}", headers=world.observer).json()
    assert [(r["version"], r["summary"][:2]) for r in read["revisions"]] == [(1, "輪島"), (2, "訂正")]
    listed = client.get(url, headers=world.outsider).json()
    assert [r["number"] for r in listed] == [2, 1] and listed[1]["revisions"] is None
    assert rows(engine) == (2, 3, 3)  # issued twice and amended once, each with its event


def test_only_the_acting_secretariat_writes_and_bad_summaries_are_refused(client: TestClient, make_user, auth,
                                                                         engine: Engine) -> None:
    world = World(client, make_user, auth)
    url = f"/api/v1/disasters/{world.id}/sitreps"
    for headers in (world.coordinator, world.requester, world.observer):
        assert_error(client.post(url, json={"summary": "x"}, headers=headers), 403)
    for bad in ("   ", "a\x00b"):
        assert_error(client.post(url, json={"summary": bad}, headers=world.secretariat), 422, "summary")
    assert_error(client.post(url, json={"summary": "x" * 10_001}, headers=world.secretariat), 422)
    assert_error(client.post("/api/v1/disasters/999999/sitreps", json={"summary": "x"}, headers=world.secretariat),
                 404, "disaster_id")
    assert rows(engine) == (0, 0, 0)


def test_a_drills_reports_are_purged_with_it(client: TestClient, make_user, auth, engine: Engine) -> None:
    world = World(client, make_user, auth)
    drill = declare(client, world.secretariat, mode="drill", name="訓練")
    issued = client.post(f"/api/v1/disasters/{drill['id']}/sitreps", json={"summary": "訓練の報告"},
                         headers=world.secretariat).json()
    assert issued["mode"] == "drill"
    with Session(engine) as session:
        counts = purge_drill(session, drill_id=drill["id"])
    assert counts["situation_reports"] == 1 and counts["situation_report_revisions"] == 1
    assert rows(engine) == (0, 0, 0)
