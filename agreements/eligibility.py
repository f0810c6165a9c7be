"""Who may help a need, in what order (stage, partner block, distance), and why every other one may not.

The order is the plan's (docs/matching.md): stage 1 first; within stage 2 partner blocks in the agreement's
order when `[matching] partner_order = "strict"`, else distance alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from agreements.errors import InvalidQuestion
from agreements.index import index_of
from agreements.languages import UnknownLanguage, resolve, serving
from agreements.models import Agreement


class Capability(NamedTuple):
    """What an association can offer: BCP 47 language tags and support kind ids."""

    languages: frozenset[str]
    kinds: frozenset[str]


@dataclass(frozen=True)
class Candidate:
    """An association eligible to support a need, with its rank inputs and the reasons."""

    association_id: str
    block: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


@dataclass(frozen=True)
class Exclusion:
    """An association that may not support this need, and why (code: affected | requester |
    cross_block_closed | language_not_offered | kind_not_offered)."""

    association_id: str
    code: str
    reason_en: str
    reason_ja: str


@dataclass(frozen=True)
class Eligibility:
    """Eligible supporters best first, and every other association with the reason it is excluded."""

    eligible: tuple[Candidate, ...]
    excluded: tuple[Exclusion, ...]


def ranking_rule(agreement: Agreement) -> tuple[str, str]:
    """How eligible supporters are ordered, in English and Japanese: the same order the support plan
    follows (it may still pass over a supporter that has no one left, and says so in its reasons)."""
    if agreement.partner_order == "strict":
        return ("stage 1 (own block) first; then partner blocks in the agreement's order, then other blocks; "
                "nearest first within each (partner_order = strict; the support plan follows this order)",
                "第1段階（自ブロック）を優先し、次に協定の順位どおりのパートナーブロック、その他のブロックの順。"
                "同順位内は近い順（協定：順位どおり。支援計画も同じ順に従います）")
    return ("stage 1 (own block) first; then other blocks nearest first, partner ranks not applied "
            "(partner_order = distance; the support plan lets travel decide the same way)",
            "第1段階（自ブロック）を優先し、次に他ブロックを近い順（パートナー順位は適用しない。協定：距離優先。"
            "支援計画も同じく移動距離で選びます）")


_NOT_RANKED = 1_000_000  # sorts stage-2 associations of non-partner blocks after all partner blocks


def eligible_supporters(agreement: Agreement, *, requester: str, kind: str, language: str, place: str | None,
                        affected: Collection[str], cross_block_open: bool,
                        capabilities: Mapping[str, Capability] | None = None) -> Eligibility:
    """Rank the associations that may support a need; give the reason for each one that may not."""
    index = index_of(agreement)
    if requester not in index.block_of:
        raise InvalidQuestion("requester", f"unknown association {requester!r}",
                              f"要請元の協会 {requester!r} は協定にありません")
    support_kind = agreement.kind(kind)
    lang = agreement.language(language)
    affected_set = affected if isinstance(affected, frozenset) else frozenset(affected)
    index.check_affected(affected_set)
    own_block = index.block_of[requester]
    partners = {block_id: rank for rank, block_id in enumerate(agreement.stages.partners_of(own_block.id), 1)}
    remote = support_kind.remote
    if remote:
        distances = None
        where_en, where_ja = "remote: distance does not matter", "遠隔支援のため距離は問いません"
    elif place is None:
        distances = index.distances_from_association(requester)
        where_en = f"from the requester {index.label_en(requester)}"
        where_ja = f"要請元 {index.label_ja(requester)} から"
    else:
        distances = index.distances_from_place(place)
        town = index.place_name(place)
        where_en, where_ja = f"from the place {town} ({place})", f"支援場所 {town}（{place}）から"
    opening = agreement.stages.cross_block_opening
    strict = agreement.partner_order == "strict"
    tag = lang.tag.lower()

    eligible: list[tuple[tuple[int, int, float, str], Candidate]] = []
    excluded: list[Exclusion] = []
    for association_id in index.association_ids:
        block = index.block_of[association_id]
        if association_id == requester:
            excluded.append(Exclusion(association_id, "requester", "the requesting association itself",
                                      "要請元の協会自身"))
            continue
        if association_id in affected_set:
            # Its own staff may be victims (Chūetsu-oki 2007, DOMAIN.md): it needs help, it cannot give it.
            excluded.append(Exclusion(association_id, "affected", "affected by the disaster",
                                      "被災地域の協会"))
            continue
        stage = 1 if block is own_block else 2
        if stage == 2 and not cross_block_open:
            excluded.append(Exclusion(
                association_id, "cross_block_closed",
                f"stage 2 ({block.name_en}): cross-block support is not open (opening: {opening})",
                f"第2段階（{block.name_ja}）：ブロック間支援がまだ開始されていません（開始方法：{opening}）"))
            continue
        capability = capabilities.get(association_id) if capabilities is not None else None
        if capability is None:
            offer_en, offer_ja = "capabilities not known: language and kind not checked", \
                "対応能力が未登録のため言語・支援の種類は未確認"
        else:
            offered_languages, offered_kinds = capability
            if kind not in offered_kinds:
                excluded.append(Exclusion(association_id, "kind_not_offered",
                                          f"does not offer {support_kind.name_en}",
                                          f"{support_kind.name_ja}の提供がありません"))
                continue
            offered = serving(offered_languages, lang.tag)
            if offered is None:
                excluded.append(Exclusion(association_id, "language_not_offered",
                                          f"does not offer {lang.name_en} ({lang.tag}) or a variant of it",
                                          f"{lang.name_ja}（{lang.tag}）とその変種の提供がありません"))
                continue
            offering = lang
            if offered.lower() != tag:  # a variant or the base of the need's language (agreements.languages)
                # A capability recorded before the agreement dropped its tag keeps the need's name.
                with contextlib.suppress(UnknownLanguage):
                    offering = resolve(agreement, offered)
            offer_en = f"offers {support_kind.name_en} in {offering.name_en}"
            offer_ja = f"{offering.name_ja}で{support_kind.name_ja}を提供可能"
            if offering is not lang:
                offer_en += f" ({offering.tag}, for the need's {lang.tag})"
                offer_ja += f"（{offering.tag}：ニーズは {lang.tag}）"
        if stage == 1:
            partner_rank = None
            stage_en = f"stage 1: same block as the requester ({block.name_en})"
            stage_ja = f"第1段階：要請元と同じブロック（{block.name_ja}）"
        else:
            partner_rank = partners.get(block.id)
            if partner_rank is None:
                stage_en = f"stage 2: other block ({block.name_en}), not a partner of {own_block.name_en}"
                stage_ja = f"第2段階：他ブロック（{block.name_ja}、{own_block.name_ja}のパートナーではない）"
            else:
                stage_en = f"stage 2: partner block no. {partner_rank} of {own_block.name_en} ({block.name_en})"
                stage_ja = f"第2段階：{own_block.name_ja}のパートナーブロック第{partner_rank}順位（{block.name_ja}）"
            if not strict:
                stage_en += "; partner order not applied (agreement: partner_order = distance), nearest first"
                stage_ja += "。協定によりパートナー順位は適用せず、近い順"
        if distances is None:
            distance = 0.0
            distance_en, distance_ja = where_en, where_ja
        else:
            distance = distances[association_id]
            distance_en, distance_ja = f"{distance} km {where_en}", f"{where_ja}{distance} km"
        candidate = Candidate(association_id, block.id, stage, distance, partner_rank,
                              (stage_en, distance_en, offer_en), (stage_ja, distance_ja, offer_ja))
        rank = partner_rank if partner_rank is not None else _NOT_RANKED
        eligible.append(((stage, rank if stage == 2 and strict else 0, distance, association_id), candidate))
    eligible.sort(key=lambda pair: pair[0])
    return Eligibility(eligible=tuple(c for _, c in eligible), excluded=tuple(excluded))


