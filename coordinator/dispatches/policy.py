"""Who may see and move dispatches, and who must act next: the one place for this domain's permission rules.

Sources: issue 3 item 6 (stage-1 approvals by the block's acting coordinator, stage-2 by the
secretariat), DESIGN.md "The flow of one disaster", and issue 12 item 2: **no one approves their own
association's dispatch** — when the acting coordinator is the supplier or the requester, the block's
next deputy (in the agreement's order, not affected, not a party) or the secretariat approves; when the
acting secretariat is a party to a stage-2 dispatch, the CLAIR login approves. docs/authority.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from coordinator.associations.models import SECRETARIAT_ID
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.disasters.policy import COORDINATOR, STAFF, Capacity, name_of
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.transitions import ACTION_JA, UNDONE_ACTION, DispatchAction, DispatchState
from coordinator.errors import Forbidden
from coordinator.reference import block_of, current_agreement

# The requester may withdraw its own request only until the supplier has committed people (assumption:
# after acceptance people are travelling, so a coordinator or the secretariat decides).
REQUESTER_MAY_CANCEL_IN = frozenset({DispatchState.proposed, DispatchState.approved, DispatchState.requested})

SUPPLIER_ACTIONS = frozenset({DispatchAction.accept, DispatchAction.decline, DispatchAction.depart,
                              DispatchAction.arrive, DispatchAction.complete})

# A cost out of proportion waits for the requester (issue 12 item 2).
COST_AWAITING_REQUESTER = "awaiting_requester"
COST_AGREED = "agreed_by_requester"


def is_staff_of(user: User, association_id: str) -> bool:
    """True when the user is staff of this association."""
    return user.role == ROLE_STAFF and user.is_active and user.association_id == association_id


def _staff_capacity(association_id: str, why_en: str, why_ja: str) -> Capacity:
    return Capacity(STAFF, association_id, block_of(association_id), why_en, why_ja)


# ---------------------------------------------------------------------------------------------------
# Who approves
# ---------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Approvers:
    """Who may approve (and then request) one dispatch: association id -> capacity ("clair" = the CLAIR
    login), and the sentences that say who and why."""

    by_association: dict[str, Capacity] = field(default_factory=dict)
    who_en: str = ""
    who_ja: str = ""
    reason_en: str = ""
    reason_ja: str = ""


def _parties(dispatch: Dispatch) -> set[str]:
    return {dispatch.requester_id, dispatch.supplier_id}


def _party_words(association_id: str, dispatch: Dispatch) -> tuple[str, str]:
    if association_id == dispatch.supplier_id:
        return "the supporting association", "応援団体"
    return "the requesting association", "要請団体"


def _secretariats(disaster: Disaster, dispatch: Dispatch) -> dict[str, Capacity]:
    """The CLAIR login always; the acting secretariat too when it failed over and is not a party."""
    role = disaster.acting_roles.get("secretariat") or {}
    found = {SECRETARIAT_ID: Capacity(disaster_policy.SECRETARIAT, SECRETARIAT_ID, None,
                                      "the council's secretariat (CLAIR)", "連絡協議会の事務局（クレア）")}
    acting = role.get("id")
    if role.get("is_failover") and acting and acting not in _parties(dispatch):
        found[acting] = Capacity(disaster_policy.ACTING_SECRETARIAT, acting, None, str(role.get("reason_en") or ""),
                                 str(role.get("reason_ja") or ""))
    return found


def _deputy(disaster: Disaster, block: str, dispatch: Dispatch, skip: str | None) -> str | None:
    """The first of the block's coordinator and deputies (agreement order) that may approve this dispatch."""
    agreement = current_agreement()
    year = (disaster.acting_roles or {}).get("fiscal_year")
    try:
        roles = agreement.roles_for(int(year)).blocks[block]
    except Exception:  # a fiscal year no longer in the file: the secretariat alone approves
        return None
    for candidate in (roles.coordinator, *roles.deputies):
        if candidate != skip and candidate not in _parties(dispatch) \
                and candidate not in disaster.affected_associations:
            return candidate
    return None


def _names(ids: list[str], language: str) -> str:
    return ("、" if language == "ja" else ", ").join(name_of(i, language) for i in ids)


def approvers(disaster: Disaster, dispatch: Dispatch, requester_block: str | None) -> Approvers:
    """Who may approve and request this dispatch, and why (the `awaiting` of proposed/approved dispatches)."""
    secretariats = _secretariats(disaster, dispatch)
    sec_ids = list(secretariats)
    if dispatch.stage == 2:
        acting = (disaster.acting_roles.get("secretariat") or {}).get("id")
        if acting and acting != SECRETARIAT_ID and acting in _parties(dispatch):
            party_en, party_ja = _party_words(acting, dispatch)
            why_en = (f"stage 2 (cross-block): the secretariat approves; the acting secretariat "
                      f"{name_of(acting, 'en')} is {party_en} of this dispatch and does not approve its own")
            why_ja = (f"第2段階（ブロック間）は事務局が承認します。事務局代行の{name_of(acting)}はこの派遣の"
                      f"{party_ja}のため、自らは承認しません")
        else:
            why_en, why_ja = ("stage 2 (cross-block): the secretariat approves",
                              "第2段階（ブロック間）は事務局が承認します")
        return Approvers(secretariats, f"the secretariat ({_names(sec_ids, 'en')})",
                         f"事務局（{_names(sec_ids, 'ja')}）", why_en, why_ja)
    block_ja, block_en = disaster_policy.block_names(requester_block)
    coordinator = ((disaster.acting_roles.get("coordinators") or {}).get(requester_block or "") or {})
    acting = coordinator.get("association_id")
    if acting and acting not in _parties(dispatch):
        capacity = Capacity(COORDINATOR, acting, requester_block, str(coordinator.get("reason_en") or ""),
                            str(coordinator.get("reason_ja") or ""))
        return Approvers({acting: capacity}, f"the acting coordinator of {block_en} ({name_of(acting, 'en')})",
                         f"{block_ja}ブロックの幹事団体（{name_of(acting)}）",
                         f"stage 1 (same block): the acting coordinator of {block_en} approves",
                         f"第1段階（同一ブロック内）は{block_ja}ブロックの幹事団体が承認します")
    deputy = _deputy(disaster, requester_block, dispatch, acting) if requester_block else None
    found: dict[str, Capacity] = {}
    party_en, party_ja = _party_words(acting or "", dispatch)
    why_en = (f"{name_of(acting, 'en')}, acting coordinator of {block_en}, is {party_en} of this dispatch: no one "
              "approves their own association's dispatch")
    why_ja = (f"{block_ja}ブロックの幹事団体である{name_of(acting)}はこの派遣の{party_ja}です。"
              "自らの協会の派遣は承認できません")
    if deputy is not None:
        found[deputy] = Capacity(
            COORDINATOR, deputy, requester_block, f"{why_en}; {name_of(deputy, 'en')} approves as its deputy",
            f"{why_ja}。{name_of(deputy)}が代わりに承認します")
    found.update(secretariats)
    ids = list(found)
    return Approvers(found, f"{'its deputy or ' if deputy else ''}the secretariat ({_names(ids, 'en')})",
                     f"{'副幹事または' if deputy else ''}事務局（{_names(ids, 'ja')}）", why_en, why_ja)


def approval_capacity(user: User, disaster: Disaster, dispatch: Dispatch,
                      requester_block: str | None) -> Capacity | None:
    """The capacity in which the user may approve or request this dispatch, or None."""
    allowed = approvers(disaster, dispatch, requester_block).by_association
    if user.role == ROLE_SECRETARIAT and user.is_active:
        return allowed.get(SECRETARIAT_ID)
    if user.role == ROLE_STAFF and user.is_active and user.association_id:
        return allowed.get(user.association_id)
    return None


def is_approver(user: User, disaster: Disaster, dispatch: Dispatch, requester_block: str | None) -> bool:
    """Whether the user may approve (and request) this dispatch."""
    return approval_capacity(user, disaster, dispatch, requester_block) is not None


# ---------------------------------------------------------------------------------------------------
# Proposing and acting
# ---------------------------------------------------------------------------------------------------

def propose_capacity(user: User, disaster: Disaster, *, requester_block: str | None,
                     stage: int) -> Capacity | None:
    """Stage 1: the requester block's acting coordinator or the secretariat; stage 2: the secretariat."""
    secretariat = disaster_policy.secretariat_capacity(user, disaster)
    if secretariat is not None:
        return secretariat
    return disaster_policy.coordinator_capacity(user, disaster, requester_block) if stage == 1 else None


def may_propose(user: User, disaster: Disaster, *, requester_block: str | None, stage: int) -> bool:
    """Whether the user may propose a dispatch of this stage for a need of `requester_block`."""
    return propose_capacity(user, disaster, requester_block=requester_block, stage=stage) is not None


def ensure_can_propose(user: User, disaster: Disaster, *, requester_block: str | None, stage: int) -> Capacity:
    """Raise Forbidden unless the user may propose a dispatch of this stage; the capacity otherwise."""
    capacity = propose_capacity(user, disaster, requester_block=requester_block, stage=stage)
    if capacity is not None:
        return capacity
    if stage == 2:
        raise Forbidden("Only the secretariat may propose a cross-block (stage 2) dispatch",
                        "ブロック間（第2段階）の派遣を提案できるのは事務局のみです", field="authority")
    raise Forbidden("Only the requester block's acting coordinator or the secretariat may propose "
                    "a dispatch", "派遣を提案できるのは要請元ブロックの幹事団体または事務局のみです",
                    field="authority")


def coordinating_capacity(user: User, disaster: Disaster, *, requester_block: str | None,
                          supplier_block: str | None) -> Capacity | None:
    """The secretariat, or the acting coordinator of the requester's or the supplier's block."""
    secretariat = disaster_policy.secretariat_capacity(user, disaster)
    if secretariat is not None:
        return secretariat
    for block in (requester_block, supplier_block):
        capacity = disaster_policy.coordinator_capacity(user, disaster, block)
        if capacity is not None:
            return capacity
    return None


def is_coordinating(user: User, disaster: Disaster, dispatch: Dispatch, *, requester_block: str | None,
                    supplier_block: str | None) -> bool:
    """The secretariat, or the acting coordinator of the requester's or the supplier's block."""
    return coordinating_capacity(user, disaster, requester_block=requester_block,
                                 supplier_block=supplier_block) is not None


def may_act(user: User, disaster: Disaster, dispatch: Dispatch, action: DispatchAction, *,
            requester_block: str | None, supplier_block: str | None) -> Capacity | None:
    """The capacity in which the user may take this action on this dispatch, or None (state not checked)."""
    if action == DispatchAction.undo:
        # Whoever may report a step may take it back (within the window the service checks). Nothing to take
        # back yet: the supporter may still ask, and the transition table answers 409 with the state.
        undone = UNDONE_ACTION.get(DispatchState(dispatch.state), DispatchAction.depart)
        return may_act(user, disaster, dispatch, undone, requester_block=requester_block,
                       supplier_block=supplier_block)
    if action in (DispatchAction.approve, DispatchAction.request):
        # The request is sent by whoever may approve it: the same role (issue 3 item 6).
        return approval_capacity(user, disaster, dispatch, requester_block)
    if action == DispatchAction.arrive and is_staff_of(user, dispatch.requester_id):
        return _staff_capacity(dispatch.requester_id, "staff of the requesting association confirming arrival",
                               "到着を確認する要請団体の職員")
    if action in SUPPLIER_ACTIONS:
        # Only the supplier answers its own requests and reports its own people's progress.
        if is_staff_of(user, dispatch.supplier_id):
            return _staff_capacity(dispatch.supplier_id, "staff of the supporting association", "応援団体の職員")
        return None
    if action == DispatchAction.cancel:
        capacity = coordinating_capacity(user, disaster, requester_block=requester_block,
                                         supplier_block=supplier_block)
        if capacity is not None:
            return capacity
        if is_staff_of(user, dispatch.requester_id) and dispatch.state in REQUESTER_MAY_CANCEL_IN:
            return _staff_capacity(dispatch.requester_id, "staff of the requesting association",
                                   "要請団体の職員")
    return None


def ensure_can_act(user: User, disaster: Disaster, dispatch: Dispatch, action: DispatchAction, *,
                   requester_block: str | None, supplier_block: str | None) -> Capacity:
    """Raise Forbidden unless the user may take this action on this dispatch; the capacity otherwise."""
    capacity = may_act(user, disaster, dispatch, action, requester_block=requester_block,
                       supplier_block=supplier_block)
    if capacity is not None:
        return capacity
    if action in (DispatchAction.approve, DispatchAction.request):
        route = approvers(disaster, dispatch, requester_block)
        raise Forbidden(f"Only {route.who_en} may {action.value} this dispatch: {route.reason_en}",
                        f"この派遣の「{action.value}」ができるのは{route.who_ja}のみです。{route.reason_ja}",
                        field="action", details={"action": action.value,
                                                 "association_ids": list(route.by_association)})
    who_en, who_ja = {
        DispatchAction.cancel: ("a coordinator, the secretariat, or the requester before acceptance",
                                "幹事団体・事務局、または受諾前の要請団体"),
        DispatchAction.arrive: ("staff of the supporting or the requesting association",
                                "応援団体または要請団体の職員"),
        DispatchAction.undo: ("whoever may report that step", "その報告をできる人"),
    }.get(action, ("staff of the supporting association", "応援団体の職員"))
    raise Forbidden(f"Only {who_en} may {action.value} this dispatch",
                    f"この派遣の「{ACTION_JA[action.value]}」ができるのは{who_ja}のみです", field="action",
                    details={"action": action.value})


# ---------------------------------------------------------------------------------------------------
# A cost out of proportion
# ---------------------------------------------------------------------------------------------------

def cost_capacity(user: User, disaster: Disaster, dispatch: Dispatch) -> Capacity | None:
    """Who agrees to (or refuses) a flagged cost: the requester's staff, or the secretariat for it."""
    if is_staff_of(user, dispatch.requester_id):
        return _staff_capacity(dispatch.requester_id, "staff of the requesting association, who bears the cost",
                               "費用を負担する要請団体の職員")
    capacity = disaster_policy.secretariat_capacity(user, disaster)
    if capacity is not None and capacity.association_id not in _parties(dispatch):
        return capacity
    return None


def ensure_can_answer_cost(user: User, disaster: Disaster, dispatch: Dispatch) -> Capacity:
    """Raise Forbidden unless the user may agree to or refuse this dispatch's flagged cost."""
    capacity = cost_capacity(user, disaster, dispatch)
    if capacity is None:
        raise Forbidden("Only the requesting association (or the secretariat for it) may answer this cost",
                        "この費用に回答できるのは要請団体（または代わりに事務局）のみです", field="authority")
    return capacity


# ---------------------------------------------------------------------------------------------------
# Who must act next
# ---------------------------------------------------------------------------------------------------

def awaiting(disaster: Disaster, dispatch: Dispatch, *, requester_block: str | None,
             deadline: str | None = None) -> dict[str, Any] | None:
    """Who must act next on this dispatch, and why (DispatchPublic.awaiting); None when nobody must."""
    state = dispatch.state
    supplier_en, supplier_ja = name_of(dispatch.supplier_id, "en"), name_of(dispatch.supplier_id)
    requester_en, requester_ja = name_of(dispatch.requester_id, "en"), name_of(dispatch.requester_id)
    if state in (DispatchState.proposed, DispatchState.approved):
        route = approvers(disaster, dispatch, requester_block)
        action = "approve" if state == DispatchState.proposed else "request"
        return {"action": action, "who_en": route.who_en, "who_ja": route.who_ja,
                "association_ids": list(route.by_association), "reason_en": route.reason_en,
                "reason_ja": route.reason_ja}
    if state == DispatchState.requested:
        by_en = f" by {deadline}" if deadline else ""
        return {"action": "accept", "who_en": supplier_en, "who_ja": supplier_ja,
                "association_ids": [dispatch.supplier_id],
                "reason_en": f"the supporting association accepts or declines the request{by_en}",
                "reason_ja": "応援団体が要請を受諾または辞退します" + (f"（期限 {deadline}）" if deadline else "")}
    if state == DispatchState.accepted and dispatch.cost_status == COST_AWAITING_REQUESTER:
        cost = f"¥{dispatch.expected_cost_yen:,}" if dispatch.expected_cost_yen is not None else "?"
        return {"action": "agree_cost", "who_en": requester_en, "who_ja": requester_ja,
                "association_ids": [dispatch.requester_id],
                "reason_en": f"the expected cost ({cost}) is out of proportion: it binds the requester only once "
                             "the requester agrees; the people depart after that",
                "reason_ja": f"見込み費用（{cost}）が通常より大きいため、要請団体が同意するまで費用は確定せず、"
                             "出発もできません"}
    if state == DispatchState.accepted:
        return {"action": "depart", "who_en": supplier_en, "who_ja": supplier_ja,
                "association_ids": [dispatch.supplier_id],
                "reason_en": "the supporting association reports when its people leave",
                "reason_ja": "応援団体が出発を報告します"}
    if state == DispatchState.en_route:
        return {"action": "arrive", "who_en": f"{supplier_en} or {requester_en}",
                "who_ja": f"{supplier_ja}または{requester_ja}",
                "association_ids": [dispatch.supplier_id, dispatch.requester_id],
                "reason_en": "the supporting or the requesting association confirms arrival on site",
                "reason_ja": "応援団体または要請団体が現地到着を確認します"}
    if state == DispatchState.on_site:
        return {"action": "complete", "who_en": supplier_en, "who_ja": supplier_ja,
                "association_ids": [dispatch.supplier_id],
                "reason_en": "the supporting association reports when the rotation ends",
                "reason_ja": "応援団体が活動の終了を報告します"}
    return None


# ---------------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------------

def can_read(user: User, disaster: Disaster, dispatch: Dispatch) -> bool:
    """Observers, the secretariat and coordinators read every dispatch; staff read their own side's, and a
    deputy reads what it must approve."""
    return (disaster_policy.sees_whole_disaster(user, disaster) or is_staff_of(user, dispatch.requester_id)
            or is_staff_of(user, dispatch.supplier_id)
            or approval_capacity(user, disaster, dispatch, block_of(dispatch.requester_id)) is not None)


def ensure_can_read(user: User, disaster: Disaster, dispatch: Dispatch) -> None:
    """Raise Forbidden unless the user may read this dispatch."""
    if not can_read(user, disaster, dispatch):
        raise Forbidden("You may not read this dispatch", "この派遣を閲覧する権限がありません")


def event_readers(disaster: Disaster, dispatch: Dispatch) -> list[str]:
    """Associations whose staff may read a dispatch's events: requester, supplier, the coordinators, and
    whoever approves it (a deputy standing in for a coordinator that is a party)."""
    route = approvers(disaster, dispatch, block_of(dispatch.requester_id)).by_association
    return sorted({dispatch.requester_id, dispatch.supplier_id, *disaster_policy.staff_readers(disaster),
                   *(a for a in route if a != SECRETARIAT_ID)})
