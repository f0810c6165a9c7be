"""Who coordinates each block, and who is the secretariat, when some associations are affected."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from agreements.errors import NoCoordinatorLeft
from agreements.index import AgreementIndex, index_of
from agreements.models import Agreement, BlockRoles


@dataclass(frozen=True)
class ActingCoordinator:
    """The association acting as a block's coordinator, and why.

    `is_deputy` is true whenever it is not the designated coordinator; `basis` says how it was chosen:
    coordinator | deputy | nearest_member | partner_block | other_block.
    """

    block: str
    association_id: str
    is_deputy: bool
    skipped: tuple[str, ...]
    reason_en: str
    reason_ja: str
    basis: str = "coordinator"


@dataclass(frozen=True)
class ActingSecretariat:
    """The acting secretariat: "clair", or the association it failed over to."""

    id: str
    is_failover: bool
    reason_en: str
    reason_ja: str


@dataclass(frozen=True)
class ActingRoles:
    """Acting coordinators of every block and the acting secretariat for one fiscal year."""

    fiscal_year: int
    coordinators: dict[str, ActingCoordinator]
    secretariat: ActingSecretariat


def acting_roles(agreement: Agreement, *, affected: Collection[str], on: date,
                 affected_prefectures: Collection[str] = ()) -> ActingRoles:
    """Acting coordinator of each block and acting secretariat, failing over past affected associations."""
    # Coordination must sit outside the affected area: after Chūetsu-oki 2007 the affected association's
    # own staff were victims (DOMAIN.md, "The agreement, as far as it is known").
    index = index_of(agreement)
    affected_set = frozenset(affected)
    index.check_affected(affected_set)
    year = agreement.fiscal_year_of(on)
    roles = agreement.roles_for(year)
    own = {block.id: _from_own_block(index, block.id, roles.blocks[block.id], affected_set, year)
           for block in agreement.blocks}
    coordinators = {block.id: own[block.id] or _from_other_block(index, block.id, roles.blocks[block.id], own, year)
                    for block in agreement.blocks}
    prefectures = {str(code).zfill(2) for code in affected_prefectures}
    secretariat = _secretariat(agreement, index, coordinators, affected_set, prefectures, year)
    return ActingRoles(fiscal_year=year, coordinators=coordinators, secretariat=secretariat)


def _from_own_block(index: AgreementIndex, block_id: str, role: BlockRoles, affected: frozenset[str],
                    year: int) -> ActingCoordinator | None:
    """The coordinator, else the first unaffected deputy, else the nearest unaffected member; None if none."""
    designated = role.coordinator
    block = index.agreement.block(block_id)
    if designated not in affected:
        return ActingCoordinator(
            block_id, designated, False, (),
            f"{index.label_en(designated)}: designated coordinator of {block.name_en} for FY{year}",
            f"{index.label_ja(designated)}：{year}年度の{block.name_ja}ブロック幹事団体", "coordinator")
    skipped: list[str] = [designated]
    for rank, deputy in enumerate(role.deputies, start=1):
        if deputy in affected:
            skipped.append(deputy)
            continue
        passed = ", ".join(skipped)
        return ActingCoordinator(
            block_id, deputy, True, tuple(skipped),
            f"{index.label_en(deputy)}: deputy no. {rank} of {block.name_en} for FY{year}, acting because "
            f"{passed} {'is' if len(skipped) == 1 else 'are'} affected",
            f"{index.label_ja(deputy)}：{year}年度の{block.name_ja}ブロック副幹事（第{rank}順位）。"
            f"{passed} が被災のため代行", "deputy")
    distances = index.distances_from_association(designated)
    members = [m for m in block.members if m not in affected]
    if not members:
        return None
    nearest = min(members, key=lambda m: (distances[m], m))
    passed = ", ".join(skipped)
    return ActingCoordinator(
        block_id, nearest, True, tuple(skipped),
        f"{index.label_en(nearest)}: the coordinator and all deputies of {block.name_en} are affected "
        f"({passed}); the nearest unaffected member ({distances[nearest]} km from {designated}) acts",
        f"{index.label_ja(nearest)}：{block.name_ja}ブロックの幹事・副幹事がすべて被災（{passed}）のため、"
        f"{designated}から最も近い被災していない構成団体（{distances[nearest]} km）が代行", "nearest_member")


def _from_other_block(index: AgreementIndex, block_id: str, role: BlockRoles,
                      own: dict[str, ActingCoordinator | None], year: int) -> ActingCoordinator:
    """A wholly affected block borrows the acting coordinator of a partner block, then of the nearest block."""
    skipped = (role.coordinator, *role.deputies)
    block = index.agreement.block(block_id)
    for rank, partner in enumerate(index.agreement.stages.partners_of(block_id), start=1):
        helper = own.get(partner)
        if helper is not None:
            other = index.agreement.block(partner)
            return ActingCoordinator(
                block_id, helper.association_id, True, skipped,
                f"{index.label_en(helper.association_id)}: every member of {block.name_en} is affected; the "
                f"acting coordinator of partner block no. {rank} ({other.name_en}) also coordinates it",
                f"{index.label_ja(helper.association_id)}：{block.name_ja}ブロックの全構成団体が被災のため、"
                f"パートナーブロック第{rank}順位（{other.name_ja}）の幹事が兼ねて調整", "partner_block")
    # No partner block can help: the nearest block that still has its own coordinator (assumption: the
    # agreement names no further order, and coordination must sit outside the affected area).
    distances = index.distances_from_association(role.coordinator)
    others = [h for b, h in own.items() if h is not None and b != block_id]
    if others:
        helper = min(others, key=lambda h: (distances[h.association_id], h.association_id))
        other = index.agreement.block(helper.block)
        return ActingCoordinator(
            block_id, helper.association_id, True, skipped,
            f"{index.label_en(helper.association_id)}: every member of {block.name_en} and of its partner "
            f"blocks is affected; the acting coordinator of the nearest block ({other.name_en}) also "
            f"coordinates it",
            f"{index.label_ja(helper.association_id)}：{block.name_ja}ブロックとそのパートナーブロックの"
            f"全構成団体が被災のため、最も近いブロック（{other.name_ja}）の幹事が兼ねて調整", "other_block")
    raise NoCoordinatorLeft(
        index.agreement.source_file, f"fiscal_years.{year}.blocks.{block_id}",
        f"every association is affected: nobody is left to coordinate {block.name_en}",
        f"すべての協会が被災しており、{block.name_ja}ブロックを調整できる団体がありません")


def _secretariat(agreement: Agreement, index: AgreementIndex, coordinators: dict[str, ActingCoordinator],
                 affected: frozenset[str], prefectures: set[str], year: int) -> ActingSecretariat:
    """CLAIR, unless its prefecture or CLAIR itself is affected: then the first fail-over block's coordinator."""
    secretariat = agreement.secretariat
    if secretariat.prefecture_code not in prefectures and secretariat.id not in affected:
        return ActingSecretariat(secretariat.id, False, f"{secretariat.name_en} is not affected",
                                 f"{secretariat.name_ja}は被災していません")
    why_en = (f"prefecture {secretariat.prefecture_code} is affected" if secretariat.prefecture_code in prefectures
              else f"{secretariat.id} is affected")
    why_ja = (f"都道府県 {secretariat.prefecture_code} が被災" if secretariat.prefecture_code in prefectures
              else f"{secretariat.id} が被災")
    # The governors' association passes its secretariat to the Kinki lead prefecture when Tokyo is
    # affected (DOMAIN.md); the fail-over order is data: [secretariat.failover].
    for block_id in secretariat.failover.blocks:
        acting = coordinators.get(block_id)
        if acting is not None and acting.association_id not in affected:
            block = agreement.block(block_id)
            return ActingSecretariat(
                acting.association_id, True,
                f"{why_en}: the secretariat fails over to the acting coordinator of {block.name_en} "
                f"({index.label_en(acting.association_id)})",
                f"{why_ja}のため、事務局は{block.name_ja}ブロックの幹事（{index.label_ja(acting.association_id)}）"
                f"に移ります")
    raise NoCoordinatorLeft(agreement.source_file, "secretariat.failover.blocks",
                            f"{why_en} and no fail-over block has an acting coordinator",
                            f"{why_ja}、代替先のブロックにも幹事代行がいません")
