"""The solver's plain data: what goes in (needs, supplies, arcs, fixed people) and what comes out (a plan).

Frozen dataclasses with no behaviour beyond derived values, shared by `network`, `instance`, `explain`
and `solver` (kept apart so that none of them imports another only for its types).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

UNMET_CODES = ("no_language_in_block", "cross_block_closed", "capacity_exhausted", "no_eligible_supporter")
# Agreement `[matching] partner_order`: partner blocks in order before travel ("strict"), or travel alone.
PARTNER_ORDERS = ("strict", "distance")


class MatchingInputError(ValueError):
    """Bad solver input: names the field and says why, in English and Japanese."""

    def __init__(self, field_name: str, message_en: str, message_ja: str) -> None:
        super().__init__(f"{field_name}: {message_en}")
        self.field = field_name
        self.message_en = message_en
        self.message_ja = message_ja


@dataclass(frozen=True)
class NeedInput:
    """What an affected association asks for: people of one kind and language for a period."""

    id: str
    requester: str
    kind: str
    language: str
    headcount: int
    start: date
    days: int
    place: str | None
    remote: bool

    @property
    def end(self) -> date:
        """Last day of the need's period (start + days - 1)."""
        return self.start + timedelta(days=self.days - 1)


@dataclass(frozen=True)
class SupplyInput:
    """What a supporter association can send: languages, kinds, headcount and an availability window."""

    id: str
    association_id: str
    languages: frozenset[str]
    kinds: frozenset[str]
    headcount: int
    available_from: date | None
    available_until: date | None


@dataclass(frozen=True)
class Arc:
    """One allowed pairing of a need with a supply, with the agreement's stage, distance and reasons."""

    need_id: str
    supply_id: str
    association_id: str
    stage: int
    distance_km: float
    partner_rank: int | None
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]


@dataclass(frozen=True)
class Fixed:
    """People already accepted, en route or on site: they use the supply's capacity and cover the need."""

    need_id: str
    supply_id: str
    headcount: int


def _same(value: str) -> tuple[str, str]:
    return value, value


@dataclass(frozen=True)
class Names:
    """How explanations name associations, languages and kinds: each function gives (English, Japanese).
    The default is the ids themselves; the service passes the agreement's names."""

    association: Callable[[str], tuple[str, str]] = _same
    language: Callable[[str], tuple[str, str]] = _same
    kind: Callable[[str], tuple[str, str]] = _same
    tag: Callable[[str], str] = str  # a language tag as the agreement spells it


@dataclass(frozen=True)
class Proposal:
    """One line of the plan: this supply sends this many people to this need, and why."""

    need_id: str
    supply_id: str
    association_id: str
    headcount: int
    stage: int
    distance_km: float
    reasons_en: tuple[str, ...]
    reasons_ja: tuple[str, ...]
    partner_rank: int | None = None


@dataclass(frozen=True)
class Unmet:
    """People of a need that the plan cannot cover, with the reason code and its explanation."""

    need_id: str
    headcount: int
    code: str
    reason_en: str
    reason_ja: str


@dataclass(frozen=True)
class Plan:
    """The solver's answer. `covered`, `cross_block_people` and `total_km` count the new proposals only
    (people in `fixed` are already dispatched and are not proposed again)."""

    proposals: tuple[Proposal, ...]
    unmet: tuple[Unmet, ...]
    recommend_open_cross_block: bool
    covered: int
    cross_block_people: int
    total_km: float
    solve_ms: float
    partner_order: str = "strict"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples become lists)."""
        return {
            "proposals": [
                {"need_id": p.need_id, "supply_id": p.supply_id, "association_id": p.association_id,
                 "headcount": p.headcount, "stage": p.stage, "distance_km": p.distance_km,
                 "reasons_en": list(p.reasons_en), "reasons_ja": list(p.reasons_ja)}
                for p in self.proposals
            ],
            "unmet": [
                {"need_id": u.need_id, "headcount": u.headcount, "code": u.code,
                 "reason_en": u.reason_en, "reason_ja": u.reason_ja}
                for u in self.unmet
            ],
            "recommend_open_cross_block": self.recommend_open_cross_block,
            "covered": self.covered,
            "cross_block_people": self.cross_block_people,
            "total_km": round(self.total_km, 3),
            "solve_ms": round(self.solve_ms, 3),
            "partner_order": self.partner_order,
        }

