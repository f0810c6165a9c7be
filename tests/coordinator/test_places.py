"""GET /api/v1/places: municipality search for signed-in users."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.coordinator.disasters_support import assert_error


def test_search_by_kanji_and_kana_with_labels(client: TestClient, make_user, auth) -> None:
    headers = auth(make_user("staff", "pref_toyama")[1])
    for query in ("輪島", "わじま", "ワジマ"):
        response = client.get("/api/v1/places", params={"q": query}, headers=headers)
        assert response.status_code == 200, response.text
        first = response.json()[0]
        assert 37.3 < first.pop("lat") < 37.4 and 136.8 < first.pop("lon") < 137.0  # the city office
        assert first == {"code": "17204", "name_ja": "輪島市", "name_kana": "わじまし", "prefecture_code": "17",
                         "prefecture_ja": "石川県", "prefecture_en": "Ishikawa", "label_ja": "石川県 輪島市",
                         "label_en": "輪島市 (わじまし), Ishikawa"}


def test_prefecture_by_code_or_name_and_limit(client: TestClient, make_user, auth) -> None:
    headers = auth(make_user("observer")[1])
    for prefecture in ("13", "東京都", "Tokyo"):
        found = client.get("/api/v1/places", params={"q": "中央区", "prefecture": prefecture}, headers=headers)
        assert [p["code"] for p in found.json()] == ["13102"]
    assert len(client.get("/api/v1/places", params={"q": "し", "limit": 3}, headers=headers).json()) == 3


def test_bad_input_names_the_field(client: TestClient, make_user, auth) -> None:
    headers = auth(make_user("observer")[1])
    assert_error(client.get("/api/v1/places", params={"q": " "}, headers=headers), 422, "q")
    assert_error(client.get("/api/v1/places", params={"q": "x", "limit": 0}, headers=headers), 422, "limit")
    assert_error(client.get("/api/v1/places", params={"q": "x", "limit": 51}, headers=headers), 422, "limit")
    assert_error(client.get("/api/v1/places", params={"q": "x", "prefecture": "Atlantis"}, headers=headers),
                 422, "prefecture")


def test_signed_in_users_only(client: TestClient) -> None:
    assert_error(client.get("/api/v1/places", params={"q": "輪島"}), 401)
