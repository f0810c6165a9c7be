"""What a person needs to judge a plan (issue 14 item 4): names beside ids, Japanese and English labels,
and exactly what a commit would do to the still-proposed dispatches (keep, replace or cancel).

Pure functions over rows already read; the service calls them for the dry run and the commit alike, so
what the preview shows is what the commit does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agreements import AgreementError
from agreements.index import index_of
from coordinator.disasters.reference import municipality_or_none
from coordinator.dispatches.models import Dispatch
from coordinator.matching.models import AssociationRef, NeedSummary, PlanProposal, Text
from coordinator.matching.types import Names
from coordinator.needs.models import Need

STAGE_LABELS = {1: Text(ja="第1段階（ブロック内）", en="Stage 1 (inside the block)"),
                2: Text(ja="第2段階（ブロック間）", en="Stage 2 (from another block)")}
SOURCE_LABELS = {"offer": Text(ja="申し出", en="Offer"),
                 "standing_capacity": Text(ja="平常時登録（未確認）", en="Standing capacity (not yet confirmed)")}
ACTION_LABELS = {"keep": Text(ja="そのまま（変更なし）", en="Kept as it is"),
                 "replace": Text(ja="新しい提案で置き換え", en="Replaced by new proposals"),
                 "cancel": Text(ja="取り消し", en="Cancelled")}
PARTNER_ORDER_LABELS = {
    "strict": Text(ja="他ブロックからの応援は協定のパートナーブロック順（その後に距離）",
                   en="Help from other blocks follows the agreement's partner-block order, then distance"),
    "distance": Text(ja="他ブロックからの応援は距離優先（パートナー順位は適用しない）",
                     en="Help from other blocks goes by distance (partner order not applied)")}
LIFTED_LABELS = {"offer": Text(ja="支援協会が改めて申し出たため、計画の対象に戻りました",
                               en="Back in plans: the supporter offered again"),
                 "release": Text(ja="担当者の判断で計画の対象に戻しました", en="Back in plans: released by a person")}


class Labels:
    """Names of associations, kinds, languages and places from the agreement and reference data, made
    once per plan."""

    def __init__(self, agreement: Any) -> None:
        self.agreement = agreement
        self.index = index_of(agreement)
        self._associations: dict[str, AssociationRef] = {}
        self._needs: dict[int, NeedSummary] = {}

    def association(self, association_id: str) -> AssociationRef:
        """An association with its names and block."""
        found = self._associations.get(association_id)
        if found is None:
            try:
                block = self.agreement.block_of(association_id)
                block_id, block_ja, block_en = block.id, block.name_ja, block.name_en
            except AgreementError:
                block_id = block_ja = block_en = None
            found = self._associations[association_id] = AssociationRef(
                id=association_id, name_ja=self.index.name_ja.get(association_id, association_id),
                name_en=self.index.name_en.get(association_id, association_id), block=block_id,
                block_name_ja=block_ja, block_name_en=block_en)
        return found

    def kind(self, kind_id: str) -> tuple[str, str]:
        """(en, ja) name of a support kind (the id when the agreement does not list it)."""
        try:
            kind = self.agreement.kind(kind_id)
        except AgreementError:
            return kind_id, kind_id
        return kind.name_en, kind.name_ja

    def language(self, tag: str) -> tuple[str, str]:
        """(en, ja) name of a language (the tag when the agreement does not list it)."""
        try:
            language = self.agreement.language(tag)
        except AgreementError:
            return tag, tag
        return language.name_en, language.name_ja

    def names(self) -> Names:
        """These labels in the form the solver's explanations take."""
        def association(association_id: str) -> tuple[str, str]:
            ref = self.association(association_id)
            return ref.name_en, ref.name_ja

        return Names(association=association, language=self.language, kind=self.kind)

    def need(self, need: Need) -> NeedSummary:
        """A need with its labels."""
        found = self._needs.get(need.id or 0)
        if found is None:
            kind_en, kind_ja = self.kind(need.kind)
            language_en, language_ja = self.language(need.language)
            place = municipality_or_none(need.place) if need.place else None
            found = self._needs[need.id or 0] = NeedSummary(
                id=need.id or 0, kind=need.kind, kind_ja=kind_ja, kind_en=kind_en, language=need.language,
                language_ja=language_ja, language_en=language_en, headcount=need.headcount, start=need.start,
                end=need.start + timedelta(days=need.days - 1), days=need.days, remote=need.remote,
                place=need.place, place_ja=place.name_ja if place is not None else None, notes=need.notes)
        return found


@dataclass
class ExistingAction:
    """What a commit does to one still-proposed dispatch."""

    dispatch: Dispatch
    action: str  # keep | replace | cancel
    replaced_by: list[str] = field(default_factory=list)
    kept_as: str | None = None


def _same(proposal: PlanProposal, dispatch: Dispatch) -> bool:
    return (proposal.need_id, proposal.supplier_id, proposal.offer_id, proposal.headcount, proposal.stage) == (
        dispatch.need_id, dispatch.supplier_id, dispatch.offer_id, dispatch.headcount, dispatch.stage)


def existing_actions(proposals: Sequence[PlanProposal], replaceable: Iterable[Dispatch]) -> list[ExistingAction]:
    """Keep a still-proposed dispatch the plan proposes again unchanged (same need, supporter, offer,
    people and stage); replace one whose need gets other proposals; cancel the rest. Sets each proposal's
    `existing_dispatch_id` and `replaces` to match. Only committable proposals count."""
    committable = [p for p in proposals if p.committable]
    unmatched = {p.key: p for p in committable}
    actions: list[ExistingAction] = []
    for dispatch in sorted(replaceable, key=lambda d: d.id or 0):
        twin = next((p for p in unmatched.values() if _same(p, dispatch)), None)
        if twin is not None:
            del unmatched[twin.key]
            twin.existing_dispatch_id = dispatch.id
            actions.append(ExistingAction(dispatch, "keep", kept_as=twin.key))
        else:
            actions.append(ExistingAction(dispatch, "cancel"))
    new_by_need: dict[int, list[PlanProposal]] = defaultdict(list)
    for proposal in unmatched.values():
        new_by_need[proposal.need_id].append(proposal)
    for item in actions:
        if item.action == "cancel" and new_by_need.get(item.dispatch.need_id):
            item.action = "replace"
            item.replaced_by = sorted(p.key for p in new_by_need[item.dispatch.need_id])
            for proposal in new_by_need[item.dispatch.need_id]:
                proposal.replaces.append(item.dispatch.id or 0)
    return actions
