"""Eligible supporters for a need, and the reason for every excluded association."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import agreements
import geo
from agreements import Agreement, Capability, Eligibility, InvalidQuestion, eligible_supporters

ALL_IDS = tuple(a.id for a in geo.associations())
WAJIMA, MASHIKI = "17204", "43443"


def accounted_once(result: Eligibility) -> None:
    ids = [c.association_id for c in result.eligible] + [e.association_id for e in result.excluded]
    assert len(ids) == len(set(ids)) == 63
    assert set(ids) == set(ALL_IDS)


def ranked(result: Eligibility) -> list[str]:
    return [c.association_id for c in result.eligible]


def test_noto_stage_one_nearest_first_and_no_stage_two(agreement: Agreement) -> None:
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="onsite_interpretation", language="vi",
                                 place=WAJIMA, affected={"pref_ishikawa"}, cross_block_open=False)
    accounted_once(result)
    expected = set(agreement.block("tokai_hokuriku").members) - {"pref_ishikawa"}
    assert set(ranked(result)) == expected
    assert all(c.stage == 1 and c.block == "tokai_hokuriku" for c in result.eligible)
    assert set(ranked(result)[:2]) == {"pref_toyama", "pref_fukui"}
    distances = [c.distance_km for c in result.eligible]
    assert distances == sorted(distances) and distances[0] > 0
    assert result.eligible[0].distance_km == pytest.approx(geo.place_to_association_km(WAJIMA, "pref_toyama"),
                                                           abs=0.05)
    codes = {e.association_id: e.code for e in result.excluded}
    assert codes.pop("pref_ishikawa") == "requester"
    assert set(codes.values()) == {"cross_block_closed"} and len(codes) == 53
    closed = [e for e in result.excluded if e.code == "cross_block_closed"]
    assert all("cross-block support is not open" in e.reason_en and "第2段階" in e.reason_ja for e in closed)


def test_noto_once_cross_block_open_partner_blocks_come_next(agreement: Agreement) -> None:
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="onsite_interpretation", language="vi",
                                 place=WAJIMA, affected={"pref_ishikawa"}, cross_block_open=True)
    accounted_once(result)
    assert len(result.eligible) == 62
    stages = [c.stage for c in result.eligible]
    assert stages == sorted(stages) and stages.count(1) == 9
    stage_two = [c for c in result.eligible if c.stage == 2]
    blocks_in_order = list(dict.fromkeys(c.block for c in stage_two if c.partner_rank is not None))
    assert blocks_in_order == list(agreement.stages.partners_of("tokai_hokuriku"))
    assert [c.partner_rank for c in stage_two[:8]] == [1] * 8  # all of kinki first
    unranked = [c for c in stage_two if c.partner_rank is None]
    assert {c.block for c in unranked} == {"chugoku_shikoku", "kyushu"}
    assert stage_two[-len(unranked):] == unranked
    assert [c.distance_km for c in unranked] == sorted(c.distance_km for c in unranked)
    assert "partner block no. 1" in stage_two[0].reasons_en[0]


def test_kumamoto_kyushu_first(agreement: Agreement) -> None:
    affected = {"pref_kumamoto", "city_kumamoto"}
    result = eligible_supporters(agreement, requester="city_kumamoto", kind="shelter_rounds", language="zh",
                                 place=MASHIKI, affected=affected, cross_block_open=True)
    accounted_once(result)
    kyushu = [c for c in result.eligible if c.block == "kyushu"]
    assert ranked(result)[:len(kyushu)] == [c.association_id for c in kyushu]
    assert len(kyushu) == 9
    assert result.eligible[len(kyushu)].block == "chugoku_shikoku"  # kyushu's first partner block
    codes = {e.association_id: e.code for e in result.excluded}
    assert codes == {"city_kumamoto": "requester", "pref_kumamoto": "affected"}


def test_remote_kinds_have_distance_zero_and_rank_by_id(agreement: Agreement) -> None:
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="translation", language="pt",
                                 place=WAJIMA, affected={"pref_ishikawa"}, cross_block_open=True)
    accounted_once(result)
    assert all(c.distance_km == 0 for c in result.eligible)
    assert all("remote: distance does not matter" in c.reasons_en for c in result.eligible)
    stage_one = ranked(result)[:9]
    assert stage_one == sorted(stage_one)
    kinki = [c.association_id for c in result.eligible if c.partner_rank == 1]
    assert kinki == sorted(kinki)


def test_without_place_distance_is_from_the_requester(agreement: Agreement) -> None:
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="centre_staff", language="en",
                                 place=None, affected=(), cross_block_open=False)
    first = result.eligible[0]
    assert first.distance_km == pytest.approx(geo.association_distance_km("pref_ishikawa", first.association_id),
                                              abs=0.05)
    # Names beside ids, not bare codes (issue 14: people read these reasons).
    assert "from the requester pref_ishikawa (Ishikawa" in first.reasons_en[1]
    assert "要請元 石川県国際交流協会（pref_ishikawa） から" in first.reasons_ja[1]


def test_with_place_the_reason_names_the_municipality(agreement: Agreement) -> None:
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="centre_staff", language="en",
                                 place=WAJIMA, affected={"pref_ishikawa"}, cross_block_open=False)
    assert f"from the place 輪島市 ({WAJIMA})" in result.eligible[0].reasons_en[1]
    assert f"支援場所 輪島市（{WAJIMA}）から" in result.eligible[0].reasons_ja[1]


def test_capabilities_are_checked_when_known(agreement: Agreement) -> None:
    capabilities = {
        "pref_toyama": Capability(languages=frozenset({"en"}), kinds=frozenset({"onsite_interpretation"})),
        "pref_fukui": Capability(languages=frozenset({"vi"}), kinds=frozenset({"translation"})),
        "pref_gifu": Capability(languages=frozenset({"VI", "en"}), kinds=frozenset({"onsite_interpretation"})),
    }
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="onsite_interpretation", language="vi",
                                 place=WAJIMA, affected={"pref_ishikawa"}, cross_block_open=False,
                                 capabilities=capabilities)
    accounted_once(result)
    codes = {e.association_id: e for e in result.excluded}
    assert codes["pref_toyama"].code == "language_not_offered" and "Vietnamese" in codes["pref_toyama"].reason_en
    assert codes["pref_fukui"].code == "kind_not_offered" and "On-site interpretation" in codes["pref_fukui"].reason_en
    by_id = {c.association_id: c for c in result.eligible}
    assert "offers On-site interpretation in Vietnamese" in by_id["pref_gifu"].reasons_en
    assert "capabilities not known: language and kind not checked" in by_id["pref_aichi"].reasons_en


def test_cross_block_closed_applies_before_capabilities(agreement: Agreement) -> None:
    capabilities = {"pref_osaka": Capability(frozenset(), frozenset())}
    result = eligible_supporters(agreement, requester="pref_ishikawa", kind="hotline", language="en", place=None,
                                 affected=(), cross_block_open=False, capabilities=capabilities)
    assert {e.association_id: e.code for e in result.excluded}["pref_osaka"] == "cross_block_closed"


def test_language_tags_compare_case_insensitively(agreement: Agreement) -> None:
    upper = eligible_supporters(agreement, requester="pref_ishikawa", kind="plain_japanese", language="JA-X-EASY",
                                place=None, affected=(), cross_block_open=False)
    lower = eligible_supporters(agreement, requester="pref_ishikawa", kind="plain_japanese", language="ja-x-easy",
                                place=None, affected=(), cross_block_open=False)
    assert upper == lower


@pytest.mark.parametrize(("field", "value", "key"), [
    ("requester", "pref_atlantis", "requester"), ("kind", "catering", "kind"), ("language", "xx-klingon", "language"),
    ("place", "99999", "place"), ("affected", {"pref_atlantis"}, "affected"),
])
def test_unknown_inputs_name_the_field(agreement: Agreement, field: str, value: object, key: str) -> None:
    question: dict[str, object] = dict(requester="pref_ishikawa", kind="centre_staff", language="en", place=WAJIMA,
                                       affected=(), cross_block_open=False)
    question[field] = value
    with pytest.raises(InvalidQuestion) as caught:
        eligible_supporters(agreement, **question)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert caught.value.key == key and str(value if isinstance(value, str) else "pref_atlantis") in str(caught.value)
    assert caught.value.problem_ja


@settings(max_examples=60, deadline=None)
@given(requester=st.sampled_from(ALL_IDS), affected=st.frozensets(st.sampled_from(ALL_IDS), max_size=40),
       kind=st.sampled_from(["centre_staff", "translation", "shelter_rounds", "hotline"]), open_=st.booleans())
def test_every_association_accounted_for_and_ranking_holds(requester: str, affected: frozenset[str], kind: str,
                                                           open_: bool) -> None:
    agreement = agreements.load_agreement()
    result = eligible_supporters(agreement, requester=requester, kind=kind, language="en", place=None,
                                 affected=affected, cross_block_open=open_)
    accounted_once(result)
    own = agreement.block_of(requester).id
    keys = [(c.stage, c.partner_rank or 10**6 if c.stage == 2 else 0, c.distance_km, c.association_id)
            for c in result.eligible]
    assert keys == sorted(keys)
    for candidate in result.eligible:
        assert candidate.association_id not in affected and candidate.association_id != requester
        assert candidate.stage == (1 if candidate.block == own else 2)
        assert open_ or candidate.stage == 1
        if agreement.is_remote(kind):
            assert candidate.distance_km == 0
