"""The matching solver: one min-cost flow over needs × supplies, optimal in strict priority, explained.

Pure: plain frozen dataclasses in, a `Plan` out; no database, no HTTP. The objective (issue 4), in
strict priority: (1) cover as many people as possible; (2) use as few people from other blocks
(stage 2) as possible, and none while cross-block support is closed; (3) least total travel
(person-km; remote needs carry 0 km on their arcs); (4) spread load over supporter associations.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
class _State:
    """Validated, sorted input and what remains of each need and supply after the fixed people."""

    needs: dict[str, NeedInput]
    supplies: dict[str, SupplyInput]
    arcs: list[Arc]
    need_left: dict[str, int]
    supply_left: dict[str, int]
    association_fixed: dict[str, int]
    pair_fixed: dict[tuple[str, str], int] = field(default_factory=dict)


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
    outweigh the largest possible total of all lower tiers (see `_choose_weights`).

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
    state = _validate(needs, supplies, arcs, fixed)
    usable = [
        arc for arc in state.arcs
        if (arc.stage == 1 or cross_block_open)
        and state.need_left[arc.need_id] > 0 and state.supply_left[arc.supply_id] > 0
    ]
    leads = _choose_leads(state, usable) if counterpart_mode else None
    flows = _optimise(state, usable, leads)

    proposals = [_proposal(state, arc, people, leads) for arc, people in zip(usable, flows, strict=True)
                 if people > 0]
    covered_by_need: dict[str, int] = defaultdict(int)
    used_by_supply: dict[str, int] = defaultdict(int)
    for p in proposals:
        covered_by_need[p.need_id] += p.headcount
        used_by_supply[p.supply_id] += p.headcount
    covered = sum(covered_by_need.values())
    spare = {sid: left - used_by_supply[sid] for sid, left in state.supply_left.items()}

    arcs_by_need: dict[str, list[Arc]] = defaultdict(list)
    for arc in state.arcs:
        arcs_by_need[arc.need_id].append(arc)
    unmet = []
    for need_id, need in state.needs.items():
        missing = state.need_left[need_id] - covered_by_need[need_id]
        if missing > 0:
            unmet.append(_explain_unmet(need, missing, arcs_by_need[need_id], spare, cross_block_open))

    recommend = False
    if not cross_block_open and unmet and any(arc.stage == 2 for arc in state.arcs):
        recommend = _max_coverage(state, state.arcs) > covered

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
              fixed: Iterable[Fixed]) -> _State:
    need_map: dict[str, NeedInput] = {}
    for need in sorted(needs, key=lambda n: n.id):
        if need.id in need_map:
            raise _fail("needs.id", f"need id {need.id!r} appears twice", f"ニーズID {need.id!r} が重複しています")
        if need.headcount < 0:
            raise _fail("needs.headcount", f"need {need.id!r}: headcount must be 0 or more, got "
                        f"{need.headcount}", f"ニーズ {need.id!r}: 人数は0以上にしてください（{need.headcount}）")
        if need.days < 1:
            raise _fail("needs.days", f"need {need.id!r}: days must be 1 or more, got {need.days}",
                        f"ニーズ {need.id!r}: 日数は1以上にしてください（{need.days}）")
        need_map[need.id] = need
    supply_map: dict[str, SupplyInput] = {}
    for supply in sorted(supplies, key=lambda s: s.id):
        if supply.id in supply_map:
            raise _fail("supplies.id", f"supply id {supply.id!r} appears twice",
                        f"提供ID {supply.id!r} が重複しています")
        if supply.headcount < 0:
            raise _fail("supplies.headcount", f"supply {supply.id!r}: headcount must be 0 or more, got "
                        f"{supply.headcount}", f"提供 {supply.id!r}: 人数は0以上にしてください（{supply.headcount}）")
        supply_map[supply.id] = supply

    need_left = {nid: n.headcount for nid, n in need_map.items()}
    supply_left = {sid: s.headcount for sid, s in supply_map.items()}
    association_fixed: dict[str, int] = defaultdict(int)
    pair_fixed: dict[tuple[str, str], int] = defaultdict(int)
    for item in sorted(fixed, key=lambda f: (f.need_id, f.supply_id, f.headcount)):
        if item.need_id not in need_map:
            raise _fail("fixed.need_id", f"fixed dispatch names unknown need {item.need_id!r}",
                        f"確定済みの派遣が存在しないニーズ {item.need_id!r} を指しています")
        if item.supply_id not in supply_map:
            raise _fail("fixed.supply_id", f"fixed dispatch names unknown supply {item.supply_id!r}",
                        f"確定済みの派遣が存在しない提供 {item.supply_id!r} を指しています")
        if item.headcount < 1:
            raise _fail("fixed.headcount", f"fixed dispatch {item.need_id!r}/{item.supply_id!r}: headcount "
                        f"must be 1 or more, got {item.headcount}",
                        f"確定済みの派遣 {item.need_id!r}/{item.supply_id!r}: 人数は1以上にしてください")
        # Accepted people stay accepted even if they exceed today's numbers: clamp what is left at 0.
        need_left[item.need_id] = max(0, need_left[item.need_id] - item.headcount)
        supply_left[item.supply_id] = max(0, supply_left[item.supply_id] - item.headcount)
        association = supply_map[item.supply_id].association_id
        association_fixed[association] += item.headcount
        pair_fixed[(need_map[item.need_id].requester, association)] += item.headcount

    arc_list = sorted(arcs, key=lambda a: (a.need_id, a.supply_id))
    for i, arc in enumerate(arc_list):
        if i and arc_list[i - 1].need_id == arc.need_id and arc_list[i - 1].supply_id == arc.supply_id:
            raise _fail("arcs", f"arc {arc.need_id!r}→{arc.supply_id!r} appears twice",
                        f"アーク {arc.need_id!r}→{arc.supply_id!r} が重複しています")
        if arc.need_id not in need_map:
            raise _fail("arcs.need_id", f"arc names unknown need {arc.need_id!r}",
                        f"アークが存在しないニーズ {arc.need_id!r} を指しています")
        supply = supply_map.get(arc.supply_id)
        if supply is None:
            raise _fail("arcs.supply_id", f"arc names unknown supply {arc.supply_id!r}",
                        f"アークが存在しない提供 {arc.supply_id!r} を指しています")
        if supply.association_id != arc.association_id:
            raise _fail("arcs.association_id", f"arc {arc.need_id!r}→{arc.supply_id!r}: association "
                        f"{arc.association_id!r} is not the supply's ({supply.association_id!r})",
                        f"アーク {arc.need_id!r}→{arc.supply_id!r}: 協会 {arc.association_id!r} が提供元 "
                        f"（{supply.association_id!r}）と一致しません")
        if arc.stage not in (1, 2):
            raise _fail("arcs.stage", f"arc {arc.need_id!r}→{arc.supply_id!r}: stage must be 1 or 2, got "
                        f"{arc.stage}", f"アーク {arc.need_id!r}→{arc.supply_id!r}: 段階は1または2です（{arc.stage}）")
        if not (math.isfinite(arc.distance_km) and arc.distance_km >= 0):
            raise _fail("arcs.distance_km", f"arc {arc.need_id!r}→{arc.supply_id!r}: distance must be a "
                        f"finite number ≥ 0, got {arc.distance_km}",
                        f"アーク {arc.need_id!r}→{arc.supply_id!r}: 距離は0以上の有限値です（{arc.distance_km}）")
    return _State(need_map, supply_map, arc_list, need_left, supply_left, dict(association_fixed),
                  dict(pair_fixed))


def _choose_leads(state: _State, usable: Sequence[Arc]) -> dict[str, str]:
    """Counterpart mode: one lead association per requesting association (method in `solve`)."""
    demand: dict[str, int] = defaultdict(int)
    for nid, left in state.need_left.items():
        if left > 0:
            demand[state.needs[nid].requester] += left
    capacity: dict[str, int] = defaultdict(int)
    for sid, left in state.supply_left.items():
        capacity[state.supplies[sid].association_id] += left
    # requester -> association -> (min stage, reachable people, min distance)
    options: dict[str, dict[str, list[float]]] = defaultdict(dict)
    seen_need: set[tuple[str, str]] = set()
    for arc in usable:
        need = state.needs[arc.need_id]
        entry = options[need.requester].setdefault(arc.association_id, [arc.stage, 0, arc.distance_km])
        entry[0] = min(entry[0], arc.stage)
        entry[2] = min(entry[2], arc.distance_km)
        if (arc.need_id, arc.association_id) not in seen_need:
            seen_need.add((arc.need_id, arc.association_id))
            entry[1] += state.need_left[arc.need_id]

    leads: dict[str, str] = {}
    led_count: dict[str, int] = defaultdict(int)
    for requester in sorted(demand, key=lambda r: (-demand[r], r)):
        already = {a: n for (r, a), n in state.pair_fixed.items() if r == requester}
        if already:
            lead = min(already, key=lambda a: (-already[a], a))
        elif options.get(requester):
            def key(a: str, req: str = requester) -> tuple[Any, ...]:
                stage, reach, km = options[req][a]
                return (stage, -min(reach, capacity[a]), led_count[a], km, a)
            lead = min(options[requester], key=key)
        else:
            continue
        leads[requester] = lead
        led_count[lead] += 1
        capacity[lead] = max(0, capacity[lead] - demand[requester])
    return leads


def _choose_weights(state: _State, usable: Sequence[Arc], load_bound: int, leads: dict[str, str] | None,
                    num_nodes: int) -> tuple[float, int, int, int]:
    """Pick (units per km, W_D, W_C, W_S) so that each tier outweighs all lower tiers together.

    Let H = people to place, D = Σ_need left(need) · max travel units of its arcs (no flow can travel
    more), L = the load cost if every load step were used (no flow can cost more). Every feasible flow
    has load in [0, L], travel in [0, D], non-lead people in [0, H]; so with
        W_D = L + 1,   W_C = W_D · (D + 1),   W_S = W_C · (H + 1)   (W_C = 1 and W_S = W_D · (D + 1)
                                                                      when there are no leads)
    one unit of a higher tier costs more than any difference in all lower tiers (e.g. W_S > W_C·H +
    W_D·D + L), which makes the weighted min-cost flow lexicographically optimal. Bound for int64: the
    largest arc cost A = W_S + W_C + W_D · max_units must satisfy A · (nodes + 1) ≤ 2**62 (OR-Tools scales
    costs by nodes + 1) and the largest total H · A + L ≤ 2**62. We try 0.1 km units first and coarsen
    (1, 10, 100 km) only when a huge instance would break that bound; an instance that breaks it even
    at 100 km is refused with a precise error rather than solved wrongly.
    """
    people = sum(state.need_left[nid] for nid in {arc.need_id for arc in usable})
    for units_per_km in _UNITS_PER_KM_CHOICES:
        max_units: dict[str, int] = defaultdict(int)
        for arc in usable:
            units = round(arc.distance_km * units_per_km)
            if units > max_units[arc.need_id]:
                max_units[arc.need_id] = units
        travel_bound = sum(state.need_left[nid] * units for nid, units in max_units.items())
        w_d = load_bound + 1
        if leads:
            w_c = w_d * (travel_bound + 1)
            w_s = w_c * (people + 1)
        else:
            w_c = 0
            w_s = w_d * (travel_bound + 1)
        biggest_arc = w_s + w_c + w_d * max(max_units.values(), default=0)
        if biggest_arc * (num_nodes + 1) <= _COST_LIMIT and people * biggest_arc + load_bound <= _COST_LIMIT:
            return units_per_km, w_d, w_c, w_s
    raise _fail("arcs", "instance too large for exact integer costs even at 100 km resolution: split the "
                "disaster's plan by block",
                "整数コストで厳密に解くには規模が大きすぎます。ブロックごとに分けて計画してください")


def _optimise(state: _State, usable: Sequence[Arc], leads: dict[str, str] | None) -> list[int]:
    """Run the weighted min-cost max-flow and return the people on each usable arc."""
    if not usable:
        return []
    need_ids = sorted({arc.need_id for arc in usable})
    supply_ids = sorted({arc.supply_id for arc in usable})
    association_ids = sorted({state.supplies[sid].association_id for sid in supply_ids})
    need_node = {nid: i for i, nid in enumerate(need_ids)}
    supply_node = {sid: len(need_ids) + i for i, sid in enumerate(supply_ids)}
    base = len(need_ids) + len(supply_ids)
    association_node = {aid: base + i for i, aid in enumerate(association_ids)}
    sink = base + len(association_ids)
    num_nodes = sink + 1 + 2  # +2: the source and sink OR-Tools adds for the max-flow adjustment

    # Load steps: never more than the association could send or its neighbouring needs could take.
    reach: dict[str, set[str]] = defaultdict(set)
    for arc in usable:
        reach[arc.association_id].add(arc.need_id)
    capacity: dict[str, int] = defaultdict(int)
    for sid in supply_ids:
        capacity[state.supplies[sid].association_id] += state.supply_left[sid]
    load_tails: list[int] = []
    load_caps: list[int] = []
    load_costs: list[int] = []
    for aid in association_ids:
        steps = min(capacity[aid], sum(state.need_left[nid] for nid in reach[aid]))
        already = state.association_fixed.get(aid, 0)
        unit_steps = min(steps, _MAX_LOAD_STEPS)
        for k in range(unit_steps):
            load_tails.append(association_node[aid])
            load_caps.append(1)
            load_costs.append(already + k)
        if steps > unit_steps:
            load_tails.append(association_node[aid])
            load_caps.append(steps - unit_steps)
            load_costs.append(already + unit_steps)
    load_bound = sum(c * k for c, k in zip(load_caps, load_costs, strict=True))

    units_per_km, w_d, w_c, w_s = _choose_weights(state, usable, load_bound, leads, num_nodes)
    tails, heads, caps, costs = [], [], [], []
    for arc in usable:
        need = state.needs[arc.need_id]
        tails.append(need_node[arc.need_id])
        heads.append(supply_node[arc.supply_id])
        caps.append(min(state.need_left[arc.need_id], state.supply_left[arc.supply_id]))
        not_lead = bool(leads) and leads.get(need.requester) != arc.association_id
        costs.append((w_s if arc.stage == 2 else 0) + (w_c if not_lead else 0)
                     + w_d * round(arc.distance_km * units_per_km))
    for sid in supply_ids:
        tails.append(supply_node[sid])
        heads.append(association_node[state.supplies[sid].association_id])
        caps.append(state.supply_left[sid])
        costs.append(0)
    tails += load_tails
    heads += [sink] * len(load_tails)
    caps += load_caps
    costs += load_costs

    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.asarray(tails, dtype=np.int32), np.asarray(heads, dtype=np.int32),
        np.asarray(caps, dtype=np.int64), np.asarray(costs, dtype=np.int64))
    people = sum(state.need_left[nid] for nid in need_ids)
    flow.set_nodes_supplies(
        np.asarray([*need_node.values(), sink], dtype=np.int32),
        np.asarray([*(state.need_left[nid] for nid in need_ids), -people], dtype=np.int64))
    status = flow.solve_max_flow_with_min_cost()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status!r}")
    return flow.flows(np.arange(len(usable), dtype=np.int32)).tolist()


def _max_coverage(state: _State, arcs: Sequence[Arc]) -> int:
    """People that could be covered if every arc (stage 2 included) were usable: a plain max flow."""
    arcs = [a for a in arcs if state.need_left[a.need_id] > 0 and state.supply_left[a.supply_id] > 0]
    if not arcs:
        return 0
    need_ids = sorted({a.need_id for a in arcs})
    supply_ids = sorted({a.supply_id for a in arcs})
    need_node = {nid: 2 + i for i, nid in enumerate(need_ids)}
    supply_node = {sid: 2 + len(need_ids) + i for i, sid in enumerate(supply_ids)}
    source, sink = 0, 1
    tails = [source] * len(need_ids) + [need_node[a.need_id] for a in arcs] + list(supply_node.values())
    heads = list(need_node.values()) + [supply_node[a.supply_id] for a in arcs] + [sink] * len(supply_ids)
    caps = ([state.need_left[n] for n in need_ids]
            + [min(state.need_left[a.need_id], state.supply_left[a.supply_id]) for a in arcs]
            + [state.supply_left[s] for s in supply_ids])
    solver = max_flow.SimpleMaxFlow()
    solver.add_arcs_with_capacity(np.asarray(tails, dtype=np.int32), np.asarray(heads, dtype=np.int32),
                                  np.asarray(caps, dtype=np.int64))
    if solver.solve(source, sink) != solver.OPTIMAL:
        raise RuntimeError("max flow failed")
    return int(solver.optimal_flow())


def _window_text(supply: SupplyInput) -> tuple[str, str]:
    if supply.available_from is None and supply.available_until is None:
        return "available with no date limit", "期間の制限なし"
    start = supply.available_from.isoformat() if supply.available_from else "…"
    until = supply.available_until.isoformat() if supply.available_until else "…"
    return f"available {start} to {until}", f"対応可能期間 {start}〜{until}"


def _proposal(state: _State, arc: Arc, people: int, leads: dict[str, str] | None) -> Proposal:
    need = state.needs[arc.need_id]
    supply = state.supplies[arc.supply_id]
    window_en, window_ja = _window_text(supply)
    end = need.end.isoformat()
    en = [f"offers {need.language} for {need.kind}",
          f"{window_en}, covering the need's {need.start.isoformat()} to {end}"]
    ja = [f"{need.language}・{need.kind}を提供", f"{window_ja}（必要期間 {need.start.isoformat()}〜{end} を含む）"]
    if arc.stage == 1:
        en.append("stage 1: inside the affected block")
        ja.append("第1段階：被災ブロック内からの応援")
    else:
        en.append("stage 2: from another block (cross-block support is open)")
        ja.append("第2段階：他ブロックからの応援（ブロック間支援は開始済み）")
    if need.remote:
        en.append("remote work: no travel")
        ja.append("遠隔支援のため移動なし")
    else:
        en.append(f"{arc.distance_km:.1f} km to travel")
        ja.append(f"移動距離 {arc.distance_km:.1f} km")
    if leads is not None:
        lead = leads.get(need.requester)
        if lead == arc.association_id:
            en.append(f"counterpart: lead supporter of {need.requester}")
            ja.append(f"カウンターパート：{need.requester} の主担当")
        else:
            en.append(f"co-supporter: the lead supporter {lead} cannot cover all of {need.requester}'s needs")
            ja.append(f"共同支援：主担当 {lead} だけでは {need.requester} のニーズを満たせないため")
    return Proposal(
        need_id=arc.need_id, supply_id=arc.supply_id, association_id=arc.association_id, headcount=people,
        stage=arc.stage, distance_km=arc.distance_km,
        reasons_en=(*arc.reasons_en, *en), reasons_ja=(*arc.reasons_ja, *ja),
    )


def _explain_unmet(need: NeedInput, missing: int, arcs: Sequence[Arc], spare: dict[str, int],
                   cross_block_open: bool) -> Unmet:
    """Say why `missing` people of `need` stay uncovered (the codes of issue 4)."""
    what_en = f"{need.language} for {need.kind} from {need.start.isoformat()} to {need.end.isoformat()}"
    what_ja = f"{need.start.isoformat()}〜{need.end.isoformat()} の{need.language}・{need.kind}"
    inside = {a.association_id for a in arcs if a.stage == 1}
    outside = {a.association_id for a in arcs if a.stage == 2}
    outside_spare = {a.association_id for a in arcs if a.stage == 2 and spare[a.supply_id] > 0}
    if not inside and not outside:
        code = "no_eligible_supporter"
        en = f"{missing} people unmet: no eligible supporter anywhere offers {what_en}."
        ja = f"{missing}人が未充足：{what_ja}を提供できる応援可能な協会がありません。"
    elif not inside and not cross_block_open:
        code = "no_language_in_block"
        en = (f"{missing} people unmet: no supporter inside the block offers {what_en}; "
              f"{len(outside)} associations in other blocks do, once cross-block support is opened.")
        ja = (f"{missing}人が未充足：ブロック内に{what_ja}を提供できる協会がありません。"
              f"ブロック間支援を開始すれば他ブロックの{len(outside)}協会が対応できます。")
    elif not cross_block_open and outside_spare:
        code = "cross_block_closed"
        en = (f"{missing} people unmet: the {len(inside)} supporters inside the block offering {what_en} "
              f"are fully booked; {len(outside_spare)} associations in other blocks still have people, "
              "but cross-block support is not open.")
        ja = (f"{missing}人が未充足：ブロック内で{what_ja}を提供できる{len(inside)}協会は手一杯です。"
              f"他ブロックの{len(outside_spare)}協会に余力がありますが、ブロック間支援が開始されていません。")
    else:
        code = "capacity_exhausted"
        usable = inside | outside if cross_block_open else inside
        where_en = "" if inside else " (nobody inside the block offers it)"
        where_ja = "" if inside else "（ブロック内には提供できる協会がありません）"
        en = (f"{missing} people unmet: all {len(usable)} eligible supporters offering {what_en} are fully "
              f"booked{where_en}.")
        ja = f"{missing}人が未充足：{what_ja}を提供できる{len(usable)}協会はすべて手一杯です{where_ja}。"
    return Unmet(need_id=need.id, headcount=missing, code=code, reason_en=en, reason_ja=ja)
