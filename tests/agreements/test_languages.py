"""agreements/languages.py: the one BCP 47 parser, resolving tags against the agreement, and the variant
rule that eligibility and the plan use (issue 12 item 12)."""

from __future__ import annotations

import pytest

from agreements import Agreement, Capability, eligible_supporters
from agreements.languages import UnknownLanguage, canonical, is_well_formed, normalise, resolve, serves, serving


@pytest.mark.parametrize("tag", ["en", "pt-BR", "zh-Hant", "zh-Hant-TW", "ja-x-easy", "sr-Latn-RS", "es-419",
                                 "de-CH-1996", "en-a-bbb-x-a-ccc", "x-whatever"])
def test_well_formed_tags(tag: str) -> None:
    assert is_well_formed(tag)


@pytest.mark.parametrize("tag", ["", "english!", "not a tag", "e", "pt_BR", "en--US", "i-klingon", "en-a-bb-a-cc",
                                 "a" * 36, "x"])
def test_malformed_tags(tag: str) -> None:
    assert not is_well_formed(tag)


@pytest.mark.parametrize(("tag", "expected"), [("PT-br", "pt-BR"), ("ZH-HANT-tw", "zh-Hant-TW"),
                                               ("JA-X-EASY", "ja-x-easy"), ("es-419", "es-419")])
def test_normalise_follows_the_rfc_case(tag: str, expected: str) -> None:
    assert normalise(tag) == expected


@pytest.mark.parametrize(("offered", "needed", "expected"), [
    ("pt", "pt-BR", True), ("pt-BR", "pt", True), ("PT-br", "pt-BR", True), ("pt", "pt", True),
    ("zh", "zh-Hant", True), ("zh-Hans", "zh", True), ("zh-Hant", "zh-Hant-TW", True),
    ("zh-Hans", "zh-Hant", False), ("pt-BR", "pt-PT", False), ("pt", "es", False), ("zh", "zh-TW", True),
    ("ja", "ja-x-easy", False), ("ja-x-easy", "ja", False), ("ja-x-easy", "JA-X-EASY", True),
    ("my", "mn", False),
])
def test_a_variant_and_its_base_serve_each_other_siblings_do_not(offered: str, needed: str,
                                                                  expected: bool) -> None:
    assert serves(offered, needed) is expected


def test_serving_prefers_the_tag_itself() -> None:
    assert serving({"pt", "pt-br"}, "pt-br") == "pt-br"
    assert serving({"zh-hans", "zh"}, "zh-hant") == "zh"
    assert serving({"zh-hans"}, "zh-hant") is None


def test_resolve_returns_the_agreement_language_and_its_spelling(agreement: Agreement) -> None:
    assert resolve(agreement, "MY").name_ja == "ミャンマー語"
    assert canonical(agreement, "pt-br") == "pt-BR" and canonical(agreement, "zh-hans") == "zh-Hans"
    assert agreement.language("Si").name_en == "Sinhala"


@pytest.mark.parametrize(("tag", "hint_en", "hint_ja"), [
    ("fr", None, None), ("english!", "not a BCP 47 language tag", "言語タグとして正しくありません"),
    ("en-US", "did you mean en?", "英語（en） のことですか"),
    ("pt-PT", "did you mean pt?", "ポルトガル語（pt） のことですか"),
])
def test_unknown_tags_are_refused_naming_every_known_language(agreement: Agreement, tag: str,
                                                              hint_en: str | None, hint_ja: str | None) -> None:
    with pytest.raises(UnknownLanguage) as caught:
        resolve(agreement, tag)
    error = caught.value
    assert error.key == "language" and isinstance(error, ValueError)
    assert [k["tag"] for k in error.known] == [lang.tag for lang in agreement.languages]
    for lang in agreement.languages:
        assert f"{lang.tag} {lang.name_en}" in error.problem and f"{lang.name_ja}（{lang.tag}）" in error.problem_ja
    if hint_en:
        assert hint_en in error.problem and hint_ja in error.problem_ja


def test_eligibility_takes_a_variant_or_base_and_names_what_is_offered(agreement: Agreement) -> None:
    capabilities = {
        "pref_toyama": Capability(languages=frozenset({"pt"}), kinds=frozenset({"centre_staff"})),
        "pref_fukui": Capability(languages=frozenset({"pt-BR"}), kinds=frozenset({"centre_staff"})),
        "pref_gifu": Capability(languages=frozenset({"es"}), kinds=frozenset({"centre_staff"})),
    }
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="centre_staff", language="pt-br",
                                 place=None, affected={"pref_ishikawa"}, cross_block_open=False,
                                 capabilities=capabilities)
    by_id = {c.association_id: c for c in result.eligible}
    assert "offers Multilingual support centre staff in Portuguese (pt, for the need's pt-BR)" in \
        by_id["pref_toyama"].reasons_en
    assert any("ポルトガル語で" in r and "ニーズは pt-BR" in r for r in by_id["pref_toyama"].reasons_ja)
    assert "offers Multilingual support centre staff in Brazilian Portuguese" in by_id["pref_fukui"].reasons_en
    excluded = {e.association_id: e for e in result.excluded}
    assert excluded["pref_gifu"].code == "language_not_offered" and "variant" in excluded["pref_gifu"].reason_en


def test_simplified_and_traditional_chinese_stay_apart(agreement: Agreement) -> None:
    capabilities = {"pref_toyama": Capability(languages=frozenset({"zh-Hans"}), kinds=frozenset({"translation"}))}
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="translation", language="zh-Hant",
                                 place=None, affected={"pref_ishikawa"}, cross_block_open=False,
                                 capabilities=capabilities)
    assert {e.association_id: e.code for e in result.excluded}["pref_toyama"] == "language_not_offered"
