"""Property tests of the solver on random small instances, against independent references."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from itertools import product

from hypothesis import given, settings

from coordinator.matching import solve
from tests.matching.instances import (
    Instance,
    instances,
    milp_tiers,
    plan_tiers,
    reference_max_flow,
    remaining,
)

SETTINGS = settings(derandomize=True, max_examples=80, deadline=None)


# Every example is solved with cross-block support closed and open (and, where it matters, with and
# without counterpart mode, under both partner orders): drawing these flags with hypothesis would mostly
# draw False.
BOTH = (False, True)
ORDERS = ("strict", "distance")


@SETTINGS
@given(instance=instances())
def test_plan_respects_capacity_eligibility_and_stages(instance: Instance) -> None:
    for cross_block_open, counterpart in product(BOTH, BOTH):
        check_plan_respects_capacity_eligibility_and_stages(instance, cross_block_open, counterpart)


def check_plan_respects_capacity_eligibility_and_stages(instance: Instance, cross_block_open: bool,
                                                        counterpart: bool) -> None:
    """Capacity, eligibility, stage and accounting invariants of one plan."""
    plan = solve(instance.needs, instance.supplies, instance.arcs, cross_block_open=cross_block_open,
                 fixed=instance.fixed, counterpart_mode=counterpart)
    need_left, supply_left, _ = remaining(instance)
    arc_keys = {(a.need_id, a.supply_id): a for a in instance.arcs}
    to_supply: dict[str, int] = defaultdict(int)
    to_need: dict[str, int] = defaultdict(int)
    for p in plan.proposals:
        assert p.headcount > 0
        arc = arc_keys[(p.need_id, p.supply_id)]  # never a pairing outside the arcs
        assert p.association_id == arc.association_id
        assert p.association_id not in instance.affected
        assert p.stage == arc.stage
        assert cross_block_open or p.stage == 1
        to_supply[p.supply_id] += p.headcount
        to_need[p.need_id] += p.headcount
    # Capacity net of the fixed (accepted, en route, on site) people is never exceeded.
    assert all(to_supply[s] <= supply_left[s] for s in to_supply)
    assert all(to_need[n] <= need_left[n] for n in to_need)
    # Every person still needed is either proposed or reported unmet, exactly once.
    unmet = {u.need_id: u.headcount for u in plan.unmet}
    assert len(unmet) == len(plan.unmet)
    for n, left in need_left.items():
        assert to_need[n] + unmet.get(n, 0) == left
    assert plan.covered == sum(to_need.values())
    assert plan.cross_block_people == sum(p.headcount for p in plan.proposals if p.stage == 2)


@SETTINGS
@given(instance=instances())
def test_coverage_equals_independent_max_flow(instance: Instance) -> None:
    for cross_block_open in BOTH:
        plan = solve(instance.needs, instance.supplies, instance.arcs, cross_block_open=cross_block_open,
                     fixed=instance.fixed)
        assert plan.covered == reference_max_flow(instance, cross_block_open)
        if not cross_block_open:
            assert plan.recommend_open_cross_block == (reference_max_flow(instance, True) > plan.covered)
        else:
            assert not plan.recommend_open_cross_block


@settings(derandomize=True, max_examples=60, deadline=None)
@given(instance=instances())
def test_lexicographic_objective_equals_independent_milp(instance: Instance) -> None:
    for cross_block_open, partner_order in product(BOTH, ORDERS):
        plan = solve(instance.needs, instance.supplies, instance.arcs, cross_block_open=cross_block_open,
                     fixed=instance.fixed, partner_order=partner_order)
        assert plan_tiers(instance, plan, partner_order) == milp_tiers(instance, cross_block_open, partner_order)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(instance=instances())
def test_counterpart_mode_keeps_coverage_cross_block_and_partner_order_minimal(instance: Instance) -> None:
    for cross_block_open, partner_order in product(BOTH, ORDERS):
        plan = solve(instance.needs, instance.supplies, instance.arcs, cross_block_open=cross_block_open,
                     fixed=instance.fixed, counterpart_mode=True, partner_order=partner_order)
        best = milp_tiers(instance, cross_block_open, partner_order)
        tiers = 3 if partner_order == "strict" else 2
        assert plan_tiers(instance, plan, partner_order)[:tiers] == best[:tiers]


@SETTINGS
@given(instance=instances())
def test_same_input_in_any_order_gives_the_same_plan(instance: Instance) -> None:
    for cross_block_open, counterpart in product(BOTH, BOTH):
        check_same_plan_in_any_order(instance, cross_block_open, counterpart)


def check_same_plan_in_any_order(instance: Instance, cross_block_open: bool, counterpart: bool) -> None:
    """Solving the same input twice, the second time in reversed order, gives the same plan."""
    first = solve(instance.needs, instance.supplies, instance.arcs, cross_block_open=cross_block_open,
                  fixed=instance.fixed, counterpart_mode=counterpart)
    again = solve(list(reversed(instance.needs)), list(reversed(instance.supplies)),
                  list(reversed(instance.arcs)), cross_block_open=cross_block_open,
                  fixed=list(reversed(instance.fixed)), counterpart_mode=counterpart)
    assert replace(first, solve_ms=0.0) == replace(again, solve_ms=0.0)
