"""The matching solver: one min-cost flow over needs × supplies, optimal in strict priority, explained.

Pure: plain frozen dataclasses in, a `Plan` out; no database, no HTTP. The objective (issue 4), in
strict priority: (1) cover as many people as possible; (2) use as few people from other blocks
(stage 2) as possible, and none while cross-block support is closed; (3) least total travel
(person-km; remote needs carry 0 km on their arcs); (4) spread load over supporter associations.
"""

from __future__ import annotations

import math
import operator
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
from ortools.graph.python import max_flow, min_cost_flow

UNMET_CODES = ("no_language_in_block", "cross_block_closed", "capacity_exhausted", "no_eligible_supporter")

# Travel is costed in integer units; 10 units per km (0.1 km) first, coarser only if the weights
# would not fit in int64 for a very large instance (see `_choose_weights`).
_UNITS_PER_KM_CHOICES = (10.0, 1.0, 0.1, 0.01)
# OR-Tools' cost scaling multiplies unit costs by (number of nodes + 1) and must stay inside int64;
# we keep a factor of 2 of head room below 2**63 for every quantity we bound.
_COST_LIMIT = 2**62
# Beyond this many people from one association the marginal load cost stops growing: the spread
# preference is for "a few more" vs "many" and this bounds the number of parallel sink arcs.
_MAX_LOAD_STEPS = 256


class MatchingInputError(ValueError):
    """Bad solver input: names the field and says why, in English and Japanese."""

    def __init__(self, field_name: str, message_en: str, message_ja: str) -> None:
        super().__init__(f"{field_name}: {message_en}")
        self.field = field_name
        self.message_en = message_en
        self.message_ja = message_ja


@dataclass(frozen=True)
class NeedInput:
    """What an affected association asks for: people of one kind and language for a period."""

    id: str
    requester: str
    kind: str
    language: str
    headcount: int
    start: date
    days: int
    place: str | None
    remote: bool

    @property
    def end(self) -> date:
        """Last day of the need's period (start + days - 1)."""
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class SupplyInput:
    """What a supporter association can send: languages, kinds, headcount and an availability window."""

    id: str
    association_id: str
    languages: frozenset[str]
    kinds: frozenset[str]
    headcount: int
    available_from: date | None
    available_until: date | None


@dataclass(frozen=True)
class Arc:
    """One allowed pairing of a need with a supply, with the agreement's stage, distance and reasons."""

    need_id: str
    supply_id: str
    association_id: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


@dataclass(frozen=True)
class Fixed:
    """People already accepted, en route or on site: they use the supply's capacity and cover the need."""

    need_id: str
    supply_id: str
    headcount: int


@dataclass(frozen=True)
class Proposal:
    """One line of the plan: this supply sends this many people to this need, and why."""

    need_id: str
    supply_id: str
    association_id: str
    headcount: int
    stage: int
    distance_km: float
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


@dataclass(frozen=True)
class Unmet:
    """People of a need that the plan cannot cover, with the reason code and its explanation."""

    need_id: str
    headcount: int
    code: str
    reason_en: str
    reason_ja: str


@dataclass(frozen=True)
class Plan:
    """The solver's answer. `covered`, `cross_block_people` and `total_km` count the new proposals only
    (people in `fixed` are already dispatched and are not proposed again)."""

    proposals: tuple[Proposal, ...]
    unmet: tuple[Unmet, ...]
    recommend_open_cross_block: bool
    covered: int
    cross_block_people: int
    total_km: float
    solve_ms: float

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return {
            "proposals": [
                {"need_id": p.need_id, "supply_id": p.supply_id, "association_id": p.association_id,
                 "headcount": p.headcount, "stage": p.stage, "distance_km": p.distance_km,
                 "reasons_en": list(p.reasons_en), "reasons_ja": list(p.reasons_ja)}
                for p in self.proposals
            ],
            "unmet": [
                {"need_id": u.need_id, "headcount": u.headcount, "code": u.code,
                 "reason_en": u.reason_en, "reason_ja": u.reason_ja}
                for u in self.unmet
            ],
            "recommend_open_cross_block": self.recommend_open_cross_block,
            "covered": self.covered,
            "cross_block_people": self.cross_block_people,
            "total_km": round(self.total_km, 3),
            "solve_ms": round(self.solve_ms, 3),
        }


@dataclass
class _Instance:
    """Validated input as index arrays. Needs, supplies and associations are sorted by id, arcs by
    (need id, supply id); `arc_order[k]` is the position in the caller's arc list of sorted arc k."""

    needs: list[NeedInput]
    supplies: list[SupplyInput]
    associations: list[str]
    supply_association: np.ndarray
    need_left: np.ndarray
    supply_left: np.ndarray
    association_fixed: np.ndarray
    pair_fixed: dict[tuple[str, str], int]
    arcs: list[Arc]
    arc_order: np.ndarray
    arc_need: np.ndarray
    arc_supply: np.ndarray
    arc_association: np.ndarray
    arc_stage: np.ndarray
    arc_km: np.ndarray

    def arc_reasons(self, k: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(reasons_en, reasons_ja) of sorted arc k, read from an ArcTable without building an Arc."""
        original = int(self.arc_order[k])
        reasons = getattr(self.arcs, "reasons", None)
        if reasons is not None:
            return reasons(original)
        arc = self.arcs[original]
        return arc.reasons_en, arc.reasons_ja


def solve(
    needs: Iterable[NeedInput],
    supplies: Iterable[SupplyInput],
    arcs: Iterable[Arc],
    *,
    cross_block_open: bool,
    fixed: Iterable[Fixed] = (),
    counterpart_mode: bool = False,
) -> Plan:
    """Solve the matching optimally in strict priority and explain every proposal and unmet need.

    Method: one min-cost flow (OR-Tools `SimpleMinCostFlow.solve_max_flow_with_min_cost`), which first
    finds the maximum flow (priority 1) and then the cheapest flow of that value. Nodes: need → supply →
    supporter association → sink. Each person on a need→supply arc costs
    `stage2 * W_S + not_lead * W_C + travel_units * W_D`; each association→sink arc is a unit step whose
    cost is the number of people that association already sends (fixed ones included), so the k-th
    person from one association costs k-1 (convex, priority 4). The weights make every higher tier
    outweigh the largest possible total of all lower tiers (see `_choose_weights`). Ties left after all
    four tiers are broken by OR-Tools on arcs fed in (need id, supply id) order, so the same input in
    any order gives the same plan.

    Counterpart mode (MIC's 対口支援, "in principle 1 to 1"): before the solve, each requesting
    association gets one lead supporter association, chosen greedily (requesters with the largest
    remaining demand first, ties by id): an association already sending fixed people to it, else the
    candidate with the lowest stage, then the most people it could cover for that requester, then
    the fewest requesters already led, then the shortest distance, then id. A tier W_C between
    priorities 2 and 3 then charges every person who does not come from the requester's lead, so
    co-supporters are used only where the lead cannot cover (coverage and cross-block minimality stay
    strictly first). The lead choice is a heuristic; the flow given the leads is optimal.
    """
    started = time.perf_counter()
    inst = _validate(needs, supplies, arcs, fixed)
    usable = np.flatnonzero(
        ((inst.arc_stage == 1) | cross_block_open)
        & (inst.need_left[inst.arc_need] > 0) & (inst.supply_left[inst.arc_supply] > 0))
    leads = _choose_leads(inst, usable) if counterpart_mode else None
    flows = _optimise(inst, usable, leads)

    carrying = np.flatnonzero(flows > 0)
    proposals = _Explainer(inst, leads).proposals(usable[carrying], flows[carrying])
    n_needs, n_supplies = len(inst.needs), len(inst.supplies)
    covered_by_need = np.bincount(inst.arc_need[usable], weights=flows, minlength=n_needs).astype(np.int64)
    used_by_supply = np.bincount(inst.arc_supply[usable], weights=flows, minlength=n_supplies).astype(np.int64)
    covered = int(covered_by_need.sum())
    missing = inst.need_left - covered_by_need
    unmet = _explain_unmet(inst, missing, inst.supply_left - used_by_supply, cross_block_open)

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
    )


def _fail(field_name: str, en: str, ja: str) -> MatchingInputError:
    return MatchingInputError(field_name, en, ja)


def _validate(needs: Iterable[NeedInput], supplies: Iterable[SupplyInput], arcs: Iterable[Arc],
              fixed: Iterable[Fixed]) -> _Instance:
    need_list = sorted(needs, key=lambda n: n.id)
    for i, need in enumerate(need_list):
        if i and need_list[i - 1].id == need.id:
            raise _fail("needs.id", f"need id {need.id!r} appears twice", f"ニーズID {need.id!r} が重複しています")
        if need.headcount < 0:
            raise _fail("needs.headcount", f"need {need.id!r}: headcount must be 0 or more, got "
                        f"{need.headcount}", f"ニーズ {need.id!r}: 人数は0以上にしてください（{need.headcount}）")
        if need.days < 1:
            raise _fail("needs.days", f"need {need.id!r}: days must be 1 or more, got {need.days}",
                        f"ニーズ {need.id!r}: 日数は1以上にしてください（{need.days}）")
    supply_list = sorted(supplies, key=lambda s: s.id)
    for i, supply in enumerate(supply_list):
        if i and supply_list[i - 1].id == supply.id:
            raise _fail("supplies.id", f"supply id {supply.id!r} appears twice",
                        f"提供ID {supply.id!r} が重複しています")
        if supply.headcount < 0:
            raise _fail("supplies.headcount", f"supply {supply.id!r}: headcount must be 0 or more, got "
                        f"{supply.headcount}", f"提供 {supply.id!r}: 人数は0以上にしてください（{supply.headcount}）")
    need_pos = {n.id: i for i, n in enumerate(need_list)}
    supply_pos = {s.id: i for i, s in enumerate(supply_list)}
    associations = sorted({s.association_id for s in supply_list})
    association_pos = {a: i for i, a in enumerate(associations)}
    supply_association = np.array([association_pos[s.association_id] for s in supply_list], dtype=np.int64)

    need_left = np.array([n.headcount for n in need_list], dtype=np.int64)
    supply_left = np.array([s.headcount for s in supply_list], dtype=np.int64)
    association_fixed = np.zeros(len(associations), dtype=np.int64)
    pair_fixed: dict[tuple[str, str], int] = defaultdict(int)
    for item in sorted(fixed, key=lambda f: (f.need_id, f.supply_id, f.headcount)):
        if item.need_id not in need_pos:
            raise _fail("fixed.need_id", f"fixed dispatch names unknown need {item.need_id!r}",
                        f"確定済みの派遣が存在しないニーズ {item.need_id!r} を指しています")
        if item.supply_id not in supply_pos:
            raise _fail("fixed.supply_id", f"fixed dispatch names unknown supply {item.supply_id!r}",
                        f"確定済みの派遣が存在しない提供 {item.supply_id!r} を指しています")
        if item.headcount < 1:
            raise _fail("fixed.headcount", f"fixed dispatch {item.need_id!r}/{item.supply_id!r}: headcount "
                        f"must be 1 or more, got {item.headcount}",
                        f"確定済みの派遣 {item.need_id!r}/{item.supply_id!r}: 人数は1以上にしてください")
        # Accepted people stay accepted even if they exceed today's numbers: clamp what is left at 0.
        n, s = need_pos[item.need_id], supply_pos[item.supply_id]
        need_left[n] = max(0, need_left[n] - item.headcount)
        supply_left[s] = max(0, supply_left[s] - item.headcount)
        association_fixed[supply_association[s]] += item.headcount
        pair_fixed[(need_list[n].requester, supply_list[s].association_id)] += item.headcount

    from coordinator.matching.network import ArcTable  # here: network imports this module

    arc_list: Any = arcs if isinstance(arcs, (list, ArcTable)) else list(arcs)
    if isinstance(arc_list, ArcTable):
        arc_need, arc_supply, arc_association, stages, kms = _table_columns(
            arc_list, need_pos, supply_pos, association_pos)
    else:
        # One pass per attribute: list comprehensions are the fast way to read Python objects in bulk.
        need_at, supply_at, association_at = need_pos.get, supply_pos.get, association_pos.get
        arc_need = np.array([need_at(a.need_id, -1) for a in arc_list], dtype=np.int64)
        arc_supply = np.array([supply_at(a.supply_id, -1) for a in arc_list], dtype=np.int64)
        arc_association = np.array([association_at(a.association_id, -1) for a in arc_list], dtype=np.int64)
        stages = _numbers([a.stage for a in arc_list], "iu")
        kms = _numbers([a.distance_km for a in arc_list], "iuf")

    def first(bad: np.ndarray) -> Arc | None:
        hits = np.flatnonzero(bad)
        return arc_list[int(hits[0])] if hits.size else None

    if (arc := first(arc_need < 0)) is not None:
        raise _fail("arcs.need_id", f"arc names unknown need {arc.need_id!r}",
                    f"アークが存在しないニーズ {arc.need_id!r} を指しています")
    if (arc := first(arc_supply < 0)) is not None:
        raise _fail("arcs.supply_id", f"arc names unknown supply {arc.supply_id!r}",
                    f"アークが存在しない提供 {arc.supply_id!r} を指しています")
    if (arc := first(arc_association != supply_association[arc_supply])) is not None:
        owner = supply_list[supply_pos[arc.supply_id]].association_id
        raise _fail("arcs.association_id", f"arc {arc.need_id!r}→{arc.supply_id!r}: association "
                    f"{arc.association_id!r} is not the supply's ({owner!r})",
                    f"アーク {arc.need_id!r}→{arc.supply_id!r}: 協会 {arc.association_id!r} が提供元 "
                    f"（{owner!r}）と一致しません")
    stage_ok = ((stages == 1) | (stages == 2) if stages is not None
                else np.array([type(a.stage) is int and a.stage in (1, 2) for a in arc_list], dtype=bool))
    if (arc := first(~stage_ok)) is not None:
        raise _fail("arcs.stage", f"arc {arc.need_id!r}→{arc.supply_id!r}: stage must be 1 or 2, got "
                    f"{arc.stage!r}", f"アーク {arc.need_id!r}→{arc.supply_id!r}: 段階は1または2です（{arc.stage!r}）")
    km_ok = (np.isfinite(kms) & (kms >= 0) if kms is not None
             else np.array([type(a.distance_km) in (int, float) and math.isfinite(a.distance_km)
                            and a.distance_km >= 0 for a in arc_list], dtype=bool))
    if (arc := first(~km_ok)) is not None:
        raise _fail("arcs.distance_km", f"arc {arc.need_id!r}→{arc.supply_id!r}: distance must be a "
                    f"finite number ≥ 0, got {arc.distance_km!r}",
                    f"アーク {arc.need_id!r}→{arc.supply_id!r}: 距離は0以上の有限値です（{arc.distance_km!r}）")
    pair = arc_need * max(len(supply_list), 1) + arc_supply
    if pair.size and bool((pair[1:] > pair[:-1]).all()):
        order = np.arange(pair.size)  # already sorted, no duplicates (always so for an ArcTable)
    else:
        order = np.lexsort((arc_supply, arc_need))
        arc_need, arc_supply, arc_association = arc_need[order], arc_supply[order], arc_association[order]
        pair = pair[order]
    twice = np.flatnonzero(pair[1:] == pair[:-1])
    if twice.size:
        arc = arc_list[int(order[twice[0]])]
        raise _fail("arcs", f"arc {arc.need_id!r}→{arc.supply_id!r} appears twice",
                    f"アーク {arc.need_id!r}→{arc.supply_id!r} が重複しています")
    return _Instance(
        needs=need_list, supplies=supply_list, associations=associations,
        supply_association=supply_association, need_left=need_left, supply_left=supply_left,
        association_fixed=association_fixed, pair_fixed=dict(pair_fixed), arcs=arc_list, arc_order=order,
        arc_need=arc_need, arc_supply=arc_supply, arc_association=arc_association,
        arc_stage=np.asarray(stages, dtype=np.int64)[order], arc_km=np.asarray(kms, dtype=np.float64)[order])


def _table_columns(table: Any, need_pos: dict[str, int], supply_pos: dict[str, int],
                   association_pos: dict[str, int]) -> tuple[Any, ...]:
    """An ArcTable's columns re-indexed onto this solve's sorted needs and supplies: one dictionary
    lookup per distinct need and supply, not per arc. Unknown ids become -1 (refused by the caller);
    an arc whose association is not its supply's gets association -1 too."""
    need_map = np.array([need_pos.get(i, -1) for i in table.need_ids] or [-1], dtype=np.int64)
    supply_map = np.array([supply_pos.get(i, -1) for i in table.supply_ids] or [-1], dtype=np.int64)
    association_map = np.array([association_pos.get(a, -1) for a in table.supply_association] or [-1],
                               dtype=np.int64)
    arc_need, arc_supply = need_map[table.need], supply_map[table.supply]
    arc_association = association_map[table.supply]
    stages = table.stage if table.stage.dtype.kind in "iu" else None
    kms = table.distance_km if table.distance_km.dtype.kind in "iuf" else None
    return arc_need, arc_supply, arc_association, stages, kms


def _numbers(values: list[Any], kinds: str) -> np.ndarray | None:
    """Values as one numeric array whose dtype kind is in `kinds`, or None when some value is not such
    a number (a bool, a string, None)."""
    array = np.array(values) if values else np.zeros(0, dtype=np.int64)
    return array if array.dtype.kind in kinds else None


def _distinct(values: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct values of a non-negative int array below `size` (a mark array when it is small:
    several times faster than np.unique at 10^5 arcs)."""
    if size > 1 << 26:
        return np.unique(values)
    mark = np.zeros(size, dtype=bool)
    mark[values] = True
    return np.flatnonzero(mark)


def _group_min(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and the minimum value of each."""
    if keys.size == 0:
        return keys, values
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], values[starts]


def _choose_leads(inst: _Instance, usable: np.ndarray) -> dict[str, str]:
    """Counterpart mode: one lead association per requesting association (method in `solve`)."""
    requesters = sorted({n.requester for n in inst.needs})
    requester_pos = {r: i for i, r in enumerate(requesters)}
    need_requester = np.array([requester_pos[n.requester] for n in inst.needs], dtype=np.int64)
    n_assoc = len(inst.associations)
    demand = np.bincount(need_requester, weights=inst.need_left, minlength=len(requesters)).astype(np.int64)
    capacity = np.bincount(inst.supply_association, weights=inst.supply_left, minlength=n_assoc).astype(np.int64)
    need, assoc = inst.arc_need[usable], inst.arc_association[usable]
    pair = need_requester[need] * n_assoc + assoc
    pairs, stage = _group_min(pair, inst.arc_stage[usable])
    _, km = _group_min(pair, inst.arc_km[usable])
    # People an association could reach for a requester: each of its reachable needs counted once.
    need_pairs = _distinct(need * n_assoc + assoc, len(inst.needs) * n_assoc)
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
            # lexsort: last key is primary -> (stage, most covered, fewest led, km, id)
            best = np.lexsort((a, km[lo:hi], led[a], -cover, stage[lo:hi]))[0]
            lead = inst.associations[int(a[best])]
        else:
            continue
        leads[name] = lead
        lead_index = position.get(lead)
        if lead_index is not None:
            led[lead_index] += 1
            capacity[lead_index] = max(0, capacity[lead_index] - demand[r])
    return leads


def _choose_weights(inst: _Instance, usable: np.ndarray, load_costs: np.ndarray, load_total: int,
                    with_leads: bool, num_nodes: int) -> tuple[np.ndarray, int, int, int]:
    """Pick travel units per arc and (W_D, W_C, W_S) so that one unit of a tier outweighs any change in
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
      T = min(Σ over supplies, Σ over needs, of their longest arc), and its non-lead people by at most
      K = min(number of supplies, number of needs).
    Hence W_D = S + 1, W_C = W_D · (T + 1), W_S = W_C · (K + 1) (W_C = 0 and W_S = W_D · (T + 1) without
    counterpart leads), and each tier exceeds the most all lower tiers can change: W_S > W_C·K + W_D·T + S.

    Smaller weights matter: OR-Tools' cost scaling runs one refine phase per factor 5 of the largest cost.
    Bound for int64: the largest arc cost A = W_S + W_C + W_D · max_units must satisfy A · (nodes + 1) ≤
    2**62 (OR-Tools scales costs by nodes + 1) and the largest total H · A + load_total ≤ 2**62 (H: people
    to place). We try 0.1 km units first and coarsen (1, 10, 100 km) only when a huge instance would
    break that bound; an instance that breaks it even at 100 km is refused with a precise error rather
    than solved wrongly.
    """
    need, supply = inst.arc_need[usable], inst.arc_supply[usable]
    needs_present = _distinct(need, len(inst.needs))
    supplies_present = _distinct(supply, len(inst.supplies))
    people = int(inst.need_left[needs_present].sum())
    load_span = int(load_costs.max() - load_costs.min()) if load_costs.size else 0
    w_d = load_span + 1
    lead_span = min(needs_present.size, supplies_present.size)
    for units_per_km in _UNITS_PER_KM_CHOICES:
        units = np.rint(inst.arc_km[usable] * units_per_km).astype(np.int64)
        longest_by_need = np.zeros(len(inst.needs), dtype=np.int64)
        np.maximum.at(longest_by_need, need, units)
        longest_by_supply = np.zeros(len(inst.supplies), dtype=np.int64)
        np.maximum.at(longest_by_supply, supply, units)
        travel_span = min(int(longest_by_need.sum()), int(longest_by_supply.sum()))
        if with_leads:
            w_c = w_d * (travel_span + 1)
            w_s = w_c * (lead_span + 1)
        else:
            w_c = 0
            w_s = w_d * (travel_span + 1)
        biggest_arc = w_s + w_c + w_d * int(units.max(initial=0))
        if biggest_arc * (num_nodes + 1) <= _COST_LIMIT and people * biggest_arc + load_total <= _COST_LIMIT:
            return units, w_d, w_c, w_s
    raise _fail("arcs", "instance too large for exact integer costs even at 100 km resolution: split the "
                "disaster's plan by block",
                "整数コストで厳密に解くには規模が大きすぎます。ブロックごとに分けて計画してください")


def _optimise(inst: _Instance, usable: np.ndarray, leads: dict[str, str] | None) -> np.ndarray:
    """Run the weighted min-cost max-flow and return the people on each usable arc."""
    if usable.size == 0:
        return np.zeros(0, dtype=np.int64)
    n_needs, n_supplies, n_assoc = len(inst.needs), len(inst.supplies), len(inst.associations)
    need, supply, assoc = inst.arc_need[usable], inst.arc_supply[usable], inst.arc_association[usable]
    supply_base, assoc_base = n_needs, n_needs + n_supplies
    sink = assoc_base + n_assoc
    num_nodes = sink + 1 + 2  # +2: the source and sink OR-Tools adds for the max-flow adjustment

    # Load steps: never more than the association could send or its neighbouring needs could take.
    used_supplies = _distinct(supply, n_supplies)
    capacity = np.bincount(inst.supply_association[used_supplies], weights=inst.supply_left[used_supplies],
                           minlength=n_assoc).astype(np.int64)
    need_assoc = _distinct(need * n_assoc + assoc, n_needs * n_assoc)
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

    units, w_d, w_c, w_s = _choose_weights(inst, usable, load_costs, load_total, bool(leads), num_nodes)
    costs = np.where(inst.arc_stage[usable] == 2, w_s, 0).astype(np.int64) + units * np.int64(w_d)
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
    present = _distinct(need, n_needs)
    people = int(inst.need_left[present].sum())
    flow.set_nodes_supplies(np.append(present, sink).astype(np.int32),
                            np.append(inst.need_left[present], -people).astype(np.int64))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status!r}")
    return np.asarray(flow.flows(np.arange(usable.size, dtype=np.int32)), dtype=np.int64)


def _max_coverage(inst: _Instance) -> int:
    """People that could be covered if every arc (stage 2 included) were usable: a plain max flow."""
    keep = np.flatnonzero((inst.need_left[inst.arc_need] > 0) & (inst.supply_left[inst.arc_supply] > 0))
    if keep.size == 0:
        return 0
    need, supply = inst.arc_need[keep], inst.arc_supply[keep]
    n_needs, n_supplies = len(inst.needs), len(inst.supplies)
    source, sink = n_needs + n_supplies, n_needs + n_supplies + 1
    needs, supplies = _distinct(need, n_needs), _distinct(supply, n_supplies)
    tails = np.concatenate([np.full(needs.size, source), need, n_needs + supplies]).astype(np.int32)
    heads = np.concatenate([needs, n_needs + supply, np.full(supplies.size, sink)]).astype(np.int32)
    caps = np.concatenate([inst.need_left[needs], np.minimum(inst.need_left[need], inst.supply_left[supply]),
                           inst.supply_left[supplies]]).astype(np.int64)
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(tails, heads, caps)
    if solver.solve(source, sink) != solver.OPTIMAL:
        raise RuntimeError("max flow failed")
    return int(solver.optimal_flow())


_STAGE_TEXT = {1: ("stage 1: inside the affected block", "第1段階：被災ブロック内からの応援"),
               2: ("stage 2: from another block (cross-block support is open)",
                   "第2段階：他ブロックからの応援（ブロック間支援は開始済み）")}


_new_proposal = object.__new__


class _Explainer:
    """Builds proposals with their reasons from the instance's columns; the texts of each need and
    supply are made once per plan, and no Arc object is built (a plan may hold thousands of lines)."""

    def __init__(self, inst: _Instance, leads: dict[str, str] | None) -> None:
        self.inst = inst
        self.leads = leads
        self.need_text: dict[int, tuple[str, str]] = {}
        self.window_text: dict[tuple[int, int], tuple[str, str]] = {}

    def _need(self, n: int) -> tuple[str, str]:
        """What the need asks for, in English and Japanese."""
        found = self.need_text.get(n)
        if found is None:
            need = self.inst.needs[n]
            found = self.need_text[n] = (f"offers {need.language} for {need.kind}",
                                         f"{need.language}・{need.kind}を提供")
        return found

    def _window(self, n: int, s: int) -> tuple[str, str]:
        """The supply's availability and the need's period it covers."""
        found = self.window_text.get((n, s))
        if found is None:
            need, supply = self.inst.needs[n], self.inst.supplies[s]
            start, end = need.start.isoformat(), need.end.isoformat()
            if supply.available_from is None and supply.available_until is None:
                found = (f"available with no date limit, covering the need's {start} to {end}",
                         f"期間の制限なし（必要期間 {start}〜{end} を含む）")
            else:
                since = supply.available_from.isoformat() if supply.available_from else "…"
                until = supply.available_until.isoformat() if supply.available_until else "…"
                found = (f"available {since} to {until}, covering the need's {start} to {end}",
                         f"対応可能期間 {since}〜{until}（必要期間 {start}〜{end} を含む）")
            self.window_text[(n, s)] = found
        return found

    def _counterpart(self, requester: str, association: str) -> tuple[str, str]:
        lead = self.leads.get(requester) if self.leads is not None else None
        if lead == association:
            return (f"counterpart: lead supporter of {requester}", f"カウンターパート：{requester} の主担当")
        return (f"co-supporter: the lead supporter {lead} cannot cover all of {requester}'s needs",
                f"共同支援：主担当 {lead} だけでは {requester} のニーズを満たせないため")

    def proposals(self, arcs: np.ndarray, people: np.ndarray) -> list[Proposal]:
        """The proposals for sorted arcs `arcs` carrying `people` each, in arc order."""
        inst = self.inst
        needs, supplies = inst.needs, inst.supplies
        out = []
        for k, n, s, stage, km, count in zip(arcs.tolist(), inst.arc_need[arcs].tolist(),
                                             inst.arc_supply[arcs].tolist(), inst.arc_stage[arcs].tolist(),
                                             inst.arc_km[arcs].tolist(), people.tolist(), strict=True):
            need, supply = needs[n], supplies[s]
            arc_en, arc_ja = inst.arc_reasons(k)
            what_en, what_ja = self._need(n)
            window_en, window_ja = self._window(n, s)
            stage_en, stage_ja = _STAGE_TEXT[stage]
            if need.remote:
                travel_en, travel_ja = "remote work: no travel", "遠隔支援のため移動なし"
            else:
                travel_en, travel_ja = f"{km:.1f} km to travel", f"移動距離 {km:.1f} km"
            en = (*arc_en, what_en, window_en, stage_en, travel_en)
            ja = (*arc_ja, what_ja, window_ja, stage_ja, travel_ja)
            if self.leads is not None:
                counterpart_en, counterpart_ja = self._counterpart(need.requester, supply.association_id)
                en, ja = (*en, counterpart_en), (*ja, counterpart_ja)
            # Built without the frozen dataclass __init__: equal to Proposal(...), several times faster.
            proposal = _new_proposal(Proposal)
            proposal.__dict__.update(
                need_id=need.id, supply_id=supply.id, association_id=supply.association_id, headcount=count,
                stage=stage, distance_km=km, reasons_en=en, reasons_ja=ja)
            out.append(proposal)
        return out


def _distinct_associations_per_need(inst: _Instance, mask: np.ndarray) -> np.ndarray:
    """For each need, how many distinct associations its arcs selected by `mask` reach."""
    n_assoc = max(len(inst.associations), 1)
    pairs = _distinct(inst.arc_need[mask] * n_assoc + inst.arc_association[mask], len(inst.needs) * n_assoc)
    return np.bincount(pairs // n_assoc, minlength=len(inst.needs))


def _explain_unmet(inst: _Instance, missing: np.ndarray, spare: np.ndarray, cross_block_open: bool) -> list[Unmet]:
    """Say why the missing people of each need stay uncovered (the codes of issue 4)."""
    if not bool((missing > 0).any()):
        return []
    stage1, stage2 = inst.arc_stage == 1, inst.arc_stage == 2
    inside_counts = _distinct_associations_per_need(inst, stage1)
    outside_counts = _distinct_associations_per_need(inst, stage2)
    spare_counts = _distinct_associations_per_need(inst, stage2 & (spare[inst.arc_supply] > 0))
    unmet = []
    for n in np.flatnonzero(missing > 0).tolist():
        need, people = inst.needs[n], int(missing[n])
        inside, outside, outside_spare = int(inside_counts[n]), int(outside_counts[n]), int(spare_counts[n])
        what_en = f"{need.language} for {need.kind} from {need.start.isoformat()} to {need.end.isoformat()}"
        what_ja = f"{need.start.isoformat()}〜{need.end.isoformat()} の{need.language}・{need.kind}"
        if not inside and not outside:
            code = "no_eligible_supporter"
            en = f"{people} people unmet: no eligible supporter anywhere offers {what_en}."
            ja = f"{people}人が未充足：{what_ja}を提供できる応援可能な協会がありません。"
        elif not inside and not cross_block_open:
            code = "no_language_in_block"
            en = (f"{people} people unmet: no supporter inside the block offers {what_en}; "
                  f"{outside} associations in other blocks do, once cross-block support is opened.")
            ja = (f"{people}人が未充足：ブロック内に{what_ja}を提供できる協会がありません。"
                  f"ブロック間支援を開始すれば他ブロックの{outside}協会が対応できます。")
        elif not cross_block_open and outside_spare:
            code = "cross_block_closed"
            en = (f"{people} people unmet: the {inside} supporters inside the block offering {what_en} "
                  f"are fully booked; {outside_spare} associations in other blocks still have people, "
                  "but cross-block support is not open.")
            ja = (f"{people}人が未充足：ブロック内で{what_ja}を提供できる{inside}協会は手一杯です。"
                  f"他ブロックの{outside_spare}協会に余力がありますが、ブロック間支援が開始されていません。")
        else:
            code = "capacity_exhausted"
            usable = inside + outside if cross_block_open else inside
            where_en = "" if inside else " (nobody inside the block offers it)"
            where_ja = "" if inside else "（ブロック内には提供できる協会がありません）"
            en = (f"{people} people unmet: all {usable} eligible supporters offering {what_en} are fully "
                  f"booked{where_en}.")
            ja = f"{people}人が未充足：{what_ja}を提供できる{usable}協会はすべて手一杯です{where_ja}。"
        unmet.append(Unmet(need_id=need.id, headcount=people, code=code, reason_en=en, reason_ja=ja))
    return unmet
