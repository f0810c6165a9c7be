"""Hand-written matching cases: each priority of the objective, every unmet reason, counterpart mode,
fixed people, input errors."""

from __future__ import annotations

import json
from datetime import date

import pytest

from coordinator.matching import (
    UNMET_CODES,
    Arc,
    Fixed,
    MatchingInputError,
    NeedInput,
    Plan,
    SupplyInput,
    solve,
)

DAY = date(2026, 1, 10)


def need(id: str, headcount: int, *, requester: str = "req", language: str = "vi",
         kind: str = "interpretation", remote: bool = False, days: int = 3) -> NeedInput:
    return NeedInput(id, requester, kind, language, headcount, DAY, days, "17202", remote)


def supply(id: str, association: str, headcount: int, *, languages: tuple[str, ...] = ("vi",),
           kinds: tuple[str, ...] = ("interpretation",)) -> SupplyInput:
    return SupplyInput(id, association, frozenset(languages), frozenset(kinds), headcount, None, None)


def arc(need_id: str, supply_id: str, association: str, *, stage: int = 1, km: float = 10.0,
        rank: int | None = None) -> Arc:
    return Arc(need_id, supply_id, association, stage, km, rank, (f"eligible: {association}",),
               (f"応援可能：{association}",))


def people(plan: Plan) -> dict[tuple[str, str], int]:
    return {(p.need_id, p.supply_id): p.headcount for p in plan.proposals}


def test_nearest_supporter_inside_the_block_is_chosen() -> None:
    plan = solve([need("n", 2)], [supply("near", "a", 2), supply("far", "b", 2)],
                 [arc("n", "near", "a", km=20.0), arc("n", "far", "b", km=300.0)], cross_block_open=False)
    assert people(plan) == {("n", "near"): 2}
    assert plan.total_km == pytest.approx(40.0)
    assert plan.unmet == ()


def test_a_far_stage_1_supporter_beats_a_near_stage_2_one() -> None:
    plan = solve([need("n", 2)], [supply("in_block", "a", 2), supply("other_block", "b", 2)],
                 [arc("n", "in_block", "a", km=600.0), arc("n", "other_block", "b", stage=2, km=5.0)],
                 cross_block_open=True)
    assert people(plan) == {("n", "in_block"): 2}
    assert plan.cross_block_people == 0


def test_coverage_comes_before_avoiding_other_blocks() -> None:
    plan = solve([need("n", 3)], [supply("in_block", "a", 1), supply("other_block", "b", 5)],
                 [arc("n", "in_block", "a"), arc("n", "other_block", "b", stage=2)], cross_block_open=True)
    assert people(plan) == {("n", "in_block"): 1, ("n", "other_block"): 2}
    assert (plan.covered, plan.cross_block_people) == (3, 2)


def test_equal_distance_spreads_load_over_associations() -> None:
    supplies = [supply("s_a", "a", 4), supply("s_b", "b", 4)]
    arcs = [arc("n", "s_a", "a", km=50.0), arc("n", "s_b", "b", km=50.0)]
    plan = solve([need("n", 4)], supplies, arcs, cross_block_open=False)
    assert people(plan) == {("n", "s_a"): 2, ("n", "s_b"): 2}


def test_travel_outweighs_load_spreading_even_by_a_tenth_of_a_km() -> None:
    supplies = [supply("s_a", "a", 3), supply("s_b", "b", 3)]
    arcs = [arc("n", "s_a", "a", km=12.5), arc("n", "s_b", "b", km=12.6)]
    plan = solve([need("n", 3)], supplies, arcs, cross_block_open=False)
    assert people(plan) == {("n", "s_a"): 3}


def test_load_counts_already_dispatched_people() -> None:
    # b already sends 2 people (fixed), so the next ones come from a at equal distance.
    needs = [need("old", 2), need("new", 2)]
    supplies = [supply("s_a", "a", 4), supply("s_b", "b", 4)]
    arcs = [arc("old", "s_b", "b"), arc("new", "s_a", "a"), arc("new", "s_b", "b")]
    plan = solve(needs, supplies, arcs, cross_block_open=False, fixed=[Fixed("old", "s_b", 2)])
    assert people(plan) == {("new", "s_a"): 2}


def test_fixed_people_use_capacity_and_cover_the_need() -> None:
    needs = [need("n1", 3), need("n2", 2)]
    supplies = [supply("s", "a", 4)]
    arcs = [arc("n1", "s", "a"), arc("n2", "s", "a")]
    plan = solve(needs, supplies, arcs, cross_block_open=False, fixed=[Fixed("n1", "s", 3)])
    assert people(plan) == {("n2", "s"): 1}
    assert [(u.need_id, u.headcount, u.code) for u in plan.unmet] == [("n2", 1, "capacity_exhausted")]


def test_remote_need_travels_zero_km() -> None:
    plan = solve([need("n", 1, kind="translation", remote=True)],
                 [supply("s", "a", 1, kinds=("translation",))], [arc("n", "s", "a", km=0.0)],
                 cross_block_open=False)
    assert plan.total_km == 0.0
    assert "remote work: no travel" in plan.proposals[0].reasons_en
    assert "遠隔支援のため移動なし" in plan.proposals[0].reasons_ja


def test_proposal_reasons_carry_the_candidate_and_the_supply() -> None:
    plan = solve([need("n", 1)], [supply("s", "a", 1)], [arc("n", "s", "a", km=123.4)],
                 cross_block_open=False)
    reasons = plan.proposals[0].reasons_en
    assert reasons[0] == "eligible: a"
    assert "offers vi for interpretation" in reasons
    assert "stage 1: inside the affected block" in reasons
    assert "123.4 km to travel" in reasons
    assert any("2026-01-10 to 2026-01-12" in r for r in reasons)
    assert plan.proposals[0].reasons_ja[0] == "応援可能：a"
    assert len(plan.proposals[0].reasons_ja) == len(reasons)


def test_unmet_no_eligible_supporter() -> None:
    plan = solve([need("n", 2, language="ne")], [supply("s", "a", 3)], [], cross_block_open=True)
    (unmet,) = plan.unmet
    assert (unmet.need_id, unmet.headcount, unmet.code) == ("n", 2, "no_eligible_supporter")
    assert "ne for interpretation" in unmet.reason_en
    assert "ne・interpretation" in unmet.reason_ja
    assert not plan.recommend_open_cross_block


def test_unmet_no_language_in_block_recommends_opening_cross_block() -> None:
    plan = solve([need("n", 2, language="ne")], [supply("s", "far_away", 3, languages=("ne",))],
                 [arc("n", "s", "far_away", stage=2, km=700.0)], cross_block_open=False)
    (unmet,) = plan.unmet
    assert unmet.code == "no_language_in_block"
    assert "no supporter inside the block offers ne" in unmet.reason_en
    assert "1 associations in other blocks" in unmet.reason_en
    assert "ブロック間支援を開始すれば" in unmet.reason_ja
    assert plan.recommend_open_cross_block
    assert plan.proposals == ()


def test_unmet_cross_block_closed_when_the_block_is_fully_booked() -> None:
    supplies = [supply("inside", "a", 1), supply("outside", "b", 5)]
    arcs = [arc("n", "inside", "a"), arc("n", "outside", "b", stage=2)]
    plan = solve([need("n", 3)], supplies, arcs, cross_block_open=False)
    (unmet,) = plan.unmet
    assert (unmet.headcount, unmet.code) == (2, "cross_block_closed")
    assert "not open" in unmet.reason_en and "ブロック間支援が開始されていません" in unmet.reason_ja
    assert plan.recommend_open_cross_block
    opened = solve([need("n", 3)], supplies, arcs, cross_block_open=True)
    assert opened.unmet == () and opened.cross_block_people == 2 and not opened.recommend_open_cross_block


def test_unmet_capacity_exhausted_does_not_recommend_opening() -> None:
    # The stage-2 supporter's capacity is taken by its own block's need: opening would not help.
    needs = [need("n", 3, requester="r1"), need("m", 2, requester="r2")]
    supplies = [supply("inside", "a", 1), supply("outside", "b", 2)]
    arcs = [arc("n", "inside", "a"), arc("n", "outside", "b", stage=2), arc("m", "outside", "b")]
    plan = solve(needs, supplies, arcs, cross_block_open=False)
    assert [(u.need_id, u.headcount, u.code) for u in plan.unmet] == [("n", 2, "capacity_exhausted")]
    assert "fully booked" in plan.unmet[0].reason_en and "手一杯" in plan.unmet[0].reason_ja
    assert not plan.recommend_open_cross_block


def test_every_unmet_code_is_documented() -> None:
    assert set(UNMET_CODES) == {"no_language_in_block", "cross_block_closed", "capacity_exhausted",
                                "no_eligible_supporter"}


def test_counterpart_mode_gives_each_requester_one_lead() -> None:
    # Without counterpart mode, equal distances spread r1's and r2's people over a and b.
    needs = [need("r1_vi", 2, requester="r1"), need("r1_more", 2, requester="r1"),
             need("r2_vi", 2, requester="r2")]
    supplies = [supply("s_a", "a", 4), supply("s_b", "b", 4)]
    arcs = [arc(n.id, s.id, s.association_id, km=40.0) for n in needs for s in supplies]
    spread = solve(needs, supplies, arcs, cross_block_open=False)
    assert len({p.association_id for p in spread.proposals if p.need_id.startswith("r1")}) == 2
    plan = solve(needs, supplies, arcs, cross_block_open=False, counterpart_mode=True)
    by_requester: dict[str, set[str]] = {}
    for p in plan.proposals:
        by_requester.setdefault(p.need_id[:2], set()).add(p.association_id)
    assert by_requester == {"r1": {"a"}, "r2": {"b"}}
    assert all(any("counterpart: lead supporter" in r for r in p.reasons_en) for p in plan.proposals)
    assert plan.covered == 6


def test_counterpart_mode_adds_co_supporters_only_where_the_lead_cannot_cover() -> None:
    needs = [need("n", 5, requester="r1")]
    supplies = [supply("s_a", "a", 3), supply("s_b", "b", 3), supply("s_c", "c", 3)]
    arcs = [arc("n", "s_a", "a", km=10.0), arc("n", "s_b", "b", km=20.0), arc("n", "s_c", "c", km=30.0)]
    plan = solve(needs, supplies, arcs, cross_block_open=False, counterpart_mode=True)
    assert people(plan) == {("n", "s_a"): 3, ("n", "s_b"): 2}
    co = next(p for p in plan.proposals if p.association_id == "b")
    assert any("co-supporter" in r for r in co.reasons_en)
    assert any("共同支援" in r for r in co.reasons_ja)


def test_counterpart_lead_prefers_the_association_already_on_site() -> None:
    needs = [need("first", 1, requester="r1"), need("second", 2, requester="r1")]
    supplies = [supply("s_a", "a", 3), supply("s_b", "b", 3)]
    arcs = [arc("first", "s_b", "b", km=90.0), arc("second", "s_a", "a", km=10.0),
            arc("second", "s_b", "b", km=90.0)]
    plan = solve(needs, supplies, arcs, cross_block_open=False, fixed=[Fixed("first", "s_b", 1)],
                 counterpart_mode=True)
    assert people(plan) == {("second", "s_b"): 2}


def test_plan_to_dict_is_json_ready() -> None:
    plan = solve([need("n", 2)], [supply("s", "a", 1)], [arc("n", "s", "a", km=12.345)], cross_block_open=False)
    data = json.loads(json.dumps(plan.to_dict(), ensure_ascii=False))
    assert data["covered"] == 1 and data["proposals"][0]["headcount"] == 1
    assert data["unmet"][0]["code"] == "capacity_exhausted"
    assert data["total_km"] == pytest.approx(12.345)


def test_zero_headcount_and_empty_input_give_an_empty_plan() -> None:
    plan = solve([need("n", 0)], [supply("s", "a", 2)], [arc("n", "s", "a")], cross_block_open=True)
    assert (plan.proposals, plan.unmet, plan.covered) == ((), (), 0)
    empty = solve([], [], [], cross_block_open=False)
    assert (empty.proposals, empty.unmet, empty.recommend_open_cross_block) == ((), (), False)


@pytest.mark.parametrize(("arcs", "fixed", "field"), [
    ([arc("missing", "s", "a")], [], "arcs.need_id"),
    ([arc("n", "missing", "a")], [], "arcs.supply_id"),
    ([arc("n", "s", "b")], [], "arcs.association_id"),
    ([arc("n", "s", "a", stage=3)], [], "arcs.stage"),
    ([arc("n", "s", "a", km=float("nan"))], [], "arcs.distance_km"),
    ([arc("n", "s", "a", stage=2, rank=0)], [], "arcs.partner_rank"),
    ([arc("n", "s", "a", stage=1, rank=1)], [], "arcs.partner_rank"),
    ([arc("n", "s", "a"), arc("n", "s", "a")], [], "arcs"),
    ([], [Fixed("n", "missing", 1)], "fixed.supply_id"),
    ([], [Fixed("missing", "s", 1)], "fixed.need_id"),
    ([], [Fixed("n", "s", 0)], "fixed.headcount"),
])
def test_bad_input_names_the_field_in_both_languages(arcs: list[Arc], fixed: list[Fixed], field: str) -> None:
    with pytest.raises(MatchingInputError) as caught:
        solve([need("n", 1)], [supply("s", "a", 1)], arcs, cross_block_open=True, fixed=fixed)
    assert caught.value.field == field
    assert caught.value.message_en and caught.value.message_ja
    assert caught.value.message_en != caught.value.message_ja


def test_negative_headcount_and_duplicate_ids_are_refused() -> None:
    with pytest.raises(MatchingInputError, match=r"needs\.headcount"):
        solve([need("n", -1)], [], [], cross_block_open=True)
    with pytest.raises(MatchingInputError, match=r"supplies\.id"):
        solve([], [supply("s", "a", 1), supply("s", "b", 1)], [], cross_block_open=True)


def test_a_very_large_headcount_is_still_solved_exactly() -> None:
    # Weights bounded per residual cycle, not per plan, keep ten million people inside int64.
    plan = solve([need("n", 10**7)], [supply("s", "a", 10**7)], [arc("n", "s", "a", km=1000.0)],
                 cross_block_open=True)
    assert plan.covered == 10**7 and plan.total_km == 10**7 * 1000.0


def test_an_instance_too_large_for_exact_integer_costs_is_refused_not_solved_wrongly() -> None:
    huge = 10**15
    with pytest.raises(MatchingInputError) as caught:
        solve([need("n", huge)], [supply("s", "a", huge)], [arc("n", "s", "a", km=1000.0)],
              cross_block_open=True)
    assert "too large" in caught.value.message_en


# Partner order (issue 12 item 10): Okayama's partners are Kyushu (no. 1) and Kinki (no. 2); Fukuoka (Kyushu)
# is farther than Hyogo and Osaka (Kinki).
OKAYAMA = [need("n", 4, requester="okayama")]
PARTNER_SUPPLIES = [supply("fukuoka", "fukuoka", 4), supply("hyogo", "hyogo", 2), supply("osaka", "osaka", 2)]
PARTNER_ARCS = [arc("n", "fukuoka", "fukuoka", stage=2, km=230.0, rank=1),
                arc("n", "hyogo", "hyogo", stage=2, km=110.0, rank=2),
                arc("n", "osaka", "osaka", stage=2, km=160.0, rank=2)]


def reasons(plan: Plan, supply_id: str) -> str:
    return " / ".join(r for p in plan.proposals if p.supply_id == supply_id for r in (*p.reasons_en, *p.reasons_ja))


def test_strict_partner_order_sends_partner_no_1_before_a_nearer_partner_no_2() -> None:
    plan = solve(OKAYAMA, PARTNER_SUPPLIES, PARTNER_ARCS, cross_block_open=True, partner_order="strict")
    assert people(plan) == {("n", "fukuoka"): 4}
    assert plan.partner_order == "strict"
    assert "partner order (agreement: strict): the best-ranked partner block that offers this" in reasons(
        plan, "fukuoka")
    assert "パートナー順位（協定：順位どおり）" in reasons(plan, "fukuoka")


def test_distance_partner_order_lets_travel_decide_and_says_so() -> None:
    plan = solve(OKAYAMA, PARTNER_SUPPLIES, PARTNER_ARCS, cross_block_open=True, partner_order="distance")
    assert people(plan) == {("n", "hyogo"): 2, ("n", "osaka"): 2}
    assert "a better-ranked partner block offers this too, but travel decides" in reasons(plan, "hyogo")
    assert "距離優先" in reasons(plan, "osaka")


def test_strict_partner_order_uses_the_next_partner_only_for_what_no_1_cannot_send() -> None:
    short = [supply("fukuoka", "fukuoka", 1), *PARTNER_SUPPLIES[1:]]
    plan = solve(OKAYAMA, short, PARTNER_ARCS, cross_block_open=True, partner_order="strict")
    assert people(plan) == {("n", "fukuoka"): 1, ("n", "hyogo"): 2, ("n", "osaka"): 1}
    assert "better-ranked partner blocks that offer this have no one left" in reasons(plan, "hyogo")


def test_a_lower_ranked_partner_is_the_best_when_no_better_one_offers() -> None:
    plan = solve(OKAYAMA, PARTNER_SUPPLIES[1:], PARTNER_ARCS[1:], cross_block_open=True, partner_order="strict")
    assert people(plan) == {("n", "hyogo"): 2, ("n", "osaka"): 2}
    assert "the best-ranked partner block that offers this" in reasons(plan, "hyogo")
    assert "no one left" not in reasons(plan, "osaka")


def test_partners_come_before_non_partners_but_after_stage_1_and_coverage() -> None:
    supplies = [supply("kinki", "kinki", 2), supply("tokai", "tokai", 2), supply("own", "own", 1)]
    arcs = [arc("n", "kinki", "kinki", stage=2, km=400.0, rank=2),
            arc("n", "tokai", "tokai", stage=2, km=50.0),  # not a partner of the requester's block
            arc("n", "own", "own", stage=1, km=900.0)]
    plan = solve([need("n", 3)], supplies, arcs, cross_block_open=True, partner_order="strict")
    assert people(plan) == {("n", "own"): 1, ("n", "kinki"): 2}
    # Coverage first: a non-partner is still used when partners have no one left.
    plan = solve([need("n", 5)], supplies, arcs, cross_block_open=True, partner_order="strict")
    assert people(plan) == {("n", "own"): 1, ("n", "kinki"): 2, ("n", "tokai"): 2}
    assert "better-ranked partner blocks that offer this have no one left" in reasons(plan, "tokai")


def test_counterpart_lead_follows_strict_partner_order() -> None:
    # Hyogo alone could cover everything and is nearer: without the partner order it would lead.
    supplies = [supply("fukuoka", "fukuoka", 4), supply("hyogo", "hyogo", 4)]
    plan = solve(OKAYAMA, supplies, PARTNER_ARCS[:2], cross_block_open=True, counterpart_mode=True,
                 partner_order="strict")
    assert people(plan) == {("n", "fukuoka"): 4}
    assert "counterpart: lead supporter of okayama" in reasons(plan, "fukuoka")
    plan = solve(OKAYAMA, supplies, PARTNER_ARCS[:2], cross_block_open=True, counterpart_mode=True,
                 partner_order="distance")
    assert people(plan) == {("n", "hyogo"): 4}


def test_an_unknown_partner_order_is_refused() -> None:
    with pytest.raises(MatchingInputError) as caught:
        solve(OKAYAMA, PARTNER_SUPPLIES, PARTNER_ARCS, cross_block_open=True, partner_order="nearest")
    assert caught.value.field == "partner_order"
