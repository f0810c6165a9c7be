"""The to-do list's shapes (GET /api/v1/todo)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from coordinator.auth.models import User


class ActingAs(BaseModel):
    """One capacity the person holds in an open disaster, and why."""

    disaster_id: int | None
    role: str  # secretariat | acting_secretariat | coordinator | staff | observer
    block: str | None = None
    block_name_ja: str | None = None
    block_name_en: str | None = None
    association_id: str | None = None
    association_name_ja: str | None = None
    association_name_en: str | None = None
    reason_ja: str = ""
    reason_en: str = ""


class TodoItem(BaseModel):
    """Something waiting for this person: what, how many, where to do it, since when, by when."""

    kind: str
    disaster_id: int | None = None
    disaster_name: str | None = None
    mode: str | None = None  # live | drill | None (not bound to a disaster)
    count: int = 1
    title_ja: str
    title_en: str
    detail_ja: str = ""
    detail_en: str = ""
    link: str
    since: datetime | None = None
    deadline: datetime | None = None
    urgent: bool = False
    entity: str | None = None
    entity_ids: list[int] = []


class TodoList(BaseModel):
    """Everything waiting for this person, live before drill, urgent first; `count` adds the items' counts."""

    count: int
    acting_as: list[ActingAs]
    items: list[TodoItem]


@dataclass
class TodoContext:
    """What every provider gets: who asks, when, and the open disasters (both modes) read once."""

    actor: User
    now: datetime
    disasters: list[Any] = field(default_factory=list)

    def drill_mark(self, disaster: Any) -> tuple[str, str]:
        """Title prefixes (ja, en) that mark a drill's items."""
        return ("【訓練】", "[Drill] ") if getattr(disaster, "mode", None) == "drill" else ("", "")
