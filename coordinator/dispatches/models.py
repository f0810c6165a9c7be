"""The dispatch table and its API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict
from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from coordinator.events.models import utcnow
from coordinator.inputs import Code, Number, Text


class DispatchBase(SQLModel):
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    # The requesting association, copied from the need so that lists and checks need no join.
    requester_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    supplier_id: str = Field(foreign_key="association.id", max_length=64, index=True)
    offer_id: int | None = Field(default=None, foreign_key="offer.id")
    # Copied from the disaster: a drill's dispatches are never mixed with live ones.
    mode: str = Field(default="live", max_length=8)
    headcount: int = Field(ge=1)
    stage: int = Field(ge=1, le=2)
    distance_km: float | None = None
    reasons: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="proposed", max_length=16)
    expected_cost_yen: int | None = None
    cost_policy: str | None = Field(default=None, max_length=64)
    decline_reason: str | None = Field(default=None, max_length=1000)
    cancel_reason: str | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=2000)
    proposed_at: datetime = Field(default_factory=utcnow)
    approved_at: datetime | None = None
    requested_at: datetime | None = None
    answered_at: datetime | None = None
    en_route_at: datetime | None = None
    on_site_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    overdue: bool = False
    overdue_since: datetime | None = None
    created_by_user_id: int | None = None
    approved_by_user_id: int | None = None
    # A cost out of proportion waits for the requester (issue 12 item 2): None | awaiting_requester |
    # agreed_by_requester.
    cost_status: str | None = Field(default=None, max_length=24)
    cost_confirmed_at: datetime | None = None
    cost_confirmed_by: int | None = None


class Dispatch(DispatchBase, table=True):
    """One proposal to send a supplier's people to a need, moved along its lifecycle."""

    __table_args__ = (
        Index("ix_dispatch_disaster_state", "disaster_id", "state"),
        Index("ix_dispatch_disaster_supplier_state", "disaster_id", "supplier_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # Optimistic lock: every transition is a conditional UPDATE on (id, state, version).
    version: int = Field(default=1)


class DispatchCreate(SQLModel):
    """What a coordinator or the secretariat gives to propose a dispatch by hand."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    need_id: int = Field(ge=1)
    supplier_id: Code = Field(min_length=1, max_length=64)
    headcount: Number = Field(ge=1, le=500)
    offer_id: int | None = Field(default=None, ge=1)
    stage: int | None = Field(default=None, ge=1, le=2)
    notes: str | None = Field(default=None, max_length=2000)


class DispatchAccept(SQLModel):
    """The supplier's acceptance: its expected cost and how it will be settled."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    expected_cost_yen: Number = Field(ge=0, le=1_000_000_000)
    cost_policy: str | None = Field(default=None, min_length=1, max_length=64)
    # Required (true) when the cost is out of proportion (agreement [cost] confirm_above_yen_per_person_day).
    confirm_cost: bool = False
    # Fewer people than asked (partial acceptance); the others go back to the need for the next plan.
    accepted_headcount: int | None = Field(default=None, ge=1, le=500)


class DispatchCostAnswer(SQLModel):
    """The requester's answer to a flagged cost: agree (it binds them) or refuse (the dispatch is cancelled)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    decision: Literal["agree", "refuse"]
    reason: Text | None = Field(default=None, max_length=1000)


class DispatchProgress(SQLModel):
    """A progress report (departed, arrived, completed), optionally with when it really happened."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    at: datetime | None = None


class DispatchDecline(SQLModel):
    """The supplier's refusal, with its reason."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    reason: Text = Field(min_length=1, max_length=1000)


class DispatchCancel(SQLModel):
    """Why a dispatch is cancelled (optional)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    reason: str | None = Field(default=None, max_length=1000)


class DispatchPublic(DispatchBase):
    """A dispatch as the API shows it."""

    id: int
    version: int
    # Exactly what the server allows the caller now (transitions, authority, open disaster, cost).
    allowed_actions: list[str] = Field(default_factory=list)
    # Who must act next and why: {action, who_ja, who_en, association_ids, reason_ja, reason_en} | None.
    awaiting: dict[str, Any] | None = None
    # When a requested dispatch's answer is due (agreement [requests] answer_timeout_hours).
    answer_due_at: datetime | None = None
