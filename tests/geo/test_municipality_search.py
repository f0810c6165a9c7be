"""Municipality search by name in kanji or by reading in hiragana or katakana."""

from __future__ import annotations

from geo.municipalities import kana_key, search_municipalities


def codes(query: str, **options: object) -> list[str]:
    return [m.code for m in search_municipalities(query, **options)]  # type: ignore[arg-type]


def test_kanji_hiragana_katakana_and_half_width_find_wajima_first() -> None:
    for query in ("輪島", "輪島市", "わじま", "ワジマ", "ﾜｼﾞﾏ", "石川県輪島市", " 輪 島 "):
        assert codes(query)[:1] == ["17204"], query


def test_prefixes_rank_before_substrings_and_exact_before_prefixes() -> None:
    found = codes("わじま")
    assert found[0] == "17204"  # わじまし starts with わじま
    assert "38203" in found  # うわじまし only contains it
    assert codes("府中市") == ["13206", "34208"]  # two exact names, in code order


def test_wards_by_their_own_name_and_with_their_city() -> None:
    assert "01101" in codes("中央区", limit=50)
    assert codes("札幌市中央区") == ["01101"]


def test_prefecture_filter_and_limit() -> None:
    assert codes("中央区", prefecture_code="13") == ["13102"]
    assert len(codes("し", limit=7)) == 7
    assert codes("", limit=5) == [] and codes("輪島", limit=0) == []


def test_nothing_found_is_an_empty_list() -> None:
    assert codes("存在しない町") == []


def test_kana_key_folds_katakana_and_width() -> None:
    assert kana_key("ワジマ シ") == "わじまし" == kana_key("ﾜｼﾞﾏｼ")
