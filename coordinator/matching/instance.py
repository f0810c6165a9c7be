"""The solver's input as index arrays: needs, supplies and associations sorted by id, arcs as columns.

`build_instance` checks every input with the rules of `validate` on the way, so an `Instance` is always
valid; the array helpers here are shared by the solver and the explanations.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from coordinator.matching import validate
from coordinator.matching.network import ArcTable
from coordinator.matching.types import Arc, Fixed, NeedInput, SupplyInput


@dataclass
class Instance:
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
    arc_partner: np.ndarray  # the supplier's block's rank among the requester block's partners; -1 for none

    def arc_reasons(self, k: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(reasons_en, reasons_ja) of sorted arc k, read from an ArcTable without building an Arc."""
        original = int(self.arc_order[k])
        reasons = getattr(self.arcs, "reasons", None)
        if reasons is not None:
            return reasons(original)
        arc = self.arcs[original]
        return arc.reasons_en, arc.reasons_ja


def build_instance(needs: Iterable[NeedInput], supplies: Iterable[SupplyInput], arcs: Iterable[Arc],
                   fixed: Iterable[Fixed]) -> Instance:
    """Sort, check and index the input; people already fixed are taken off needs and supplies."""
    need_list = sorted(needs, key=lambda n: n.id)
    validate.check_needs(need_list)
    supply_list = sorted(supplies, key=lambda s: s.id)
    validate.check_supplies(supply_list)
    need_pos = {n.id: i for i, n in enumerate(need_list)}
    supply_pos = {s.id: i for i, s in enumerate(supply_list)}
    associations = sorted({s.association_id for s in supply_list})
    association_pos = {a: i for i, a in enumerate(associations)}
    supply_association = np.array([association_pos[s.association_id] for s in supply_list], dtype=np.int64)

    need_left = np.array([n.headcount for n in need_list], dtype=np.int64)
    supply_left = np.array([s.headcount for s in supply_list], dtype=np.int64)
    association_fixed = np.zeros(len(associations), dtype=np.int64)
    pair_fixed: dict[tuple[str, str], int] = defaultdict(int)
    fixed_list = sorted(fixed, key=lambda f: (f.need_id, f.supply_id, f.headcount))
    validate.check_fixed(fixed_list, need_pos.get, supply_pos.get)
    for item in fixed_list:
        # Accepted people stay accepted even if they exceed today's numbers: clamp what is left at 0.
        n, s = need_pos[item.need_id], supply_pos[item.supply_id]
        need_left[n] = max(0, need_left[n] - item.headcount)
        supply_left[s] = max(0, supply_left[s] - item.headcount)
        association_fixed[supply_association[s]] += item.headcount
        pair_fixed[(need_list[n].requester, supply_list[s].association_id)] += item.headcount

    arc_list: Any = arcs if isinstance(arcs, (list, ArcTable)) else list(arcs)
    if isinstance(arc_list, ArcTable):
        arc_need, arc_supply, arc_association, stages, kms, ranks = _table_columns(
            arc_list, need_pos, supply_pos, association_pos)
    else:
        # One pass per attribute: list comprehensions are the fast way to read Python objects in bulk.
        need_at, supply_at, association_at = need_pos.get, supply_pos.get, association_pos.get
        arc_need = np.array([need_at(a.need_id, -1) for a in arc_list], dtype=np.int64)
        arc_supply = np.array([supply_at(a.supply_id, -1) for a in arc_list], dtype=np.int64)
        arc_association = np.array([association_at(a.association_id, -1) for a in arc_list], dtype=np.int64)
        stages = _numbers([a.stage for a in arc_list], "iu")
        kms = _numbers([a.distance_km for a in arc_list], "iuf")
        ranks = _numbers([-1 if a.partner_rank is None else a.partner_rank for a in arc_list], "iu")
    validate.check_arcs(arc_list, need=arc_need, supply=arc_supply, association=arc_association,
                        supply_association=supply_association, stages=stages, kms=kms, ranks=ranks,
                        owner_of=lambda supply_id: supply_list[supply_pos[supply_id]].association_id)

    pair = arc_need * max(len(supply_list), 1) + arc_supply
    if pair.size and bool((pair[1:] > pair[:-1]).all()):
        order = np.arange(pair.size)  # already sorted, no duplicates (always so for an ArcTable)
    else:
        order = np.lexsort((arc_supply, arc_need))
        arc_need, arc_supply, arc_association = arc_need[order], arc_supply[order], arc_association[order]
        pair = pair[order]
    validate.check_distinct_arcs(arc_list, pair, order)
    return Instance(
        needs=need_list, supplies=supply_list, associations=associations,
        supply_association=supply_association, need_left=need_left, supply_left=supply_left,
        association_fixed=association_fixed, pair_fixed=dict(pair_fixed), arcs=arc_list, arc_order=order,
        arc_need=arc_need, arc_supply=arc_supply, arc_association=arc_association,
        arc_stage=np.asarray(stages, dtype=np.int64)[order], arc_km=np.asarray(kms, dtype=np.float64)[order],
        arc_partner=np.asarray(ranks, dtype=np.int64)[order])


def _table_columns(table: ArcTable, need_pos: dict[str, int], supply_pos: dict[str, int],
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
    return arc_need, arc_supply, arc_association, stages, kms, table.partner_rank


def _numbers(values: list[Any], kinds: str) -> np.ndarray | None:
    """Values as one numeric array whose dtype kind is in `kinds`, or None when some value is not such
    a number (a bool, a string, None)."""
    array = np.array(values) if values else np.zeros(0, dtype=np.int64)
    return array if array.dtype.kind in kinds else None


def distinct(values: np.ndarray, size: int) -> np.ndarray:
    """Sorted distinct values of a non-negative int array below `size` (a mark array when it is small:
    several times faster than np.unique at 10^5 arcs)."""
    if size > 1 << 26:
        return np.unique(values)
    mark = np.zeros(size, dtype=bool)
    mark[values] = True
    return np.flatnonzero(mark)


def group_min(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys (sorted) and the minimum value of each."""
    if keys.size == 0:
        return keys, values
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    return keys[starts], values[starts]
