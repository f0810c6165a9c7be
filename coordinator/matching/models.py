"""API shapes of a support plan (no table: a committed plan is its dispatches and its event)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PlanRequest(BaseModel):
    """POST /disasters/{id}/plan: a dry run (the default) or a commit that creates the proposals."""

    model_config = ConfigDict(extra="forbid")

    commit: bool = False


class Text(BaseModel):
    """One sentence in Japanese and English."""

    ja: str
    en: str


class PlanProposal(BaseModel):
    """One line of the plan: a supporter sends people to a need, with the reasons."""

    need_id: int
    requester_id: str
    supplier_id: str
    offer_id: int | None
    source: str  # "offer" | "standing_capacity" (registered in normal times, not yet confirmed)
    kind: str
    language: str
    headcount: int
    stage: int
    distance_km: float
    reasons: list[Text]
    committable: bool
    withheld_reason: Text | None = None
    dispatch_id: int | None = None


class PlanUnmet(BaseModel):
    """People of a need the plan cannot cover, with the reason code (issue 4) and its explanation."""

    need_id: int
    requester_id: str
    headcount: int
    code: str
    reason: Text


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
    replaces: list[int]
    notes: list[Text]
    solve_ms: float
