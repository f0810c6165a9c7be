"""GET /api/v1/associations and /api/v1/associations/{id}: any signed-in user, nobody else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, ROLE_STAFF


def test_associations_need_a_signed_in_user(client: TestClient) -> None:
    for path in ("/api/v1/associations", "/api/v1/associations/pref_ishikawa"):
        response = client.get(path)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_every_role_reads_the_directory(client: TestClient, make_user, auth) -> None:
    for role, association in ((ROLE_STAFF, "pref_fukui"), (ROLE_SECRETARIAT, None), (ROLE_OBSERVER, None)):
        _, token = make_user(role, association)
        rows = client.get("/api/v1/associations", headers=auth(token)).json()
        assert len(rows) == 64
        ids = [row["id"] for row in rows]
        assert ids[0] == "pref_hokkaido" and "clair" in ids and len(set(ids)) == 64
        # Ordered by prefecture code, the prefecture's own association before its cities'.
        assert ids.index("pref_kanagawa") < ids.index("city_yokohama")


def test_one_association_by_id(client: TestClient, make_user, auth) -> None:
    _, token = make_user(ROLE_OBSERVER)
    toyama = client.get("/api/v1/associations/pref_toyama", headers=auth(token))
    assert toyama.status_code == 200
    body = toyama.json()
    assert body["prefecture_code"] == "16" and body["block"] == "tokai_hokuriku" and body["kind"] == "prefecture"
    assert set(body) == {"id", "name_ja", "name_en", "kind", "prefecture_code", "block", "municipality_code",
                         "lat", "lon", "verified"}


def test_unknown_association_is_404_naming_the_field(client: TestClient, make_user, auth) -> None:
    _, token = make_user(ROLE_OBSERVER)
    response = client.get("/api/v1/associations/pref_atlantis", headers=auth(token))
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "not_found" and error["field"] == "association_id"
    assert "pref_atlantis" in error["message"]["en"] and "pref_atlantis" in error["message"]["ja"]
