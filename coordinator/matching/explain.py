"""Why: the reasons of every proposal and the explanation of every unmet need, in English and Japanese.

Texts are built from the instance's columns (no `Arc` object per proposal: a plan may hold thousands of
lines), and each need's and supply's text is made once per plan.
"""

from __future__ import annotations

import numpy as np

from agreements.languages import serving
from coordinator.matching.instance import Instance, distinct
from coordinator.matching.types import Names, Proposal, Unmet

_STAGE_TEXT = {1: ("stage 1: inside the affected block", "第1段階：被災ブロック内からの応援"),
               2: ("stage 2: from another block (cross-block support is open)",
                   "第2段階：他ブロックからの応援（ブロック間支援は開始済み）")}


_PARTNER_TEXT = {
    ("strict", "better"): ("partner order (agreement: strict): better-ranked partner blocks that offer this have "
                           "no one left",
                           "パートナー順位（協定：順位どおり）：上位のパートナーブロックで対応できる協会に余力がありません"),
    ("strict", "best"): ("partner order (agreement: strict): the best-ranked partner block that offers this",
                         "パートナー順位（協定：順位どおり）：対応できるパートナーブロックのうち最上位"),
    ("strict", "none"): ("partner order (agreement: strict): no partner block offers this",
                         "パートナー順位（協定：順位どおり）：対応できるパートナーブロックがありません"),
    ("distance", "better"): ("partner order not applied (agreement: distance): a better-ranked partner block "
                             "offers this too, but travel decides",
                             "パートナー順位は適用しません（協定：距離優先）：上位のパートナーブロックも対応できますが、"
                             "移動距離で選んでいます"),
    ("distance", "best"): ("partner order not applied (agreement: distance): travel decides",
                           "パートナー順位は適用しません（協定：距離優先）：移動距離で選んでいます"),
}
_PARTNER_TEXT["distance", "none"] = _PARTNER_TEXT["distance", "best"]

_new_proposal = object.__new__


class Explainer:
    """Builds proposals with their reasons from the instance's columns; the texts of each need and
    supply are made once per plan, and no Arc object is built (a plan may hold thousands of lines)."""

    def __init__(self, inst: Instance, leads: dict[str, str] | None, partner: np.ndarray | None,
                 partner_order: str, names: Names) -> None:
        self.inst = inst
        self.names = names
        self.leads = leads
        self.partner = partner  # partner-order cost per sorted arc; None when no stage-2 arc is usable
        self.partner_order = partner_order
        self.best_partner: dict[int, int] = {}
        self.need_arcs: np.ndarray | None = None
        self.need_text: dict[int, tuple[str, str]] = {}
        self.window_text: dict[tuple[int, int], tuple[str, str]] = {}
        self.variant_text: dict[tuple[int, int], tuple[str, str] | None] = {}

    def _need(self, n: int) -> tuple[str, str]:
        """What the need asks for, in English and Japanese."""
        found = self.need_text.get(n)
        if found is None:
            need = self.inst.needs[n]
            language_en, language_ja = self.names.language(need.language)
            kind_en, kind_ja = self.names.kind(need.kind)
            found = self.need_text[n] = (f"offers {language_en} for {kind_en}", f"{language_ja}・{kind_ja}を提供")
        return found

    def _variant(self, n: int, s: int) -> tuple[str, str] | None:
        """When the supply offers a variant or the base of the need's language (not the tag itself), what it
        offers and that it serves the need (agreements.languages.serves); None when it offers the tag itself."""
        if (n, s) in self.variant_text:
            return self.variant_text[(n, s)]
        need, supply = self.inst.needs[n], self.inst.supplies[s]
        found = None
        if need.language not in supply.languages:
            offered = serving(supply.languages, need.language)
            if offered is not None:
                offered_en, offered_ja = self.names.language(offered)
                needed_en, needed_ja = self.names.language(need.language)
                offered_tag, needed_tag = self.names.tag(offered), self.names.tag(need.language)
                kind_en, kind_ja = self.names.kind(need.kind)
                found = (f"offers {offered_en} ({offered_tag}) for {kind_en}: a language variant or base that "
                         f"serves the need's {needed_en} ({needed_tag})",
                         f"{offered_ja}（{offered_tag}）・{kind_ja}を提供：ニーズの{needed_ja}（{needed_tag}）に"
                         "対応できる言語の変種・基本の言語")
        self.variant_text[(n, s)] = found
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
        requester_en, requester_ja = self.names.association(requester)
        if lead == association:
            return (f"counterpart: lead supporter of {requester_en}", f"カウンターパート：{requester_ja} の主担当")
        lead_en, lead_ja = self.names.association(lead) if lead is not None else ("none", "なし")
        return (f"co-supporter: the lead supporter {lead_en} cannot cover all of {requester_en}'s needs",
                f"共同支援：主担当 {lead_ja} だけでは {requester_ja} のニーズを満たせないため")

    def _best_partner(self, n: int) -> int:
        """The lowest partner-order cost among all stage-2 arcs of need n (usable or not)."""
        found = self.best_partner.get(n)
        if found is None:
            inst, partner = self.inst, self.partner
            assert partner is not None
            if self.need_arcs is None:  # arcs are sorted by need: need n's are one slice
                self.need_arcs = np.searchsorted(inst.arc_need, np.arange(len(inst.needs) + 1))
            lo, hi = int(self.need_arcs[n]), int(self.need_arcs[n + 1])
            stage2 = inst.arc_stage[lo:hi] == 2
            found = self.best_partner[n] = int(partner[lo:hi][stage2].min())  # holds the asking arc
        return found

    def _partner(self, n: int, k: int) -> tuple[str, str]:
        """Which partner-order rule applied to this stage-2 arc, and why its block (not a better one)."""
        assert self.partner is not None
        if self._best_partner(n) < int(self.partner[k]):
            case = "better"
        else:
            case = "best" if self.inst.arc_partner[k] >= 1 else "none"
        return _PARTNER_TEXT[self.partner_order, case]

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
            what_en, what_ja = self._variant(n, s) or self._need(n)
            window_en, window_ja = self._window(n, s)
            stage_en, stage_ja = _STAGE_TEXT[stage]
            if need.remote:
                travel_en, travel_ja = "remote work: no travel", "遠隔支援のため移動なし"
            else:
                travel_en, travel_ja = f"{km:.1f} km to travel", f"移動距離 {km:.1f} km"
            en = (*arc_en, what_en, window_en, stage_en, travel_en)
            ja = (*arc_ja, what_ja, window_ja, stage_ja, travel_ja)
            if stage == 2:
                partner_en, partner_ja = self._partner(n, k)
                en, ja = (*en, partner_en), (*ja, partner_ja)
            if self.leads is not None:
                counterpart_en, counterpart_ja = self._counterpart(need.requester, supply.association_id)
                en, ja = (*en, counterpart_en), (*ja, counterpart_ja)
            # Built without the frozen dataclass __init__: equal to Proposal(...), several times faster.
            proposal = _new_proposal(Proposal)
            proposal.__dict__.update(
                need_id=need.id, supply_id=supply.id, association_id=supply.association_id, headcount=count,
                stage=stage, distance_km=km, reasons_en=en, reasons_ja=ja,
                partner_rank=int(inst.arc_partner[k]) if inst.arc_partner[k] >= 1 else None)
            out.append(proposal)
        return out


def _distinct_associations_per_need(inst: Instance, mask: np.ndarray) -> np.ndarray:
    """For each need, how many distinct associations its arcs selected by `mask` reach."""
    n_assoc = max(len(inst.associations), 1)
    pairs = distinct(inst.arc_need[mask] * n_assoc + inst.arc_association[mask], len(inst.needs) * n_assoc)
    return np.bincount(pairs // n_assoc, minlength=len(inst.needs))


def explain_unmet(inst: Instance, missing: np.ndarray, spare: np.ndarray, cross_block_open: bool,
                  names: Names) -> list[Unmet]:
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
        language_en, language_ja = names.language(need.language)
        kind_en, kind_ja = names.kind(need.kind)
        what_en = f"{language_en} for {kind_en} from {need.start.isoformat()} to {need.end.isoformat()}"
        what_ja = f"{need.start.isoformat()}〜{need.end.isoformat()} の{language_ja}・{kind_ja}"
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
