"""What is sent to whom: the event types that notify, their topics, and the audiences of each event.

Sources: issue 16 item 1 (a request to the supporter; a proposal to its approver; answers and progress to
the requester; a disaster declared / area changed / closed to the affected associations and every
coordinator; cross-block support opened; a fail-over to the association that now acts). Decisions where the
issue is silent are marked "decision" and listed in docs/notifications.md.

An audience names an association (its staff and its own addresses are told) or the acting secretariat.
Whether each person may read the event is checked afterwards, with the API's rules (recipients.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from coordinator.disasters.models import Disaster
from coordinator.dispatches import policy as dispatch_policy
from coordinator.events.models import Event
from coordinator.reference import block_of

SECRETARIAT = None  # an audience without an association: the acting secretariat (CLAIR and a fail-over)


@dataclass(frozen=True, slots=True)
class Topic:
    """A group of event types a person can choose channels for."""

    id: str
    name_ja: str
    name_en: str


TOPICS: tuple[Topic, ...] = (
    Topic("requests", "派遣の要請（自協会への依頼）", "Requests to your association"),
    Topic("approvals", "承認待ちの派遣提案", "Proposals waiting for your approval"),
    Topic("answers", "要請への回答（受諾・辞退）", "Answers to your requests (accepted, declined)"),
    Topic("progress", "派遣の進捗・取り消し", "Dispatch progress and cancellations"),
    Topic("reminders", "督促・エスカレーション", "Reminders and escalations"),
    Topic("disasters", "災害の宣言・区域変更・終了", "Disasters declared, changed, closed"),
    Topic("roles", "幹事団体・事務局の代行", "Acting coordinator or secretariat (fail-over)"),
    Topic("bulletins", "気象庁の電文による災害宣言の提案（事務局）",
          "Declarations proposed from JMA bulletins (secretariat)"),
)
TOPIC_IDS = tuple(t.id for t in TOPICS)


@dataclass(frozen=True, slots=True)
class Audience:
    """Who is told about one event, why, and whether it is essential (never muted in a live disaster)."""

    kind: str  # supplier | requester | approver | affected | coordinator | secretariat | escalation | failover
    association_id: str | None  # None: the acting secretariat
    link: str
    detail: tuple[tuple[str, str], ...] = ()  # extra words for the message (e.g. the block acted for)
    essential: bool = False  # set from ESSENTIAL by audiences_of


AudienceRule = Callable[[Event, Disaster, "Lookups"], list[Audience]]


@dataclass(frozen=True, slots=True)
class Rule:
    """The topic of an event type and how to find its audiences."""

    topic: str
    audiences: AudienceRule


class Lookups:
    """Reads the rules may need beyond the event (dispatch rows of a committed plan)."""

    def __init__(self, dispatches_of: Callable[[list[int]], list[Any]]) -> None:
        self.dispatches_of = dispatches_of


# ---------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------

def _association_page(disaster: Disaster) -> str:
    return f"/disasters/{disaster.id}/association"


def _dashboard(disaster: Disaster) -> str:
    return f"/disasters/{disaster.id}"


def coordinator_of(disaster: Disaster, block: str | None) -> str | None:
    """The acting coordinator association of a block in this disaster."""
    return ((disaster.acting_roles.get("coordinators") or {}).get(block or "") or {}).get("association_id")


def _approvers(disaster: Disaster, dispatch: dict[str, Any]) -> list[Audience]:
    """Whoever may approve and request the dispatch, by the dispatches domain's own rule (policy.approvers)."""
    row = SimpleNamespace(stage=int(dispatch.get("stage") or 1), requester_id=str(dispatch.get("requester_id")),
                          supplier_id=str(dispatch.get("supplier_id")))
    allowed = dispatch_policy.approvers(disaster, row, block_of(row.requester_id)).by_association  # type: ignore[arg-type]
    return [Audience("approver", association, _dashboard(disaster)) for association in sorted(allowed)]


def _supplier(disaster: Disaster, payload: dict[str, Any]) -> Audience:
    return Audience("supplier", str(payload["supplier_id"]), _association_page(disaster))


def _requester(disaster: Disaster, payload: dict[str, Any]) -> Audience:
    return Audience("requester", str(payload["requester_id"]), _association_page(disaster))


def _coordinators(disaster: Disaster) -> list[Audience]:
    coordinators = (disaster.acting_roles.get("coordinators") or {}).values()
    return [Audience("coordinator", c["association_id"], _dashboard(disaster))
            for c in coordinators if c.get("association_id")]


def _whole_disaster(disaster: Disaster) -> list[Audience]:
    """Affected associations, every acting coordinator, the secretariat (issue 16 item 1)."""
    affected = [Audience("affected", a, _association_page(disaster))
                for a in disaster.affected_associations]
    return [*affected, *_coordinators(disaster),
            Audience("secretariat", SECRETARIAT, _dashboard(disaster))]


def failovers(disaster: Disaster, roles: dict[str, Any] | None = None) -> list[Audience]:
    """The associations acting instead of an affected coordinator or secretariat: told they now act."""
    roles = roles if roles is not None else disaster.acting_roles
    told: list[Audience] = []
    for block, coordinator in sorted((roles.get("coordinators") or {}).items()):
        if coordinator.get("is_deputy") and coordinator.get("association_id"):
            told.append(Audience("failover", coordinator["association_id"], _dashboard(disaster),
                                 (("role", "coordinator"), ("block", block),
                                  ("reason_ja", coordinator.get("reason_ja") or ""),
                                  ("reason_en", coordinator.get("reason_en") or ""))))
    secretariat = roles.get("secretariat") or {}
    if secretariat.get("is_failover") and secretariat.get("id"):
        told.append(Audience("failover", secretariat["id"], _dashboard(disaster),
                             (("role", "secretariat"), ("reason_ja", secretariat.get("reason_ja") or ""),
                              ("reason_en", secretariat.get("reason_en") or ""))))
    return told


# ---------------------------------------------------------------------------------------------------
# Audiences per event type
# ---------------------------------------------------------------------------------------------------

def _requested(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return [_supplier(disaster, event.payload)]


def _proposed(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    if event.payload.get("plan"):
        return []  # decision: a committed plan tells each approver once ("plan.committed"), not per proposal
    return _approvers(disaster, event.payload)


def _plan_committed(event: Event, disaster: Disaster, lookups: Lookups) -> list[Audience]:
    created = lookups.dispatches_of([int(i) for i in event.payload.get("dispatch_ids") or []])
    seen: dict[str | None, Audience] = {}
    for dispatch in created:
        for audience in _approvers(disaster, {"stage": dispatch.stage, "requester_id": dispatch.requester_id,
                                              "supplier_id": dispatch.supplier_id}):
            seen.setdefault(audience.association_id, audience)
    return list(seen.values())


def _accepted(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return [_requester(disaster, event.payload)]


def _declined(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    # Decision: the approver too, since a decline means re-planning (DESIGN.md: "A decline re-plans the rest").
    return [_requester(disaster, event.payload), *_approvers(disaster, event.payload)]


def _progress(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return [_requester(disaster, event.payload)]


def _cancelled(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    payload = event.payload
    if payload.get("replaced_by_plan") or not payload.get("requested_at"):
        return []  # never sent to the supporter: nothing to call off (the plan's own event says what changed)
    # Decision: told to the supporter (its people may be travelling: essential) and the requester.
    return [_supplier(disaster, payload), _requester(disaster, payload)]


def _overdue(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return [_supplier(disaster, event.payload)]


def _reminded(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    """A reminder or escalation stage (coordinator/reminders): told to the association it names."""
    target = event.payload.get("told_association_id")
    kind = "escalation" if event.type == "dispatch.escalated" else "approver"
    link = _association_page(disaster) if event.payload.get("to") == "supplier" else _dashboard(disaster)
    return [Audience(kind, str(target) if target else SECRETARIAT, link)]


def _declared(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return [*_whole_disaster(disaster), *failovers(disaster)]


def _area_changed(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return [*_whole_disaster(disaster), *failovers(disaster)]


def _closed(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    return _whole_disaster(disaster)


def _cross_block(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    # Decision: coordinators (other blocks' members may now be asked) and the affected associations.
    return [*_coordinators(disaster),
            *[Audience("affected", a, _association_page(disaster)) for a in disaster.affected_associations]]


def _recorded_on_behalf(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    # Issue 12 item 13: an offer taken by phone is told to the association it names.
    return [Audience("supplier", str(event.payload["association_id"]), _association_page(disaster))]


def _cost_flagged(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    # Issue 12 item 2: a cost out of proportion is told to the requester before it binds them.
    return [_requester(disaster, event.payload)]


def _cost_agreed(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    # Decision: the supporter waits to depart until the requester agrees to its cost; the agreement lets it go.
    return [_supplier(disaster, event.payload)]


def _roles_changed(event: Event, disaster: Disaster, _: Lookups) -> list[Audience]:
    changes = event.payload.get("changes") or {}
    roles = event.payload.get("acting_roles") or disaster.acting_roles
    now_acting = {change.get("new") for change in changes.values()}
    return [a for a in failovers(disaster, roles) if a.association_id in now_acting]


def _bulletin(event: Event, disaster: Disaster | None, _: Lookups) -> list[Audience]:
    """A JMA bulletin's proposal (docs/bulletins.md) is the secretariat's business alone."""
    proposal = event.payload.get("proposal") or {}
    if event.type == "bulletin.updated" and not event.payload.get("changes"):
        return []  # decision: a later serial that changes neither the name nor who is affected tells nobody
    if event.type == "bulletin.jma_cancelled" and event.disaster_id is not None:
        return [Audience("secretariat", SECRETARIAT, f"/disasters/{event.disaster_id}")]
    return [Audience("secretariat", SECRETARIAT, str(proposal.get("link") or "/bulletins"))]


RULES: dict[str, Rule] = {
    "dispatch.requested": Rule("requests", _requested),
    "dispatch.proposed": Rule("approvals", _proposed),
    "plan.committed": Rule("approvals", _plan_committed),
    "dispatch.accepted": Rule("answers", _accepted),
    "dispatch.declined": Rule("answers", _declined),
    "dispatch.en_route": Rule("progress", _progress),
    "dispatch.on_site": Rule("progress", _progress),
    "dispatch.completed": Rule("progress", _progress),
    "dispatch.undone": Rule("progress", _progress),  # decision: a report taken back is told like the report
    "dispatch.cancelled": Rule("progress", _cancelled),
    "dispatch.cost_flagged": Rule("answers", _cost_flagged),
    "dispatch.cost_agreed": Rule("answers", _cost_agreed),
    "offer.recorded_on_behalf": Rule("requests", _recorded_on_behalf),
    "dispatch.overdue": Rule("reminders", _overdue),
    "dispatch.reminded": Rule("reminders", _reminded),
    "dispatch.escalated": Rule("reminders", _reminded),
    "disaster.declared": Rule("disasters", _declared),
    "disaster.area_changed": Rule("disasters", _area_changed),
    "disaster.closed": Rule("disasters", _closed),
    "disaster.reopened": Rule("disasters", _closed),
    "disaster.cross_block_opened": Rule("disasters", _cross_block),
    "drill.roles_changed": Rule("roles", _roles_changed),
    "bulletin.proposed": Rule("bulletins", _bulletin),
    "bulletin.updated": Rule("bulletins", _bulletin),
    "bulletin.withdrawn": Rule("bulletins", _bulletin),
    "bulletin.jma_cancelled": Rule("bulletins", _bulletin),
}
NOTIFYING_TYPES = frozenset(RULES)
# Events of a bulletin's proposal: bound to no disaster when live, read only by whoever may read the bulletins
# API (coordinator.bulletins.policy), so their recipients are found apart (recipients.bulletin_recipients).
BULLETIN_TYPES = frozenset(t for t in RULES if t.startswith("bulletin."))


def topic_of(event_type: str, audience_kind: str) -> str:
    """The topic a person's choice applies to: fail-overs are "roles" whatever event carried them."""
    return "roles" if audience_kind == "failover" else RULES[event_type].topic


# Messages that nobody can mute while a disaster is live (decision, docs/notifications.md "Essential"):
# what asks the recipient to act now, or changes who acts. Event type -> audience kinds it is essential to.
ESSENTIAL: dict[str, frozenset[str]] = {
    "dispatch.requested": frozenset({"supplier"}),
    "dispatch.proposed": frozenset({"approver"}),
    "plan.committed": frozenset({"approver"}),
    "dispatch.declined": frozenset({"requester", "approver"}),
    "dispatch.cost_flagged": frozenset({"requester"}),
    "dispatch.cost_agreed": frozenset({"supplier"}),
    "dispatch.cancelled": frozenset({"supplier"}),
    "dispatch.overdue": frozenset({"supplier"}),
    "dispatch.reminded": frozenset({"approver", "escalation"}),
    "dispatch.escalated": frozenset({"approver", "escalation"}),
    "disaster.declared": frozenset({"affected", "coordinator", "secretariat"}),
    "disaster.area_changed": frozenset({"affected", "coordinator", "secretariat"}),
    "disaster.cross_block_opened": frozenset({"coordinator"}),
    "bulletin.proposed": frozenset({"secretariat"}),  # a declaration waits for the secretariat's decision
    "bulletin.jma_cancelled": frozenset({"secretariat"}),  # a declared disaster whose bulletin JMA took back
}


def is_essential(event_type: str, audience_kind: str) -> bool:
    """Whether this message is one nobody may mute during a live disaster (fail-overs always are)."""
    return audience_kind == "failover" or audience_kind in ESSENTIAL.get(event_type, frozenset())


def essential_types() -> dict[str, list[str]]:
    """Topic -> event types that are essential to someone in a live disaster (for pages and docs)."""
    out: dict[str, list[str]] = {topic.id: [] for topic in TOPICS}
    for event_type in ESSENTIAL:
        out[RULES[event_type].topic].append(event_type)
    out["roles"] = ["disaster.declared", "disaster.area_changed", "drill.roles_changed"]
    return out


def audiences_of(event: Event, disaster: Disaster | None, lookups: Lookups) -> list[Audience]:
    """Every audience of an event, each marked essential or not (empty for types that notify nobody)."""
    rule = RULES.get(event.type)
    if rule is None:
        return []
    # A live bulletin's proposal has no disaster: only its rule (_bulletin) is ever called without one.
    found = rule.audiences(event, disaster, lookups)  # type: ignore[arg-type]
    return [replace(a, essential=is_essential(event.type, a.kind)) for a in found]


def merge(audiences: Iterable[Audience]) -> list[Audience]:
    """One audience per association (the secretariat counts as one): fail-over and essential ones win."""
    chosen: dict[str | None, Audience] = {}
    for audience in audiences:
        held = chosen.get(audience.association_id)
        if held is None or (audience.kind == "failover" and held.kind != "failover") or \
                (audience.essential and not held.essential and held.kind != "failover"):
            chosen[audience.association_id] = audience
    return list(chosen.values())
