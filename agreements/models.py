"""The agreement as typed, frozen models; every rule carries the source it comes from."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from agreements.errors import AgreementError, InvalidQuestion
from agreements.fiscal import fiscal_year
from agreements.languages import is_well_formed, resolve

CostSettlement = Literal["requester_pays", "supporter_pays", "reimbursed"]
CrossBlockOpening = Literal["secretariat", "automatic"]
# Within stage 2: "strict" uses partner blocks in the agreement's order before travel distance decides;
# "distance" lets travel decide (partner ranks are shown but not applied).
PartnerOrder = Literal["strict", "distance"]
# Who a reminder or an escalation goes to (coordinator/reminders): the supporter asked, the approver of the
# dispatch (stage 1: the requester block's acting coordinator; stage 2: the secretariat), the supporter
# block's acting coordinator, or the acting secretariat.
ReminderTarget = Literal["supplier", "approver", "block_coordinator", "secretariat"]
NonEmpty = Annotated[str, Field(min_length=1)]

class Rule(BaseModel):
    """A part of the agreement that names where it comes from (a source, or "assumption")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: NonEmpty

    @field_validator("source")
    @classmethod
    def _source_is_text(cls, value: str) -> str:
        if not value.strip():
            raise ValueError('must name a source or say "assumption"')
        return value


class Meta(Rule):
    """Name and version of the rule set."""

    name_ja: NonEmpty
    name_en: NonEmpty
    version: NonEmpty


class Block(Rule):
    """One of the liaison council's blocks and its member associations."""

    id: NonEmpty
    name_ja: NonEmpty
    name_en: NonEmpty
    members: tuple[str, ...]


class BlockRoles(Rule):
    """The coordinating association of a block for one fiscal year, and its deputies in order."""

    coordinator: NonEmpty
    deputies: tuple[str, ...] = ()


class FiscalYear(BaseModel):
    """The roles of one Japanese fiscal year (1 April to 31 March)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    year: int
    blocks: dict[str, BlockRoles]

    @property
    def starts(self) -> date:
        """First day of the fiscal year."""
        return date(self.year, 4, 1)

    @property
    def ends(self) -> date:
        """Last day of the fiscal year."""
        return date(self.year + 1, 3, 31)


class SecretariatFailover(Rule):
    """Blocks whose acting coordinator takes over the secretariat, in order."""

    blocks: tuple[str, ...]


class Secretariat(Rule):
    """The council's secretariat (CLAIR) with its location and fail-over."""

    id: NonEmpty
    name_ja: NonEmpty
    name_en: NonEmpty
    prefecture_code: Annotated[str, Field(pattern=r"^(0[1-9]|[1-3][0-9]|4[0-7])$")]
    municipality_code: Annotated[str, Field(pattern=r"^[0-9]{5}$")]
    lat: Annotated[float, Field(ge=20.0, le=46.0)]
    lon: Annotated[float, Field(ge=122.0, le=154.0)]
    failover: SecretariatFailover


class PartnerBlocks(Rule):
    """For each block, the other blocks preferred in stage 2, in order."""

    order: dict[str, tuple[str, ...]]


class Stages(Rule):
    """Stage 1 = same block, stage 2 = other blocks; how stage 2 opens; partner-block preference."""

    cross_block_opening: CrossBlockOpening = "secretariat"
    cross_block_opening_source: NonEmpty
    partner_blocks: PartnerBlocks

    def partners_of(self, block_id: str) -> tuple[str, ...]:
        """The partner blocks of a block, most preferred first."""
        return self.partner_blocks.order.get(block_id, ())


class SupportKind(Rule):
    """A kind of support; remote kinds need no travel."""

    id: NonEmpty
    name_ja: NonEmpty
    name_en: NonEmpty
    remote: bool


class Language(Rule):
    """A language support is asked for, as a BCP 47 tag."""

    tag: NonEmpty
    name_ja: NonEmpty
    name_en: NonEmpty

    @field_validator("tag")
    @classmethod
    def _valid_bcp47(cls, value: str) -> str:
        if not is_well_formed(value):
            raise ValueError(f"{value!r} is not a valid BCP 47 language tag")
        return value


class Rotation(Rule):
    """Length of one dispatch rotation in days."""

    default_days: Annotated[int, Field(ge=1)]
    min_days: Annotated[int, Field(ge=1)]
    max_days: Annotated[int, Field(ge=1)]


class CostPolicy(Rule):
    """How the cost of a dispatch is settled: the default and the choices allowed per dispatch."""

    default: CostSettlement
    allowed: tuple[CostSettlement, ...]
    # An expected cost above this per person-day asks the supporter to confirm it and waits for the
    # requester's agreement before it binds them (issue 12 item 2); None turns the check off.
    confirm_above_yen_per_person_day: Annotated[int, Field(ge=1)] | None = None
    confirm_source: NonEmpty | None = None


class RequestsRule(Rule):
    """How long a request may wait for an answer."""

    answer_timeout_hours: Annotated[int, Field(ge=1, le=24 * 14)]


class ReminderStage(Rule):
    """One stage of reminding: so many hours after the dispatch began to wait, tell `to`."""

    after_hours: Annotated[int, Field(ge=1, le=24 * 14)]
    to: ReminderTarget


class RemindersRule(Rule):
    """Reminders and escalation of dispatches that wait too long (never an automatic answer).

    A request is first reminded to the supporter at [requests] answer_timeout_hours ("dispatch.overdue");
    `request_escalations` follow. An approved proposal not yet sent as a request is reminded along
    `approved_reminders`. Hours count from the moment the dispatch began to wait (requested, approved).
    """

    request_escalations: tuple[ReminderStage, ...]
    approved_reminders: tuple[ReminderStage, ...]


class MatchingRule(Rule):
    """Matching settings that the agreement decides."""

    counterpart_mode: bool
    partner_order: PartnerOrder = "strict"
    partner_order_source: NonEmpty = "assumption"


JmaIntensity = Literal["1", "2", "3", "4", "5-", "5+", "6-", "6+", "7"]


class EarthquakeBulletinRule(Rule):
    """A seismic intensity bulletin proposes a declaration for the municipalities at or above this class."""

    min_intensity: JmaIntensity
    # When no municipality of the bulletin can be placed (e.g. only a hypocentre is known): a circle.
    epicentre_radius_km: Annotated[float, Field(gt=0, le=500)]


class WarningBulletinRule(Rule):
    """A tsunami or weather bulletin proposes a declaration where one of these warning kinds is in force."""

    kinds: tuple[NonEmpty, ...]


class BulletinRules(BaseModel):
    """When a JMA bulletin proposes a declaration (docs/bulletins.md); nothing is declared automatically."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    earthquake: EarthquakeBulletinRule
    tsunami: WarningBulletinRule
    weather: WarningBulletinRule


class Agreement(BaseModel):
    """The whole validated agreement, with lookups used by the rules."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meta: Meta
    blocks: tuple[Block, ...]
    secretariat: Secretariat
    stages: Stages
    kinds: tuple[SupportKind, ...]
    languages: tuple[Language, ...]
    rotation: Rotation
    cost: CostPolicy
    request_timeout_hours: int
    reminders: RemindersRule
    counterpart_mode: bool
    partner_order: PartnerOrder
    fiscal_years: dict[int, FiscalYear]
    sources: dict[str, str]
    source_file: str
    # Absent from a file: bulletins propose nothing.
    bulletins: BulletinRules | None = None

    _lookups: dict[str, Any] | None = PrivateAttr(default=None)
    _cache: dict[str, Any] = PrivateAttr(default_factory=dict)

    def _lookup(self) -> dict[str, Any]:
        if self._lookups is None:
            self._lookups = {
                "block": {b.id: b for b in self.blocks},
                "member": {m: b for b in self.blocks for m in b.members},
                "kind": {k.id: k for k in self.kinds},
            }
        return self._lookups

    @property
    def association_ids(self) -> tuple[str, ...]:
        """Every member association, block by block in file order."""
        return tuple(m for b in self.blocks for m in b.members)

    def block(self, block_id: str) -> Block:
        """The block with this id."""
        try:
            return self._lookup()["block"][block_id]
        except KeyError:
            raise InvalidQuestion("block", f"unknown block {block_id!r}",
                                  f"ブロック {block_id!r} は協定にありません") from None

    def block_of(self, association_id: str) -> Block:
        """The block an association belongs to."""
        try:
            return self._lookup()["member"][association_id]
        except KeyError:
            raise InvalidQuestion("association_id", f"unknown association {association_id!r}",
                                  f"協会 {association_id!r} はどのブロックにも属していません") from None

    def kind(self, kind_id: str) -> SupportKind:
        """The support kind with this id."""
        try:
            return self._lookup()["kind"][kind_id]
        except KeyError:
            known = ", ".join(self._lookup()["kind"])
            raise InvalidQuestion("kind", f"unknown support kind {kind_id!r} (known: {known})",
                                  f"支援の種類 {kind_id!r} は協定にありません（{known}）") from None

    def is_remote(self, kind_id: str) -> bool:
        """Whether a support kind is done remotely (no travel, distance does not matter)."""
        return self.kind(kind_id).remote

    def language(self, tag: str) -> Language:
        """The language with this BCP 47 tag (case-insensitive); `agreements.languages.resolve`."""
        return resolve(self, tag)

    def fiscal_year_of(self, d: date) -> int:
        """The Japanese fiscal year (starting 1 April) a date falls in."""
        return fiscal_year(d)

    def roles_for(self, year: int) -> FiscalYear:
        """The coordinators and deputies of a fiscal year; an error naming the key when it is missing."""
        try:
            return self.fiscal_years[year]
        except KeyError:
            known = ", ".join(str(y) for y in sorted(self.fiscal_years))
            raise AgreementError(
                self.source_file, f"fiscal_years.{year}",
                f"the agreement has no coordinators for fiscal year {year} ({year}-04-01 to {year + 1}-03-31);"
                f" it covers {known}",
                f"{year}年度（{year}-04-01〜{year + 1}-03-31）の幹事団体が協定にありません（あるのは {known}）",
            ) from None
