"""Names and labels for people: associations with their blocks, kinds, languages and places from the
agreement and reference data (made once per plan), and the ja/en labels of stages, sources and actions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from agreements import AgreementError
from agreements.index import index_of
from coordinator.matching.models import AssociationRef, NeedSummary, Text
from coordinator.matching.types import Names
from coordinator.needs.models import Need
from coordinator.reference import municipality_or_none

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
        """(en, ja) name of a language; a tag the agreement does not list (a row stored before unknown tags were
        refused) is named as such, so an unmet need says why nobody can match it."""
        try:
            language = self.agreement.language(tag)
        except AgreementError:
            return f"{tag} (a language the agreement does not list)", f"{tag}（協定にない言語）"
        return language.name_en, language.name_ja

    def tag(self, tag: str) -> str:
        """The agreement's spelling of a language tag (`pt-br` → `pt-BR`; the tag itself when not listed)."""
        try:
            return self.agreement.language(tag).tag
        except AgreementError:
            return tag

    def names(self) -> Names:
        """These labels in the form the solver's explanations take."""
        def association(association_id: str) -> tuple[str, str]:
            ref = self.association(association_id)
            return ref.name_en, ref.name_ja

        return Names(association=association, language=self.language, kind=self.kind, tag=self.tag)

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
