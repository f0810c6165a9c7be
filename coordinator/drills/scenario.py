"""The drill scenario schema: a made-up disaster, scripted injects at relative times, simulated actors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from coordinator.disasters.models import DisasterKind

MAX_SPEED = 600  # issue 7: live pace up to 600x, or instant
_DURATION = re.compile(r"^\s*(-)?\s*(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")


def parse_offset(value: Any) -> timedelta:
    """A relative time: minutes as a number, or text like "90m", "2h", "1d6h30m", "-1h"."""
    if isinstance(value, bool):
        raise ValueError("a relative time is a number of minutes or text like '2h30m'")
    if isinstance(value, int | float):
        return timedelta(minutes=float(value))
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if match is None or not any(match.group(i) for i in (2, 3, 4)):
        raise ValueError(f"{value!r} is not a relative time (e.g. 90m, 2h, 1d6h)")
    sign = -1 if match.group(1) else 1
    days, hours, minutes = (int(match.group(i) or 0) for i in (2, 3, 4))
    return sign * timedelta(days=days, hours=hours, minutes=minutes)


class Strict(BaseModel):
    """Scenario parts refuse unknown keys (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid")


class EpicentreSpec(Strict):
    """An epicentre in WGS 84."""

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class AreaSpec(Strict):
    """The affected area, as in geo: prefectures, municipalities, a GeoJSON geometry or an epicentre."""

    prefectures: list[str] | None = None
    municipalities: list[str] | None = None
    geojson: dict[str, Any] | None = None
    epicentre: EpicentreSpec | None = None
    radius_km: float | None = Field(default=None, gt=0, le=1000)

    @field_validator("prefectures", "municipalities", mode="before")
    @classmethod
    def _codes_as_text(cls, value: Any) -> Any:
        # YAML reads an unquoted 17 as a number; codes are text (prefectures two digits, JIS X 0401).
        if isinstance(value, list):
            return [str(v) for v in value]
        return value


class DisasterSpec(Strict):
    """The made-up disaster: its name (【訓練】 is added), kind and area."""

    name: str = Field(min_length=1, max_length=180)
    kind: DisasterKind
    area: AreaSpec


class ActorSpec(Strict):
    """How a simulated association answers requests: probability of accepting and delay (minutes)."""

    accept_probability: float = Field(default=0.85, ge=0, le=1)
    answer_after_minutes: tuple[int, int] = (30, 240)
    travel_km_per_hour: float = Field(default=40, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> ActorSpec:
        low, high = self.answer_after_minutes
        if low < 0 or high < low:
            raise ValueError("answer_after_minutes must be [low, high] with 0 <= low <= high")
        return self


class ClockSpec(Strict):
    """Clock speed: 1 (live pace) up to 600, or "instant" (no waiting at all)."""

    speed: Literal["instant"] | Annotated[float, Field(ge=1, le=MAX_SPEED)] = "instant"


class InjectBase(Strict):
    """Something that happens at a time relative to the start (or at an absolute time)."""

    at: Any

    def offset(self, start: datetime) -> timedelta:
        """The inject's time relative to the scenario start."""
        if isinstance(self.at, datetime):
            return self.at - start
        return parse_offset(self.at)


class NeedInject(InjectBase):
    """An affected association declares a need."""

    type: Literal["need"]
    key: str = Field(min_length=1, max_length=64)
    requester: str
    kind: str
    language: str
    headcount: int = Field(ge=1, le=200)
    start_day: int = Field(default=0, ge=0, le=365)
    days: int | None = None
    place: str | None = None
    remote: bool | None = None
    notes: str = ""


class AmendNeedInject(InjectBase):
    """A need declared earlier is amended (headcount, language, days, ...)."""

    type: Literal["amend_need"]
    need: str
    headcount: int | None = Field(default=None, ge=1, le=200)
    language: str | None = None
    days: int | None = None
    notes: str | None = None


class OfferInject(InjectBase):
    """An association outside the area offers people."""

    type: Literal["offer"]
    association: str
    languages: list[str] = Field(min_length=1)
    kinds: list[str] = Field(min_length=1)
    headcount: int = Field(ge=1, le=100)
    from_day: int = Field(default=0, ge=0, le=365)
    until_day: int = Field(default=30, ge=0, le=400)


class DeclineInject(InjectBase):
    """An association declines every request it has open at that time."""

    type: Literal["decline"]
    association: str
    reason: str = "【訓練】人員の都合がつかない / DRILL: no staff available"


class SilentInject(InjectBase):
    """An association goes silent: it never answers a request from then on."""

    type: Literal["silent"]
    association: str


class CoordinatorUnreachableInject(InjectBase):
    """A coordinator (or the secretariat, "clair") becomes unreachable: acting roles are re-derived."""

    type: Literal["coordinator_unreachable"]
    association: str


class CrossBlockInject(InjectBase):
    """The secretariat opens cross-block (stage 2) support."""

    type: Literal["open_cross_block"]


class BulletinInject(InjectBase):
    """A recorded JMA bulletin arrives (docs/bulletins.md): it proposes a drill declaration, never a live one."""

    type: Literal["bulletin"]
    file: str = Field(min_length=1)  # the bulletin's XML, relative to the scenario file


Inject = Annotated[NeedInject | AmendNeedInject | OfferInject | DeclineInject | SilentInject
                   | CoordinatorUnreachableInject | CrossBlockInject | BulletinInject, Field(discriminator="type")]


class Scenario(Strict):
    """A whole drill scenario as read from a YAML file."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    disaster: DisasterSpec
    start: datetime
    duration: Any = "72h"
    clock: ClockSpec = ClockSpec()
    seed: int = 0
    played: list[str] = Field(default_factory=list)
    actors: dict[str, ActorSpec] = Field(default_factory=dict)
    injects: list[Inject] = Field(min_length=1)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start needs a time zone, e.g. 2024-01-01T16:10:00+09:00")
        return value

    def duration_delta(self) -> timedelta:
        """The drill's length."""
        return parse_offset(self.duration)

    def actor(self, association_id: str) -> ActorSpec:
        """The simulated behaviour of one association (its own entry, else "default")."""
        return self.actors.get(association_id) or self.actors.get("default") or ActorSpec()
