"""Random small matching instances for property tests, and independent reference computations
(scipy maximum_flow, scipy HiGHS MILP) that share no code with the solver."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_flow

from coordinator.matching import Arc, Fixed, NeedInput, Plan, SupplyInput, build_arcs

DAY0 = date(2026, 1, 1)
KINDS = ("interpretation", "translation")
LANGUAGES = ("vi", "ne")
# Few distinct distances, so that ties (where only the load-spreading tier decides) are common.
DISTANCES = (0.0, 5.0, 12.5, 12.6, 30.0, 80.0)


@dataclass(frozen=True)
class Candidate:
    """A test stand-in with the attribute names of agreements' eligible candidates."""

    association_id: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


@dataclass
class Instance:
    """Needs, supplies, arcs and fixed people, plus the affected set that eligibility excluded."""

    needs: list[NeedInput]
    supplies: list[SupplyInput]
    arcs: list[Arc]
    fixed: list[Fixed]
    affected: frozenset[str]
    block: dict[str, int]
    partners: dict[int, list[int]]


@st.composite
def instances(draw: st.DrawFn, *, with_fixed: bool = True) -> Instance:
    """A random instance with 3–7 associations in 3 blocks (each block ranks some of the others as its
    partners, in a random order), 1–5 needs and 3–8 supplies.

    Drawn from a seeded `random.Random` rather than field by field: hypothesis shrinks field draws
    towards zeros (one block, distance 0), which would rarely exercise stage 2 or ties."""
    rng = draw(st.randoms(use_true_random=False))
    n_assoc = rng.randint(3, 7)
    associations = [f"a{i}" for i in range(n_assoc)]
    block = {a: rng.randint(0, 2) for a in associations}
    partners = {}
    for b in range(3):
        others = [x for x in range(3) if x != b]
        rng.shuffle(others)
        partners[b] = others[:rng.randint(0, 2)]
    affected = frozenset(rng.sample(associations, rng.randint(1, 2)))
    requesters = sorted(affected)
    needs = []
    for i in range(rng.randint(1, 5)):
        kind = rng.choice(KINDS)
        needs.append(NeedInput(
            id=f"n{i}", requester=rng.choice(requesters), kind=kind, language=rng.choice(LANGUAGES),
            headcount=rng.randint(1, 4), start=DAY0 + timedelta(days=rng.randint(0, 5)),
            days=rng.randint(1, 3), place=None, remote=kind == "translation"))
    supplies = []
    for i in range(rng.randint(3, 8)):
        start = None if rng.random() < 0.6 else rng.randint(0, 4)
        until = None if rng.random() < 0.6 else rng.randint(2, 9)
        supplies.append(SupplyInput(
            id=f"s{i}", association_id=rng.choice(associations),
            languages=frozenset(LANGUAGES if rng.random() < 0.6 else [rng.choice(LANGUAGES)]),
            kinds=frozenset(KINDS if rng.random() < 0.6 else [rng.choice(KINDS)]),
            headcount=rng.randint(1, 4),
            available_from=None if start is None else DAY0 + timedelta(days=start),
            available_until=None if until is None else DAY0 + timedelta(days=until)))
    # Distances in tenths of a km so that 0.1 km costing is exact.
    distance = {(n.id, a): rng.choice(DISTANCES) for n in needs for a in associations}

    def eligibility(need: NeedInput) -> list[Candidate]:
        own = block[need.requester]

        def rank(a: str) -> int | None:
            return partners[own].index(block[a]) + 1 if block[a] in partners[own] else None

        return [Candidate(a, 1 if block[a] == own else 2, 0.0 if need.remote else distance[(need.id, a)],
                          None if block[a] == own else rank(a), (f"eligible {a}",), (f"対象 {a}",))
                for a in associations if a not in affected]

    arcs = build_arcs(needs, supplies, eligibility)
    fixed = []
    if with_fixed and arcs:
        for arc in rng.sample(arcs, rng.randint(0, min(2, len(arcs)))):
            fixed.append(Fixed(arc.need_id, arc.supply_id, rng.randint(1, 3)))
    return Instance(needs, supplies, arcs, fixed, affected, block, partners)


def remaining(instance: Instance) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """People still needed per need, capacity left per supply, fixed people per association."""
    need_left = {n.id: n.headcount for n in instance.needs}
    supply_left = {s.id: s.headcount for s in instance.supplies}
    association_of = {s.id: s.association_id for s in instance.supplies}
    fixed_by_association: dict[str, int] = defaultdict(int)
    for f in instance.fixed:
        need_left[f.need_id] = max(0, need_left[f.need_id] - f.headcount)
        supply_left[f.supply_id] = max(0, supply_left[f.supply_id] - f.headcount)
        fixed_by_association[association_of[f.supply_id]] += f.headcount
    return need_left, supply_left, fixed_by_association


def usable_arcs(instance: Instance, cross_block_open: bool) -> list[Arc]:
    """Arcs the plan may use: stage 2 only when open."""
    return [a for a in instance.arcs if a.stage == 1 or cross_block_open]


def reference_max_flow(instance: Instance, cross_block_open: bool) -> int:
    """Maximum people coverable, computed with scipy's maximum_flow (independent of OR-Tools)."""
    need_left, supply_left, _ = remaining(instance)
    need_ids, supply_ids = sorted(need_left), sorted(supply_left)
    node = {("need", n): 2 + i for i, n in enumerate(need_ids)}
    node.update({("supply", s): 2 + len(need_ids) + i for i, s in enumerate(supply_ids)})
    capacity: dict[tuple[int, int], int] = defaultdict(int)
    for n, left in need_left.items():
        capacity[(0, node[("need", n)])] += left
    for s, left in supply_left.items():
        capacity[(node[("supply", s)], 1)] += left
    for a in usable_arcs(instance, cross_block_open):
        capacity[(node[("need", a.need_id)], node[("supply", a.supply_id)])] += 10**6
    size = 2 + len(need_ids) + len(supply_ids)
    edges = [(t, h, c) for (t, h), c in capacity.items() if c > 0]
    if not edges:
        return 0
    tails, heads, caps = zip(*edges, strict=True)
    graph = csr_matrix((np.array(caps, dtype=np.int32), (tails, heads)), shape=(size, size))
    return int(maximum_flow(graph, 0, 1).flow_value)


def partner_cost(instance: Instance, arc: Arc) -> int:
    """The partner-order cost of one person on an arc (the definition in docs/matching.md): 0 on stage 1,
    rank - 1 from partner block no. rank, and from a non-partner block the largest rank among all arcs."""
    if arc.stage == 1:
        return 0
    if arc.partner_rank is not None:
        return arc.partner_rank - 1
    return max((a.partner_rank for a in instance.arcs if a.stage == 2 and a.partner_rank is not None), default=0)


def plan_tiers(instance: Instance, plan: Plan, partner_order: str = "distance") -> tuple[int, ...]:
    """The plan's (covered, cross-block people, [partner-order cost, with "strict"], travel in 0.1 km,
    load cost)."""
    _, _, fixed_by_association = remaining(instance)
    per_association: dict[str, int] = defaultdict(int)
    for p in plan.proposals:
        per_association[p.association_id] += p.headcount
    load = sum(sum(fixed_by_association[a] + k for k in range(x)) for a, x in per_association.items())
    travel = sum(p.headcount * round(p.distance_km * 10) for p in plan.proposals)
    arc_of = {(a.need_id, a.supply_id): a for a in instance.arcs}
    partner = sum(p.headcount * partner_cost(instance, arc_of[(p.need_id, p.supply_id)]) for p in plan.proposals)
    if partner_order == "strict":
        return plan.covered, plan.cross_block_people, partner, travel, load
    return plan.covered, plan.cross_block_people, travel, load


def milp_tiers(instance: Instance, cross_block_open: bool, partner_order: str = "distance") -> tuple[int, ...]:
    """The lexicographic optimum by successive scipy HiGHS MILPs: max people, then min stage-2 people,
    then (with "strict") min partner-order cost, then min travel (0.1 km), then min load (k-th person of an
    association costs fixed + k - 1)."""
    need_left, supply_left, fixed_by_association = remaining(instance)
    arcs = usable_arcs(instance, cross_block_open)
    association_of = {s.id: s.association_id for s in instance.supplies}
    associations = sorted({association_of[a.supply_id] for a in arcs})
    steps = []  # (association, cost) for unit load variables
    for assoc in associations:
        cap = sum(left for s, left in supply_left.items() if association_of[s] == assoc)
        steps += [(assoc, fixed_by_association[assoc] + k) for k in range(cap)]
    n_x, n_y = len(arcs), len(steps)
    if n_x == 0:
        return (0, 0, 0, 0, 0) if partner_order == "strict" else (0, 0, 0, 0)
    rows, lower, upper = [], [], []

    def row() -> np.ndarray:
        return np.zeros(n_x + n_y)

    for n, left in need_left.items():
        r = row()
        for i, a in enumerate(arcs):
            if a.need_id == n:
                r[i] = 1
        rows.append(r)
        lower.append(0)
        upper.append(left)
    for s, left in supply_left.items():
        r = row()
        for i, a in enumerate(arcs):
            if a.supply_id == s:
                r[i] = 1
        rows.append(r)
        lower.append(0)
        upper.append(left)
    for assoc in associations:
        r = row()
        for i, a in enumerate(arcs):
            if association_of[a.supply_id] == assoc:
                r[i] = 1
        for j, (owner, _) in enumerate(steps):
            if owner == assoc:
                r[n_x + j] = -1
        rows.append(r)
        lower.append(0)
        upper.append(0)

    people = np.concatenate([np.ones(n_x), np.zeros(n_y)])
    stage2 = np.concatenate([[1.0 if a.stage == 2 else 0.0 for a in arcs], np.zeros(n_y)])
    partner = np.concatenate([[float(partner_cost(instance, a)) for a in arcs], np.zeros(n_y)])
    travel = np.concatenate([[float(round(a.distance_km * 10)) for a in arcs], np.zeros(n_y)])
    load = np.concatenate([np.zeros(n_x), [float(c) for _, c in steps]])
    integrality = np.ones(n_x + n_y)
    bounds = Bounds(np.zeros(n_x + n_y), np.concatenate([np.full(n_x, np.inf), np.ones(n_y)]))
    results = []
    tiers = [(people, -1.0), (stage2, 1.0), (travel, 1.0), (load, 1.0)]
    if partner_order == "strict":
        tiers.insert(2, (partner, 1.0))
    for objective, sense in tiers:
        constraints = LinearConstraint(np.array(rows), np.array(lower, dtype=float), np.array(upper, dtype=float))
        res = milp(sense * objective, constraints=constraints, integrality=integrality, bounds=bounds)
        assert res.status == 0, res.message
        value = round(float(objective @ res.x))
        results.append(value)
        rows.append(objective)
        lower.append(value - 0.5 if sense < 0 else -np.inf)
        upper.append(np.inf if sense < 0 else value + 0.5)
    return tuple(results)  # type: ignore[return-value]
