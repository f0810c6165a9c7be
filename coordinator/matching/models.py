"""API shapes of a support plan (a committed plan is its dispatches and its event), and the one table of
the matching domain: releases of declined (need, supporter) pairs."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Field as TableField
from sqlmodel import SQLModel

from coordinator.events.models import utcnow

MAX_REASON = 1000


class DeclinedPairRelease(SQLModel, table=True):
    """A person put a declined (need, supporter) pair back into plans (issue 12 item 11): who, in which
    capacity, when and why. One per declined dispatch; a later decline of the same pair needs a new one."""

    __tablename__ = "declined_pair_release"

    id: int | None = TableField(default=None, primary_key=True)
    disaster_id: int = TableField(foreign_key="disaster.id", index=True)
    mode: str = TableField(max_length=8)
    dispatch_id: int = TableField(foreign_key="dispatch.id", unique=True)
    need_id: int = TableField(foreign_key="need.id")
    supplier_id: str = TableField(max_length=64)
    reason: str = TableField(max_length=MAX_REASON)
    capacity: str = TableField(max_length=24)  # secretariat | coordinator | supplier
    released_by_user_id: int | None = None
    released_by_association_id: str | None = TableField(default=None, max_length=64)
    released_at: datetime = TableField(default_factory=utcnow)


class ReleaseRequest(BaseModel):
    """POST …/plan/declined/{dispatch_id}/release: why the pair may be proposed again."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_REASON)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class PlanRequest(BaseModel):
    """POST /disasters/{id}/plan: a dry run (the default) or a commit that creates the proposals."""

    model_config = ConfigDict(extra="forbid")

    commit: bool = False
    # The dry run's `version`: a commit is refused (409) if the state changed since.
    version: str | None = Field(default=None, min_length=1, max_length=64)
    # Keys of the proposals to commit (needs `version`); absent: every committable proposal.
    proposals: list[str] | None = Field(default=None, min_length=1, max_length=5000)


class Text(BaseModel):
    """One sentence in Japanese and English."""

    ja: str
    en: str


class AssociationRef(BaseModel):
    """An association with its names and block, for people to read."""

    id: str
    name_ja: str
    name_en: str
    block: str | None
    block_name_ja: str | None
    block_name_en: str | None


class NeedSummary(BaseModel):
    """What a need asks for, with Japanese and English labels."""

    id: int
    kind: str
    kind_ja: str
    kind_en: str
    language: str
    language_ja: str
    language_en: str
    headcount: int
    start: date
    end: date
    days: int
    remote: bool
    place: str | None
    place_ja: str | None
    notes: str


class DeclinedPairPublic(BaseModel):
    """A (need, supporter) pair left out of plans because the supporter declined, or put back."""

    dispatch_id: int
    need_id: int
    requester: AssociationRef
    supplier: AssociationRef
    need: NeedSummary | None
    headcount: int
    declined_at: datetime | None
    decline_reason: str | None
    excluded: bool
    lifted_by: str | None  # "offer" (the supporter offered again) | "release" (a person) | None
    lifted_label: Text | None
    released_by_user_id: int | None = None
    released_by_association_id: str | None = None
    release_capacity: str | None = None
    release_reason: str | None = None
    released_at: datetime | None = None
    can_release: bool = False


class PlanProposal(BaseModel):
    """One line of the plan: a supporter sends people to a need, with the reasons (docs/matching.md, "Plan
    preview")."""

    key: str  # names this proposal within the plan's version (a selective commit lists keys)
    need_id: int
    requester_id: str
    supplier_id: str
    offer_id: int | None
    source: str  # "offer" | "standing_capacity" (registered in normal times, not yet confirmed)
    source_label: Text
    kind: str
    language: str
    requester: AssociationRef
    supplier: AssociationRef
    need: NeedSummary
    headcount: int
    stage: int
    stage_label: Text
    partner_rank: int | None
    distance_km: float
    available_from: date | None
    available_until: date | None
    reasons: list[Text]
    committable: bool
    withheld_reason: Text | None = None
    existing_dispatch_id: int | None = None  # an identical proposed dispatch: a commit keeps it
    replaces: list[int] = Field(default_factory=list)  # proposed dispatches committing this one cancels
    dispatch_id: int | None = None


class PlanUnmet(BaseModel):
    """People of a need the plan cannot cover, with the reason code (issue 4) and its explanation."""

    need_id: int
    requester_id: str
    requester: AssociationRef
    need: NeedSummary
    headcount: int
    code: str
    reason: Text
    declined_by: list[AssociationRef] = Field(default_factory=list)  # left out: they declined this need


class ExistingDispatch(BaseModel):
    """A still-proposed dispatch and what a (full) commit does to it."""

    dispatch_id: int
    need_id: int
    requester: AssociationRef
    supplier: AssociationRef
    need: NeedSummary | None
    headcount: int
    stage: int
    proposed_at: datetime
    action: str  # keep | replace | cancel
    action_label: Text
    replaced_by: list[str]
    kept_as: str | None


class PlanTotals(BaseModel):
    """Head counts of the plan."""

    open_needs: int
    people_asked: int
    people_fixed: int
    people_pending: int
    people_to_plan: int
    covered: int
    unmet: int
    cross_block_people: int
    total_km: float
    proposals: int
    committable_proposals: int
    stage1_people: int = 0
    stage2_people: int = 0
    new_proposals: int = 0  # committable proposals a full commit creates (kept ones excluded)
    kept: int = 0
    replaced: int = 0
    cancelled: int = 0


class PlanPublic(BaseModel):
    """A support plan as the API shows it (dry run or committed)."""

    disaster_id: int
    mode: str
    committed: bool
    cross_block_open: bool
    counterpart_mode: bool
    proposals: list[PlanProposal]
    unmet: list[PlanUnmet]
    recommend_open_cross_block: bool
    recommendation: Text | None
    totals: PlanTotals
    replaces: list[int]  # ids a full commit cancels (existing actions "replace" and "cancel")
    notes: list[Text]
    solve_ms: float
    version: str = ""
    computed_at: datetime | None = None
    partner_order: str = "strict"
    partner_order_label: Text | None = None
    existing: list[ExistingDispatch] = Field(default_factory=list)
    declined_pairs: list[DeclinedPairPublic] = Field(default_factory=list)
    selected: list[str] | None = None
