"""Noto 2024 and Kumamoto 2016: the real agreement rules (agreements.eligible_supporters) feed
build_arcs and solve, and the plans are the sensible ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from agreements import eligible_supporters, load_agreement
from coordinator.matching import NeedInput, Plan, SupplyInput, build_arcs, solve

LANGUAGES_ALL = frozenset({"en", "zh", "ko", "vi", "pt", "es", "tl", "ne", "id", "th"})


@pytest.fixture(scope="module")
def agreement():  # type: ignore[no-untyped-def]
    return load_agreement()


def offer(association: str, headcount: int, languages: set[str], kinds: set[str]) -> SupplyInput:
    return SupplyInput(f"{association}:offer", association, frozenset(languages), frozenset(kinds), headcount,
                       date(2024, 1, 2), date(2024, 2, 29))


def eligibility_for(agreement, affected: set[str]) -> Callable[[NeedInput], object]:  # type: ignore[no-untyped-def]
    # The network is built with stage 2 included; solve() applies the real cross-block state.
    return lambda need: eligible_supporters(
        agreement, requester=need.requester, kind=need.kind, language=need.language, place=need.place,
        affected=affected, cross_block_open=True).eligible


def by_need(plan: Plan) -> dict[str, list[tuple[str, int, int]]]:
    out: dict[str, list[tuple[str, int, int]]] = {}
    for p in plan.proposals:
        out.setdefault(p.need_id, []).append((p.association_id, p.headcount, p.stage))
    return out


def test_noto_2024_stage_1_nearest_first_then_cross_block_for_nepali(agreement) -> None:  # type: ignore[no-untyped-def]
    affected = {"pref_ishikawa"}
    start = date(2024, 1, 8)
    needs = [
        NeedInput("wajima_vi", "pref_ishikawa", "onsite_interpretation", "vi", 4, start, 5, "17204", False),
        NeedInput("centre_en", "pref_ishikawa", "centre_staff", "en", 2, start, 7, "17201", False),
        NeedInput("notice_ne", "pref_ishikawa", "translation", "ne", 2, start, 3, "17201", True),
    ]
    supplies = [
        offer("pref_ishikawa", 5, {"vi", "en", "ne"}, {"onsite_interpretation", "centre_staff", "translation"}),
        offer("pref_toyama", 2, {"vi", "en"}, {"onsite_interpretation", "centre_staff"}),
        offer("pref_fukui", 2, {"vi"}, {"onsite_interpretation"}),
        offer("pref_aichi", 5, {"vi", "pt", "en"}, {"onsite_interpretation", "centre_staff"}),
        offer("pref_niigata", 3, {"vi", "ne"}, {"onsite_interpretation", "translation"}),
        offer("pref_tokyo", 3, {"ne", "en"}, {"translation"}),
    ]
    arcs = build_arcs(needs, supplies, eligibility_for(agreement, affected))
    assert all(a.association_id != "pref_ishikawa" for a in arcs)

    closed = solve(needs, supplies, arcs, cross_block_open=False)
    plan = by_need(closed)
    # Toyama is nearest to Wajima, then Fukui (both 東海・北陸); no stage 2 while closed.
    assert sorted(plan["wajima_vi"]) == [("pref_fukui", 2, 1), ("pref_toyama", 2, 1)]
    assert plan["centre_en"] == [("pref_aichi", 2, 1)]
    assert closed.cross_block_people == 0
    (unmet,) = closed.unmet
    assert (unmet.need_id, unmet.code) == ("notice_ne", "no_language_in_block")
    assert closed.recommend_open_cross_block

    opened = solve(needs, supplies, arcs, cross_block_open=True)
    plan = by_need(opened)
    assert opened.unmet == ()
    assert opened.cross_block_people == 2
    assert all(stage == 2 for _, _, stage in plan["notice_ne"])
    assert sorted(plan["wajima_vi"]) == [("pref_fukui", 2, 1), ("pref_toyama", 2, 1)]
    assert opened.total_km == pytest.approx(closed.total_km)  # remote translation travels 0 km


def test_kumamoto_2016_kyushu_supporters_first(agreement) -> None:  # type: ignore[no-untyped-def]
    affected = {"pref_kumamoto", "city_kumamoto"}
    start = date(2024, 1, 10)  # inside the offers' window
    needs = [
        NeedInput("shelter_vi", "city_kumamoto", "shelter_rounds", "vi", 3, start, 4, "43100", False),
        NeedInput("hotline_zh", "pref_kumamoto", "hotline", "zh", 2, start, 4, "43100", True),
    ]
    kinds = {"shelter_rounds", "hotline"}
    supplies = [
        offer("city_fukuoka", 2, {"vi", "zh"}, kinds),
        offer("pref_kagoshima", 2, {"vi"}, kinds),
        offer("pref_oita", 1, {"vi", "zh"}, kinds),
        offer("pref_hiroshima", 5, {"vi", "zh"}, kinds),  # 中国・四国: stage 2
        offer("city_kumamoto", 4, {"vi", "zh"}, kinds),  # affected: never proposed
    ]
    arcs = build_arcs(needs, supplies, eligibility_for(agreement, affected))
    for cross_block_open in (False, True):
        result = solve(needs, supplies, arcs, cross_block_open=cross_block_open)
        assert result.covered == 5 and result.unmet == ()
        assert result.cross_block_people == 0  # Kyushu can cover everything: Hiroshima is not needed
        assert not {p.association_id for p in result.proposals} & affected
        reasons = " ".join(r for p in result.proposals for r in p.reasons_en)
        assert "stage 1: same block as the requester" in reasons
