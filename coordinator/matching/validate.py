"""The solver's input rules: each check names the field and says why, in English and Japanese.

Kept apart from building the instance (`instance.py`) so that the rules read as one list; the checks
on arcs work on the columns the instance builder has already computed, so nothing is read twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from coordinator.matching.types import Arc, Fixed, MatchingInputError, NeedInput, SupplyInput


def fail(field_name: str, en: str, ja: str) -> MatchingInputError:
    """The error for a bad field (raise it)."""
    return MatchingInputError(field_name, en, ja)


def check_needs(needs: Sequence[NeedInput]) -> None:
    """Needs sorted by id: ids distinct, headcount ≥ 0, days ≥ 1."""
    for i, need in enumerate(needs):
        if i and needs[i - 1].id == need.id:
            raise fail("needs.id", f"need id {need.id!r} appears twice", f"ニーズID {need.id!r} が重複しています")
        if need.headcount < 0:
            raise fail("needs.headcount", f"need {need.id!r}: headcount must be 0 or more, got "
                       f"{need.headcount}", f"ニーズ {need.id!r}: 人数は0以上にしてください（{need.headcount}）")
        if need.days < 1:
            raise fail("needs.days", f"need {need.id!r}: days must be 1 or more, got {need.days}",
                       f"ニーズ {need.id!r}: 日数は1以上にしてください（{need.days}）")


def check_supplies(supplies: Sequence[SupplyInput]) -> None:
    """Supplies sorted by id: ids distinct, headcount ≥ 0."""
    for i, supply in enumerate(supplies):
        if i and supplies[i - 1].id == supply.id:
            raise fail("supplies.id", f"supply id {supply.id!r} appears twice",
                       f"提供ID {supply.id!r} が重複しています")
        if supply.headcount < 0:
            raise fail("supplies.headcount", f"supply {supply.id!r}: headcount must be 0 or more, got "
                       f"{supply.headcount}", f"提供 {supply.id!r}: 人数は0以上にしてください（{supply.headcount}）")


def check_fixed(fixed: Sequence[Fixed], need_ids: Callable[[str], Any], supply_ids: Callable[[str], Any]) -> None:
    """Fixed people name a known need and supply (`need_ids`/`supply_ids` answer None for unknown ids) and
    number at least 1."""
    for item in fixed:
        if need_ids(item.need_id) is None:
            raise fail("fixed.need_id", f"fixed dispatch names unknown need {item.need_id!r}",
                       f"確定済みの派遣が存在しないニーズ {item.need_id!r} を指しています")
        if supply_ids(item.supply_id) is None:
            raise fail("fixed.supply_id", f"fixed dispatch names unknown supply {item.supply_id!r}",
                       f"確定済みの派遣が存在しない提供 {item.supply_id!r} を指しています")
        if item.headcount < 1:
            raise fail("fixed.headcount", f"fixed dispatch {item.need_id!r}/{item.supply_id!r}: headcount "
                       f"must be 1 or more, got {item.headcount}",
                       f"確定済みの派遣 {item.need_id!r}/{item.supply_id!r}: 人数は1以上にしてください")


def check_arcs(arcs: Sequence[Arc], *, need: np.ndarray, supply: np.ndarray, association: np.ndarray,
               supply_association: np.ndarray, stages: np.ndarray | None, kms: np.ndarray | None,
               ranks: np.ndarray | None, owner_of: Callable[[str], str]) -> None:
    """Arcs (in the caller's order, as columns: indexes -1 for unknown ids; `stages`, `kms` and `ranks`
    None when some value is not a plain number; a rank of None is -1) name known needs and supplies, the
    supply's own association, stage 1 or 2, a finite distance ≥ 0, and a partner rank that is empty or
    ≥ 1, and empty on stage 1 (partner blocks are other blocks)."""

    def first(bad: np.ndarray) -> Arc | None:
        hits = np.flatnonzero(bad)
        return arcs[int(hits[0])] if hits.size else None

    if (arc := first(need < 0)) is not None:
        raise fail("arcs.need_id", f"arc names unknown need {arc.need_id!r}",
                   f"アークが存在しないニーズ {arc.need_id!r} を指しています")
    if (arc := first(supply < 0)) is not None:
        raise fail("arcs.supply_id", f"arc names unknown supply {arc.supply_id!r}",
                   f"アークが存在しない提供 {arc.supply_id!r} を指しています")
    if (arc := first(association != supply_association[supply])) is not None:
        owner = owner_of(arc.supply_id)
        raise fail("arcs.association_id", f"arc {arc.need_id!r}→{arc.supply_id!r}: association "
                   f"{arc.association_id!r} is not the supply's ({owner!r})",
                   f"アーク {arc.need_id!r}→{arc.supply_id!r}: 協会 {arc.association_id!r} が提供元 "
                   f"（{owner!r}）と一致しません")
    stage_ok = ((stages == 1) | (stages == 2) if stages is not None
                else np.array([type(a.stage) is int and a.stage in (1, 2) for a in arcs], dtype=bool))
    if (arc := first(~stage_ok)) is not None:
        raise fail("arcs.stage", f"arc {arc.need_id!r}→{arc.supply_id!r}: stage must be 1 or 2, got "
                   f"{arc.stage!r}", f"アーク {arc.need_id!r}→{arc.supply_id!r}: 段階は1または2です（{arc.stage!r}）")
    km_ok = (np.isfinite(kms) & (kms >= 0) if kms is not None
             else np.array([type(a.distance_km) in (int, float) and math.isfinite(a.distance_km)
                            and a.distance_km >= 0 for a in arcs], dtype=bool))
    if (arc := first(~km_ok)) is not None:
        raise fail("arcs.distance_km", f"arc {arc.need_id!r}→{arc.supply_id!r}: distance must be a "
                   f"finite number ≥ 0, got {arc.distance_km!r}",
                   f"アーク {arc.need_id!r}→{arc.supply_id!r}: 距離は0以上の有限値です（{arc.distance_km!r}）")
    rank_ok = ((ranks == -1) | ((ranks >= 1) & (stages == 2)) if ranks is not None and stages is not None
               else np.array([a.partner_rank is None or (type(a.partner_rank) is int and a.partner_rank >= 1
                                                         and a.stage == 2) for a in arcs], dtype=bool))
    if (arc := first(~rank_ok)) is not None:
        raise fail("arcs.partner_rank", f"arc {arc.need_id!r}→{arc.supply_id!r}: partner rank must be empty, "
                   f"or 1 or more on stage 2, got {arc.partner_rank!r}",
                   f"アーク {arc.need_id!r}→{arc.supply_id!r}: パートナー順位は空、または第2段階で1以上です"
                   f"（{arc.partner_rank!r}）")


def check_distinct_arcs(arcs: Sequence[Arc], pair: np.ndarray, order: np.ndarray) -> None:
    """No (need, supply) pair twice: `pair` is the sorted pair key of each arc, `order` maps sorted
    positions back to the caller's arcs."""
    twice = np.flatnonzero(pair[1:] == pair[:-1])
    if twice.size:
        arc = arcs[int(order[twice[0]])]
        raise fail("arcs", f"arc {arc.need_id!r}→{arc.supply_id!r} appears twice",
                   f"アーク {arc.need_id!r}→{arc.supply_id!r} が重複しています")
