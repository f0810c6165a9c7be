"""The to-do list (contract 1) shows the secretariat its open proposals, live before drill; nobody else."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from coordinator.bulletins.service import ingest

DATA = Path(__file__).resolve().parent.parent / "data" / "jma"


def test_open_proposals_are_the_secretariats_to_do(client: TestClient, engine: Engine, make_user, auth) -> None:
    with Session(engine, expire_on_commit=False) as session:
        quake = ingest(session, data=(DATA / "32-39_11_05_240613_VXSE53.xml").read_bytes(), source="cli", actor=None)
        ingest(session, data=(DATA / "32-39_11_02_250206_VTSE41.xml").read_bytes(), source="cli", actor=None)
        ingest(session, data=(DATA / "32-35_06_03_240613_VXSE53.xml").read_bytes(), source="cli", actor=None,
               mode="drill")
    secretariat = auth(make_user("secretariat")[1])
    items = [i for i in client.get("/api/v1/todo", headers=secretariat).json()["items"]
             if i["kind"] == "decide_bulletin_proposals"]
    assert [(i["mode"], i["count"], i["link"]) for i in items] == [("live", 2, "/bulletins"),
                                                                   ("drill", 1, "/bulletins?mode=drill")]
    assert items[0]["urgent"] is True and items[0]["entity"] == "proposal"
    assert items[0]["title_ja"] == "気象庁の情報による宣言の提案が 2 件あります"
    assert "三陸沖を震源とする地震（最大震度7）" in items[0]["detail_ja"]
    assert items[1]["title_ja"].startswith("【訓練】")
    staff = auth(make_user("staff", "pref_miyagi")[1])
    observer = auth(make_user("observer")[1])
    for headers in (staff, observer):
        kinds = {i["kind"] for i in client.get("/api/v1/todo", headers=headers).json()["items"]}
        assert "decide_bulletin_proposals" not in kinds
    client.post(f"/api/v1/bulletins/{quake.bulletin.id}/dismiss", json={"reason": "テスト"}, headers=secretariat)
    items = [i for i in client.get("/api/v1/todo", headers=secretariat).json()["items"]
             if i["kind"] == "decide_bulletin_proposals"]
    assert items[0]["count"] == 1
