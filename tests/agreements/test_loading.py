"""Loading default.toml: what it says, and precise errors for broken copies."""

from __future__ import annotations

import csv
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import agreements
from agreements import Agreement, AgreementError
from tests.conftest import ROOT

KANTO_MEMBERS = '''members = [
    "pref_ibaraki", "pref_tochigi", "pref_gunma",'''
KINKI_MEMBERS = '''members = [
    "pref_shiga", "pref_kyoto", "city_kyoto", "pref_osaka", "city_osaka", "pref_hyogo", "city_kobe",
    "pref_wakayama",
]'''
KINKI_2026 = '''[fiscal_years.2026.blocks.kinki]
coordinator = "pref_osaka"
deputies = ["pref_kyoto", "pref_hyogo", "pref_shiga"]'''
KYUSHU_2026 = '''[fiscal_years.2026.blocks.kyushu]
coordinator = "pref_fukuoka"
deputies = ["pref_kumamoto", "pref_kagoshima", "pref_oita"]
source = "assumption"'''
ROTATION = '''[rotation]
default_days = 5
min_days = 3
max_days = 8
source = "DOMAIN.md 'What support looks like': short rotations of about 3–8 days (Mie to Kumamoto 2016)"'''


def csv_blocks() -> dict[str, set[str]]:
    blocks: dict[str, set[str]] = {}
    with open(ROOT / "data" / "associations.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            blocks.setdefault(row["block"], set()).add(row["id"])
    return blocks


def test_default_blocks_equal_the_reference_data(agreement: Agreement) -> None:
    assert {b.id: set(b.members) for b in agreement.blocks} == csv_blocks()
    assert [len(b.members) for b in agreement.blocks] == [11, 13, 10, 8, 10, 11]
    assert agreement.block_of("pref_niigata").id == "hokkaido_tohoku"
    assert agreement.block_of("pref_okinawa").name_ja == "九州"


def test_default_roles_for_three_fiscal_years(agreement: Agreement) -> None:
    assert sorted(agreement.fiscal_years) == [2025, 2026, 2027]
    for year in agreement.fiscal_years.values():
        assert {b.id for b in agreement.blocks} == set(year.blocks)
        for block_id, roles in year.blocks.items():
            members = set(agreement.block(block_id).members)
            assert {roles.coordinator, *roles.deputies} <= members
            assert 2 <= len(roles.deputies) <= 3
            assert roles.source == "assumption"
    # Chosen so that a Tokyo-inland disaster exercises the deputy fail-over.
    assert agreement.fiscal_years[2026].blocks["kanto"].coordinator == "pref_tokyo"


def test_default_secretariat_stages_and_settings(agreement: Agreement) -> None:
    assert agreement.secretariat.id == "clair"
    assert agreement.secretariat.prefecture_code == "13"
    assert agreement.secretariat.failover.blocks[0] == "kinki"
    assert agreement.stages.cross_block_opening == "secretariat"
    assert agreement.stages.partners_of("hokkaido_tohoku")[0] == "kanto"
    # First partners are mutual pairs.
    for block in agreement.blocks:
        first = agreement.stages.partners_of(block.id)[0]
        assert agreement.stages.partners_of(first)[0] == block.id
    assert (agreement.rotation.min_days, agreement.rotation.default_days, agreement.rotation.max_days) == (3, 5, 8)
    assert agreement.cost.default == "requester_pays"
    assert set(agreement.cost.allowed) == {"requester_pays", "supporter_pays", "reimbursed"}
    assert agreement.request_timeout_hours == 24
    assert agreement.counterpart_mode is False
    assert agreement.partner_order == "strict"


def test_default_kinds_and_languages(agreement: Agreement) -> None:
    assert [k.id for k in agreement.kinds] == [
        "centre_staff", "onsite_interpretation", "remote_interpretation", "translation", "plain_japanese",
        "shelter_rounds", "hotline", "media_embassy_liaison"]
    assert {k.id for k in agreement.kinds if k.remote} == {
        "translation", "remote_interpretation", "plain_japanese", "hotline"}
    assert agreement.is_remote("translation") and not agreement.is_remote("shelter_rounds")
    assert [lang.tag for lang in agreement.languages] == [
        "en", "zh", "zh-Hans", "zh-Hant", "ko", "vi", "tl", "pt", "pt-BR", "es", "ne", "id", "my", "th", "si", "km",
        "mn", "bn", "ur", "ja-x-easy"]
    assert agreement.language("JA-X-EASY").name_ja == "やさしい日本語"
    assert agreement.language("pt-br").name_en == "Brazilian Portuguese"
    assert all(lang.name_ja != lang.name_en and lang.source for lang in agreement.languages)


def test_every_rule_names_a_source(agreement: Agreement) -> None:
    # meta, blocks, fiscal-year roles, secretariat and stages, kinds, languages, rotation/cost/requests/matching,
    # matching.partner_order, bulletins.earthquake/tsunami/weather, cost.confirm_above_yen_per_person_day,
    # reminders and its four stages.
    assert len(agreement.sources) == 1 + 6 + 3 * 6 + 5 + 8 + 20 + 4 + 1 + 3 + 1 + 5
    assert "在留外国人統計" in agreement.sources["languages[my]"]
    assert "issue 16 item 4" in agreement.sources["reminders"]
    assert "issue 12 item 10" in agreement.sources["matching.partner_order"]
    assert "assumption" in agreement.sources["bulletins.earthquake"]
    assert all(source.strip() for source in agreement.sources.values())
    assert "assumption" in agreement.sources["fiscal_years.2026.blocks.kanto"]
    assert "DOMAIN.md" in agreement.sources["rotation"]


def test_default_is_cached_and_reloaded_when_the_file_changes(broken_copy: Callable[..., Path]) -> None:
    assert agreements.load_agreement() is agreements.load_agreement(agreements.DEFAULT_PATH)
    path = broken_copy()
    first = agreements.load_agreement(path)
    assert agreements.load_agreement(str(path)) is first
    assert first.source_file == str(path.resolve())
    # 30, not later than the first escalation (36 h): [reminders] must come after the answer timeout.
    path.write_text(path.read_text(encoding="utf-8").replace("answer_timeout_hours = 24",
                                                             "answer_timeout_hours = 30"), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10_000_000))
    assert agreements.load_agreement(path).request_timeout_hours == 30


BROKEN = [
    pytest.param([(KANTO_MEMBERS, KANTO_MEMBERS.replace('"pref_ibaraki"', '"pref_toyama", "pref_ibaraki"'))],
                 "blocks[tokai_hokuriku].members", "pref_toyama is also a member of block 'kanto'",
                 id="association-in-two-blocks"),
    pytest.param([(KANTO_MEMBERS, KANTO_MEMBERS.replace('"pref_ibaraki"', '"pref_atlantis", "pref_ibaraki"'))],
                 "blocks[kanto].members", "unknown association id 'pref_atlantis'", id="unknown-association"),
    pytest.param([(KINKI_MEMBERS, "members = []")], "blocks[kinki].members", "the block has no members",
                 id="empty-block"),
    pytest.param([(KINKI_2026, KINKI_2026.replace('"pref_osaka"', '"pref_aichi"'))],
                 "fiscal_years.2026.blocks.kinki.coordinator", "pref_aichi is not a member of block 'kinki'",
                 id="coordinator-not-member"),
    pytest.param([(KINKI_2026, KINKI_2026.replace('"pref_hyogo"', '"pref_tokyo"'))],
                 "fiscal_years.2026.blocks.kinki.deputies", "pref_tokyo is not a member of block 'kinki'",
                 id="deputy-not-member"),
    pytest.param([(KINKI_2026, KINKI_2026.replace('"pref_hyogo"', '"pref_osaka"'))],
                 "fiscal_years.2026.blocks.kinki.deputies", "pref_osaka is listed 2 times",
                 id="coordinator-also-deputy"),
    pytest.param([('"pref_hokkaido", "city_sapporo",', '"pref_hokkaido", "city_sapporo", "pref_shizuoka",'),
                  ('"pref_gifu", "pref_shizuoka",', '"pref_gifu",')],
                 "blocks[hokkaido_tohoku].members",
                 "pref_shizuoka is in block 'tokai_hokuriku' in data/associations.csv", id="member-moved"),
    pytest.param([('"pref_kagoshima", "pref_okinawa",', '"pref_kagoshima",')], "blocks[kyushu].members",
                 "pref_okinawa (block 'kyushu' in data/associations.csv) is in no block", id="member-missing"),
    pytest.param([('default = "requester_pays"', 'default = "government_pays"')], "cost.default",
                 "requester_pays", id="unknown-cost-policy"),
    pytest.param([('allowed = ["requester_pays", "supporter_pays", "reimbursed"]', 'allowed = ["supporter_pays"]')],
                 "cost.default", "not in cost.allowed", id="default-cost-not-allowed"),
    pytest.param([('id = "hotline"', 'id = "translation"')], "kinds[translation]", "duplicate id 'translation'",
                 id="duplicate-kind"),
    pytest.param([('id = "hotline"\nname_ja = "相談ホットライン"\nname_en = "Consultation hotline"\nremote = true',
                   'id = "hotline"\nname_ja = "相談ホットライン"\nname_en = "Consultation hotline"\nremote = "maybe"')],
                 "kinds[hotline].remote", "boolean", id="kind-remote-not-boolean"),
    pytest.param([('cross_block_opening = "secretariat"', 'cross_block_opening = "whenever"')],
                 "stages.cross_block_opening", "'secretariat' or 'automatic'", id="unknown-opening"),
    pytest.param([(ROTATION, ROTATION.replace('\nsource = "DOMAIN.md', '\n# source = "DOMAIN.md'))],
                 "rotation.source", 'every rule must name its source or say "assumption"',
                 id="rule-without-source"),
    pytest.param([(KYUSHU_2026, KYUSHU_2026.replace('source = "assumption"', 'source = "  "'))],
                 "fiscal_years.2026.blocks.kyushu.source", "must name a source", id="blank-source"),
    pytest.param([(KYUSHU_2026, "")], "fiscal_years.2026.blocks.kyushu",
                 "fiscal year 2026 names no coordinator for block 'kyushu'", id="missing-fiscal-year-entry"),
    pytest.param([("[rotation]", "[rotation\n")], "line", "not valid TOML", id="bad-toml"),
    pytest.param([('deputies = ["pref_kyoto", "pref_hyogo", "pref_shiga"]',
                   'deputys = ["pref_kyoto", "pref_hyogo", "pref_shiga"]')],
                 "fiscal_years.2026.blocks.kinki.deputys", "unknown key", id="typo-key"),
    pytest.param([('kyushu = ["chugoku_shikoku"]', 'kyushu = ["okinawa_islands"]')],
                 "stages.partner_blocks.order.kyushu", "unknown block 'okinawa_islands'", id="unknown-partner"),
    pytest.param([('kyushu = ["chugoku_shikoku"]', 'kyushu = ["kyushu"]')],
                 "stages.partner_blocks.order.kyushu", "its own partner", id="self-partner"),
    pytest.param([('blocks = ["kinki", "tokai_hokuriku",', 'blocks = ["kansai", "tokai_hokuriku",')],
                 "secretariat.failover.blocks", "unknown block 'kansai'", id="unknown-failover-block"),
    pytest.param([("default_days = 5", "default_days = 10")], "rotation.default_days",
                 "between min_days (3) and max_days (8)", id="rotation-out-of-range"),
    pytest.param([('tag = "ja-x-easy"', 'tag = "plain japanese"')], "languages[plain japanese].tag",
                 "not a valid BCP 47 language tag", id="bad-language-tag"),
    pytest.param([('[[languages]]\ntag = "th"', '[[languages]]\ntag = "EN"')], "languages[en]",
                 "duplicate id 'en'", id="duplicate-language"),
    pytest.param([('prefecture_code = "13"', 'prefecture_code = "48"')], "secretariat.prefecture_code",
                 "pattern", id="bad-secretariat-prefecture"),
    pytest.param([('partner_order = "strict"', 'partner_order = "nearest"')], "matching.partner_order",
                 "'strict' or 'distance'", id="bad-partner-order"),
]


@pytest.mark.parametrize(("replacements", "key", "problem"), BROKEN)
def test_broken_copy_names_file_key_and_problem(broken_copy: Callable[..., Path],
                                                replacements: list[tuple[str, str]], key: str, problem: str) -> None:
    path = broken_copy(*replacements)
    with pytest.raises(AgreementError) as caught:
        agreements.load_agreement(path)
    error = caught.value
    assert error.file == str(path.resolve())
    assert error.key.startswith(key), error.key
    assert problem in error.problem
    assert str(error) == f"{error.file}: {error.key}: {error.problem}"
    assert error.problem_ja


def test_bad_toml_names_the_line(broken_copy: Callable[..., Path]) -> None:
    text = agreements.DEFAULT_PATH.read_text(encoding="utf-8")
    line = text.splitlines().index("[rotation]") + 1
    path = broken_copy(("[rotation]", "[rotation"))
    with pytest.raises(AgreementError) as caught:
        agreements.load_agreement(path)
    assert caught.value.key == f"line {line}"


def test_missing_file_is_an_agreement_error(tmp_path: Path) -> None:
    with pytest.raises(AgreementError) as caught:
        agreements.load_agreement(tmp_path / "nowhere.toml")
    assert caught.value.key == "(file)"
    assert "cannot read" in caught.value.problem
