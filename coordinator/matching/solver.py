"""The matching solver: one min-cost flow over needs × supplies, optimal in strict priority, explained.

Pure: plain frozen dataclasses in, a `Plan` out; no database, no HTTP. The objective (issue 4), in
strict priority: (1) cover as many people as possible; (2) use as few people from other blocks
(stage 2) as possible, and none while cross-block support is closed; (2b) with the agreement's
`partner_order = "strict"`, partner blocks in the agreement's order (each stage-2 person counts its
block's partner rank); (3) least total travel (person-km; remote needs carry 0 km on their arcs);
(4) spread load over supporter associations.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterable

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

from coordinator.matching.explain import Explainer, explain_unmet
from coordinator.matching.instance import Instance, build_instance, distinct, group_min
from coordinator.matching.types import (
    PARTNER_ORDERS,
    Arc,
    Fixed,
    MatchingInputError,
    Names,
    NeedInput,
    Plan,
    SupplyInput,
)

# Travel is costed in integer units; 10 units per km (0.1 km) first, coarser only if the weights
# would not fit in int64 for a very large instance (see `_choose_weights`).
_UNITS_PER_KM_CHOICES = (10.0, 1.0, 0.1, 0.01)
# OR-Tools' cost scaling multiplies unit costs by (number of nodes + 1) and must stay inside int64;
# we keep a factor of 2 of head room below 2**63 for every quantity we bound.
_COST_LIMIT = 2**62
# Beyond this many people from one association the marginal load cost stops growing: the spread
# preference is for "a few more" vs "many" and this bounds the number of parallel sink arcs.
_MAX_LOAD_STEPS = 256


def solve(
    needs: Iterable[NeedInput],
    supplies: Iterable[SupplyInput],
    arcs: Iterable[Arc],
    *,
    cross_block_open: bool,
    fixed: Iterable[Fixed] = (),
    counterpart_mode: bool = False,
    partner_order: str = "strict",
    names: Names | None = None,
) -> Plan:
    """Solve the matching optimally in strict priority and explain every proposal and unmet need.

    Method: one min-cost flow (OR-Tools `SimpleMinCostFlow.solve_max_flow_with_min_cost`), which first
    finds the maximum flow (priority 1) and then the cheapest flow of that value. Nodes: need → supply →
    supporter association → sink. Each person on a need→supply arc costs
    `stage2 * W_S + partner_cost * W_P + not_lead * W_C + travel_units * W_D`; each association→sink arc is a
    unit step whose
    cost is the number of people that association already sends (fixed ones included), so the k-th
    person from one association costs k-1 (convex, priority 4). The weights make every higher tier
    outweigh the largest possible total of all lower tiers (see `_choose_weights`). Ties left after all
    tiers are broken by OR-Tools on arcs fed in (need id, supply id) order, so the same input in any
    order gives the same plan.

    Partner order (`partner_order="strict"`, the agreement's default): a tier W_P between cross-block
    people (2) and travel (3). Each stage-2 person from partner block no. r costs r - 1; from a block that
    is not a partner, R (R: the largest partner rank among the arcs, so non-partners come after every
    partner). The plan minimises the sum: for one need, a better-ranked partner with people left is
    always used before a worse one, and no person from a better partner is ever swapped for one from a
    worse. With `"distance"` the tier is off and travel decides within stage 2 (the reasons say so where
    a better-ranked partner could have sent people).

    Counterpart mode (MIC's 対口支援, "in principle 1 to 1"): before the solve, each requesting
    association gets one lead supporter association, chosen greedily (requesters with the largest
    remaining demand first, ties by id): an association already sending fixed people to it, else the
    candidate with the lowest stage, then the most people it could cover for that requester, then
    the fewest requesters already led, then the shortest distance, then id (with strict partner order, the
    best partner rank right after the stage). A tier W_C between partner order and travel then charges
    every person who does not come from the requester's lead, so
    co-supporters are used only where the lead cannot cover (coverage and cross-block minimality stay
    strictly first). The lead choice is a heuristic; the flow given the leads is optimal.
    """
    started = time.perf_counter()
    if partner_order not in PARTNER_ORDERS:
        raise MatchingInputError("partner_order", f"must be one of {', '.join(PARTNER_ORDERS)}, got {partner_order!r}",
                                 f"{'、'.join(PARTNER_ORDERS)} のいずれかです（{partner_order!r}）")
    inst = build_instance(needs, supplies, arcs, fixed)
    usable = np.flatnonzero(
        ((inst.arc_stage == 1) | cross_block_open)
        & (inst.need_left[inst.arc_need] > 0) & (inst.supply_left[inst.arc_supply] > 0))
    # Partner-order costs matter only where stage-2 arcs can carry people.
    ranks = partner_costs(inst) if bool((inst.arc_stage[usable] == 2).any()) else None
    applied = ranks if partner_order == "strict" else None
    leads = _choose_leads(inst, usable, applied) if counterpart_mode else None
    flows = _optimise(inst, usable, leads, applied)

    carrying = np.flatnonzero(flows > 0)
    explainer = Explainer(inst, leads, ranks, partner_order, names or Names())
    proposals = explainer.proposals(usable[carrying], flows[carrying])
    n_needs, n_supplies = len(inst.needs), len(inst.supplies)
    covered_by_need = np.bincount(inst.arc_need[usable], weights=flows, minlength=n_needs).astype(np.int64)
    used_by_supply = np.bincount(inst.arc_supply[usable], weights=flows, minlength=n_supplies).astype(np.int64)
    covered = int(covered_by_need.sum())
    missing = inst.need_left - covered_by_need
    unmet = explain_unmet(inst, missing, inst.supply_left - used_by_supply, cross_block_open, names or Names())

    recommend = False
    if not cross_block_open and unmet and bool((inst.arc_stage == 2).any()):
        recommend = _max_coverage(inst) > covered

    return Plan(
        proposals=tuple(proposals),
        unmet=tuple(unmet),
        recommend_open_cross_block=recommend,
        covered=covered,
        cross_block_people=sum(p.headcount for p in proposals if p.stage == 2),
        total_km=sum(p.headcount * p.distance_km for p in proposals),
        solve_ms=(time.perf_counter() - started) * 1000.0,
        partner_order=partner_order,
    )


def partner_costs(inst: Instance) -> np.ndarray:
    """The partner-order cost of one person on each sorted arc: 0 on stage 1, rank - 1 from partner block
    no. rank, and R from a block that is not a partner (R: the largest rank among the arcs)."""
    stage2 = inst.arc_stage == 2
    ranked = stage2 & (inst.arc_partner >= 1)
    last = int(inst.arc_partner[ranked].max(initial=0))
    return np.where(ranked, inst.arc_partner - 1, np.where(stage2, last, 0)).astype(np.int64)


def _choose_leads(inst: Instance, usable: np.ndarray, partner: np.ndarray | None) -> dict[str, str]:
    """Counterpart mode: one lead association per requesting association (method in `solve`)."""
    requesters = sorted({n.requester for n in inst.needs})
    requester_pos = {r: i for i, r in enumerate(requesters)}
    need_requester = np.array([requester_pos[n.requester] for n in inst.needs], dtype=np.int64)
    n_assoc = len(inst.associations)
    demand = np.bincount(need_requester, weights=inst.need_left, minlength=len(requesters)).astype(np.int64)
    capacity = np.bincount(inst.supply_association, weights=inst.supply_left, minlength=n_assoc).astype(np.int64)
    need, assoc = inst.arc_need[usable], inst.arc_association[usable]
    pair = need_requester[need] * n_assoc + assoc
    pairs, stage = group_min(pair, inst.arc_stage[usable])
    _, rank = group_min(pair, partner[usable]) if partner is not None else (None, np.zeros(len(pairs), np.int64))
    _, km = group_min(pair, inst.arc_km[usable])
    # People an association could reach for a requester: each of its reachable needs counted once.
    need_pairs = distinct(need * n_assoc + assoc, len(inst.needs) * n_assoc)
    reach_key = need_requester[need_pairs // n_assoc] * n_assoc + need_pairs % n_assoc
    reach = np.bincount(np.searchsorted(pairs, reach_key), weights=inst.need_left[need_pairs // n_assoc],
                        minlength=len(pairs)).astype(np.int64)
    pair_requester, pair_assoc = pairs // n_assoc, pairs % n_assoc
    bounds = np.searchsorted(pair_requester, np.arange(len(requesters) + 1))

    leads: dict[str, str] = {}
    position = {a: i for i, a in enumerate(inst.associations)}
    led = np.zeros(n_assoc, dtype=np.int64)
    for r in sorted(range(len(requesters)), key=lambda r: (-demand[r], requesters[r])):
        if demand[r] <= 0:
            continue
        name = requesters[r]
        already = {a: n for (req, a), n in inst.pair_fixed.items() if req == name}
        if already:
            lead = min(already, key=lambda a: (-already[a], a))
        elif bounds[r] < bounds[r + 1]:
            lo, hi = bounds[r], bounds[r + 1]
            a = pair_assoc[lo:hi]
            cover = np.minimum(reach[lo:hi], capacity[a])
            # lexsort: last key is primary -> (stage, partner rank, most covered, fewest led, km, id)
            best = np.lexsort((a, km[lo:hi], led[a], -cover, rank[lo:hi], stage[lo:hi]))[0]
            lead = inst.associations[int(a[best])]
        else:
            continue
        leads[name] = lead
        lead_index = position.get(lead)
        if lead_index is not None:
            led[lead_index] += 1
            capacity[lead_index] = max(0, capacity[lead_index] - demand[r])
    return leads


def _choose_weights(inst: Instance, usable: np.ndarray, load_costs: np.ndarray, load_total: int,
                    with_leads: bool, partner: np.ndarray | None, num_nodes: int,
                    ) -> tuple[np.ndarray, int, int, int, int]:
    """Pick travel units per arc and (W_D, W_C, W_P, W_S) so that one unit of a tier outweighs any change in
    all lower tiers together that one residual cycle can make: then the weighted min-cost flow is
    lexicographically optimal, with weights far smaller than whole-plan bounds would give.

    Why cycles: two maximum flows differ by a sum of simple cycles of the residual network, each
    feasible on its own. If the weighted optimum were not lexicographically optimal, one of those cycles
    would improve the tiers lexicographically, and so (by the bounds below) cost less than 0 in weighted
    terms: a contradiction. A simple cycle visits each node at most once, so
    - it passes the sink at most once, entering by one load step and leaving by one: its load changes by
      at most S = (largest load step cost - smallest);
    - it enters each supply (and leaves each need) by at most one forward need→supply arc and leaves each
      supply (and enters each need) by at most one backward one, so its travel changes by at most
      T = min(Σ over supplies, Σ over needs, of their longest arc), its non-lead people by at most
      K = min(number of supplies, number of needs), and its partner-order cost by at most P (as T, with
      each arc's partner cost for its length).
    Hence W_D = S + 1, W_C = W_D · (T + 1), W_P = W_C · (K + 1), W_S = W_P · (P + 1) (without counterpart
    leads W_C = 0 and W_P = W_D · (T + 1)), and each tier exceeds the most all lower tiers can change:
    W_S > W_P·P + W_C·K + W_D·T + S. Without partner-order costs (P = 0) the weights are those of the
    three-tier objective.

    Smaller weights matter: OR-Tools' cost scaling runs one refine phase per factor 5 of the largest cost.
    Bound for int64: the largest arc cost A = W_S + W_P · max_partner + W_C + W_D · max_units must satisfy
    A · (nodes + 1) ≤ 2**62 (OR-Tools scales costs by nodes + 1) and the largest total H · A + load_total
    ≤ 2**62 (H: people to place). We try 0.1 km units first and coarsen (1, 10, 100 km) only when a huge
    instance would break that bound; an instance that breaks it even at 100 km is refused with a precise
    error rather than solved wrongly.
    """
    need, supply = inst.arc_need[usable], inst.arc_supply[usable]
    needs_present = distinct(need, len(inst.needs))
    supplies_present = distinct(supply, len(inst.supplies))
    people = int(inst.need_left[needs_present].sum())
    load_span = int(load_costs.max() - load_costs.min()) if load_costs.size else 0
    w_d = load_span + 1
    lead_span = min(needs_present.size, supplies_present.size)
    partner_span = 0 if partner is None else _cycle_span(partner, need, supply, len(inst.needs), len(inst.supplies))
    partner_max = 0 if partner is None else int(partner.max(initial=0))
    for units_per_km in _UNITS_PER_KM_CHOICES:
        units = np.rint(inst.arc_km[usable] * units_per_km).astype(np.int64)
        travel_span = _cycle_span(units, need, supply, len(inst.needs), len(inst.supplies))
        if with_leads:
            w_c = w_d * (travel_span + 1)
            w_p = w_c * (lead_span + 1)
        else:
            w_c = 0
            w_p = w_d * (travel_span + 1)
        w_s = w_p * (partner_span + 1)
        biggest_arc = w_s + w_p * partner_max + w_c + w_d * int(units.max(initial=0))
        if biggest_arc * (num_nodes + 1) <= _COST_LIMIT and people * biggest_arc + load_total <= _COST_LIMIT:
            return units, w_d, w_c, w_p, w_s
    raise MatchingInputError("arcs", "instance too large for exact integer costs even at 100 km resolution: "
                             "split the disaster's plan by block",
                             "整数コストで厳密に解くには規模が大きすぎます。ブロックごとに分けて計画してください")


def _cycle_span(cost: np.ndarray, need: np.ndarray, supply: np.ndarray, n_needs: int, n_supplies: int) -> int:
    """The most a per-arc cost can change along one simple residual cycle: min over the two sides of the sum
    of each need's (or supply's) largest arc cost."""
    if cost.size == 0 or not cost.any():
        return 0
    by_need = np.zeros(n_needs, dtype=np.int64)
    np.maximum.at(by_need, need, cost)
    by_supply = np.zeros(n_supplies, dtype=np.int64)
    np.maximum.at(by_supply, supply, cost)
    return min(int(by_need.sum()), int(by_supply.sum()))


def _optimise(inst: Instance, usable: np.ndarray, leads: dict[str, str] | None,
              partner: np.ndarray | None) -> np.ndarray:
    """Run the weighted min-cost max-flow and return the people on each usable arc."""
    if usable.size == 0:
        return np.zeros(0, dtype=np.int64)
    n_needs, n_supplies, n_assoc = len(inst.needs), len(inst.supplies), len(inst.associations)
    need, supply, assoc = inst.arc_need[usable], inst.arc_supply[usable], inst.arc_association[usable]
    supply_base, assoc_base = n_needs, n_needs + n_supplies
    sink = assoc_base + n_assoc
    num_nodes = sink + 1 + 2  # +2: the source and sink OR-Tools adds for the max-flow adjustment

    # Load steps: never more than the association could send or its neighbouring needs could take.
    used_supplies = distinct(supply, n_supplies)
    capacity = np.bincount(inst.supply_association[used_supplies], weights=inst.supply_left[used_supplies],
                           minlength=n_assoc).astype(np.int64)
    need_assoc = distinct(need * n_assoc + assoc, n_needs * n_assoc)
    reachable = np.bincount(need_assoc % n_assoc, weights=inst.need_left[need_assoc // n_assoc],
                            minlength=n_assoc).astype(np.int64)
    steps = np.minimum(capacity, reachable)
    unit_steps = np.minimum(steps, _MAX_LOAD_STEPS)
    owners = np.repeat(np.arange(n_assoc), unit_steps)
    k = np.arange(owners.size) - np.repeat(np.cumsum(unit_steps) - unit_steps, unit_steps)
    rest = np.flatnonzero(steps > unit_steps)
    load_owner = np.concatenate([owners, rest])
    load_caps = np.concatenate([np.ones(owners.size, dtype=np.int64), steps[rest] - unit_steps[rest]])
    load_costs = np.concatenate([inst.association_fixed[owners] + k, inst.association_fixed[rest] + _MAX_LOAD_STEPS])
    # Python ints: a product of int64 arrays could wrap silently on a huge instance.
    load_total = sum(map(operator.mul, load_caps.tolist(), load_costs.tolist()))

    partner = partner[usable] if partner is not None and partner.any() else None
    units, w_d, w_c, w_p, w_s = _choose_weights(inst, usable, load_costs, load_total, bool(leads), partner,
                                                num_nodes)
    costs = np.where(inst.arc_stage[usable] == 2, w_s, 0).astype(np.int64) + units * np.int64(w_d)
    if partner is not None:
        costs += partner * np.int64(w_p)
    if leads:
        position = {a: i for i, a in enumerate(inst.associations)}
        requester_lead = np.array([position.get(leads.get(n.requester, ""), -1) for n in inst.needs],
                                  dtype=np.int64)
        costs += np.where(requester_lead[need] != assoc, w_c, 0).astype(np.int64)
    supply_arcs = used_supplies
    tails = np.concatenate([need, supply_base + supply_arcs, assoc_base + load_owner]).astype(np.int32)
    heads = np.concatenate([supply_base + supply, assoc_base + inst.supply_association[supply_arcs],
                            np.full(load_owner.size, sink)]).astype(np.int32)
    caps = np.concatenate([np.minimum(inst.need_left[need], inst.supply_left[supply]),
                           inst.supply_left[supply_arcs], load_caps]).astype(np.int64)
    all_costs = np.concatenate([costs, np.zeros(supply_arcs.size, dtype=np.int64), load_costs]).astype(np.int64)

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, all_costs)
    present = distinct(need, n_needs)
    people = int(inst.need_left[present].sum())
    flow.set_nodes_supplies(np.append(present, sink).astype(np.int32),
                            np.append(inst.need_left[present], -people).astype(np.int64))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status!r}")
    return np.asarray(flow.flows(np.arange(usable.size, dtype=np.int32)), dtype=np.int64)


def _max_coverage(inst: Instance) -> int:
    """People that could be covered if every arc (stage 2 included) were usable: a plain max flow."""
    keep = np.flatnonzero((inst.need_left[inst.arc_need] > 0) & (inst.supply_left[inst.arc_supply] > 0))
    if keep.size == 0:
        return 0
    need, supply = inst.arc_need[keep], inst.arc_supply[keep]
    n_needs, n_supplies = len(inst.needs), len(inst.supplies)
    source, sink = n_needs + n_supplies, n_needs + n_supplies + 1
    needs, supplies = distinct(need, n_needs), distinct(supply, n_supplies)
    tails = np.concatenate([np.full(needs.size, source), need, n_needs + supplies]).astype(np.int32)
    heads = np.concatenate([needs, n_needs + supply, np.full(supplies.size, sink)]).astype(np.int32)
    caps = np.concatenate([inst.need_left[needs], np.minimum(inst.need_left[need], inst.supply_left[supply]),
                           inst.supply_left[supplies]]).astype(np.int64)
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails, heads, caps)
    if solver.solve(source, sink) != solver.OPTIMAL:
        raise RuntimeError("max flow failed")
    return int(solver.optimal_flow())
