"""The disaster table and its API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from coordinator.events.models import EventPublic, utcnow
from coordinator.inputs import Code, Text, check_geojson_size

DISASTER_KINDS = ("earthquake", "tsunami", "flood", "typhoon", "volcano", "other")
MODES = ("live", "drill")
STATUSES = ("open", "closed")

DisasterKind = Literal["earthquake", "tsunami", "flood", "typhoon", "volcano", "other"]
Mode = Literal["live", "drill"]


class Epicentre(BaseModel):
    """A point given as latitude and longitude (WGS 84)."""

    model_config = ConfigDict(extra="forbid")

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class AreaInput(BaseModel):
    """The affected area as declared: prefectures, municipalities, a GeoJSON geometry, or an epicentre."""

    model_config = ConfigDict(extra="forbid")

    # Codes as typed on any keyboard (NFKC: １７ -> 17); at most every prefecture / municipality once.
    prefectures: list[Code] | None = Field(default=None, max_length=47)
    municipalities: list[Code] | None = Field(default=None, max_length=2000)
    # Stored once as given; lists and events show only a summary (area_input_summary).
    geojson: Annotated[dict[str, Any] | None, AfterValidator(check_geojson_size)] = None
    epicentre: Epicentre | None = None
    radius_km: float | None = Field(default=None, gt=0, le=1000)


class DisasterBase(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(max_length=16)
    mode: str = Field(default="live", max_length=8, index=True)


class Disaster(DisasterBase, table=True):
    """A declared disaster (live) or exercise (drill), with its resolved area and acting roles."""

    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default="open", max_length=8, index=True)
    area_input: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    area: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    affected_associations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    affected_prefectures: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # {fiscal_year, coordinators: {block: {association_id, is_deputy, reason_en, reason_ja}},
    #  secretariat: {id, is_failover, reason_en, reason_ja}}
    acting_roles: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    cross_block_open: bool = False
    cross_block_opened_at: datetime | None = None
    cross_block_opened_by: int | None = None
    declared_by: int | None = None
    declared_by_association_id: str | None = Field(default=None, max_length=64)
    declared_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    closed_by: int | None = None
    reopened_at: datetime | None = None
    reopened_by: int | None = None


class DisasterCreate(SQLModel):
    """What a coordinator or the secretariat gives to declare a disaster."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    name: Text = Field(min_length=1, max_length=200)
    kind: DisasterKind
    mode: Mode = "live"
    area: AreaInput


class DisasterPreviewRequest(SQLModel):
    """A declaration to preview: like DisasterCreate, but name and kind may still be empty."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    name: str | None = Field(default=None, max_length=200)
    kind: DisasterKind | None = None
    mode: Mode = "live"
    area: AreaInput


class DisasterUpdate(SQLModel):
    """A new name (the area changes through POST .../area, which re-derives the acting roles)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    name: Text | None = Field(default=None, min_length=1, max_length=200)
    reason: Text | None = Field(default=None, max_length=1000)


class DisasterAreaChange(SQLModel):
    """A new affected area and why it changes (required: the affected associations and roles change)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    area: AreaInput
    reason: Text = Field(min_length=1, max_length=1000)


class DisasterClose(SQLModel):
    """Why a disaster is closed (optional)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    reason: Text | None = Field(default=None, max_length=1000)


class DisasterReopen(SQLModel):
    """Why a closed disaster is reopened (required)."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    reason: Text = Field(min_length=1, max_length=1000)


class DisasterPublic(DisasterBase):
    """A disaster as the API shows it."""

    id: int
    status: str
    area_input: dict[str, Any]
    area: dict[str, Any]
    affected_associations: list[str]
    affected_prefectures: list[str]
    acting_roles: dict[str, Any]
    cross_block_open: bool
    cross_block_opened_at: datetime | None
    cross_block_opened_by: int | None
    declared_by: int | None
    declared_by_association_id: str | None
    declared_at: datetime
    closed_at: datetime | None
    closed_by: int | None
    reopened_at: datetime | None = None
    reopened_by: int | None = None
    # What the caller may do to this disaster now (coordinator.disasters.actions): rename, change_area,
    # close, reopen, plan, open_cross_block, declare_need, offer, export.
    allowed_actions: list[str] = Field(default_factory=list)


class PeopleCounts(SQLModel):
    """Roll-up of people for a need or a disaster (a funnel: each stage counts those at it or beyond)."""

    requested: int = 0
    proposed: int = 0
    accepted: int = 0
    on_site: int = 0
    fulfilled: int = 0


class DisasterSummary(SQLModel):
    """Roll-up of a disaster's needs and offers."""

    disaster_id: int
    mode: str
    needs_open: int
    needs_fulfilled: int
    needs_cancelled: int
    people: PeopleCounts
    offers_active: int
    offered_people: int
    by_requester: dict[str, PeopleCounts]


class Timeline(BaseModel):
    """Events after `since` that the caller may read; continue with `since=next_since`."""

    events: list[EventPublic]
    next_since: int
