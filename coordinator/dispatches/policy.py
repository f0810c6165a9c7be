"""Who may see and move dispatches: the one place for this domain's permission rules.

Sources: issue 3 item 6 (stage-1 approvals by the block's acting coordinator, stage-2 by the
secretariat) and DESIGN.md "The flow of one disaster"; the rest is stated per rule.
"""

from __future__ import annotations

from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.dispatches.models import Dispatch
from coordinator.dispatches.transitions import DispatchAction, DispatchState
from coordinator.errors import Forbidden

# The requester may withdraw its own request only until the supplier has committed people (assumption:
# after acceptance people are travelling, so a coordinator or the secretariat decides).
REQUESTER_MAY_CANCEL_IN = frozenset({DispatchState.proposed, DispatchState.approved, DispatchState.requested})

SUPPLIER_ACTIONS = frozenset({DispatchAction.accept, DispatchAction.decline, DispatchAction.depart,
                              DispatchAction.arrive, DispatchAction.complete})


def is_staff_of(user: User, association_id: str) -> bool:
    """True when the user is staff of this association."""
    return user.role == ROLE_STAFF and user.is_active and user.association_id == association_id


def may_propose(user: User, disaster: Disaster, *, requester_block: str | None, stage: int) -> bool:
    """Stage 1: the requester block's acting coordinator or the secretariat; stage 2: the secretariat."""
    if disaster_policy.is_acting_secretariat(user, disaster):
        return True
    return stage == 1 and requester_block is not None and disaster_policy.is_block_coordinator(
        user, disaster, requester_block)


def ensure_can_propose(user: User, disaster: Disaster, *, requester_block: str | None, stage: int) -> None:
    """Raise Forbidden unless the user may propose a dispatch of this stage."""
    if not may_propose(user, disaster, requester_block=requester_block, stage=stage):
        if stage == 2:
            raise Forbidden("Only the secretariat may propose a cross-block (stage 2) dispatch",
                            "ブロック間（第2段階）の派遣を提案できるのは事務局のみです")
        raise Forbidden("Only the requester block's acting coordinator or the secretariat may propose "
                        "a dispatch", "派遣を提案できるのは要請元ブロックの幹事団体または事務局のみです")


def is_approver(user: User, disaster: Disaster, dispatch: Dispatch, requester_block: str | None) -> bool:
    """Stage 1: the requester block's acting coordinator; stage 2: the acting secretariat."""
    if dispatch.stage == 2:
        return disaster_policy.is_acting_secretariat(user, disaster)
    return requester_block is not None and disaster_policy.is_block_coordinator(user, disaster,
                                                                                 requester_block)


def is_coordinating(user: User, disaster: Disaster, dispatch: Dispatch, *, requester_block: str | None,
                    supplier_block: str | None) -> bool:
    """The secretariat, or the acting coordinator of the requester's or the supplier's block."""
    if disaster_policy.is_acting_secretariat(user, disaster):
        return True
    blocks = disaster_policy.coordinator_blocks(user, disaster)
    return bool(blocks & {b for b in (requester_block, supplier_block) if b})


def may_act(user: User, disaster: Disaster, dispatch: Dispatch, action: DispatchAction, *,
            requester_block: str | None, supplier_block: str | None) -> bool:
    """Whether the user may take this action on this dispatch (the state is checked separately)."""
    if action in (DispatchAction.approve, DispatchAction.request):
        # The request is sent by whoever approved it: the same role (issue 3 item 6).
        return is_approver(user, disaster, dispatch, requester_block)
    if action == DispatchAction.arrive and is_staff_of(user, dispatch.requester_id):
        return True  # the requester may confirm arrival on site
    if action in SUPPLIER_ACTIONS:
        # Only the supplier answers its own requests and reports its own people's progress.
        return is_staff_of(user, dispatch.supplier_id)
    if action == DispatchAction.cancel:
        if is_coordinating(user, disaster, dispatch, requester_block=requester_block,
                           supplier_block=supplier_block):
            return True
        return is_staff_of(user, dispatch.requester_id) and dispatch.state in REQUESTER_MAY_CANCEL_IN
    return False


def ensure_can_act(user: User, disaster: Disaster, dispatch: Dispatch, action: DispatchAction, *,
                   requester_block: str | None, supplier_block: str | None) -> None:
    """Raise Forbidden unless the user may take this action on this dispatch."""
    if may_act(user, disaster, dispatch, action, requester_block=requester_block,
               supplier_block=supplier_block):
        return
    who_en, who_ja = {
        DispatchAction.approve: ("the approver (stage 1: the block's acting coordinator; stage 2: the "
                                 "secretariat)", "承認者（第1段階はブロック幹事団体、第2段階は事務局）"),
        DispatchAction.request: ("the approver (stage 1: the block's acting coordinator; stage 2: the "
                                 "secretariat)", "承認者（第1段階はブロック幹事団体、第2段階は事務局）"),
        DispatchAction.cancel: ("a coordinator, the secretariat, or the requester before acceptance",
                                "幹事団体・事務局、または受諾前の要請団体"),
        DispatchAction.arrive: ("staff of the supporting or the requesting association",
                                "応援団体または要請団体の職員"),
    }.get(action, ("staff of the supporting association", "応援団体の職員"))
    raise Forbidden(f"Only {who_en} may {action.value} this dispatch",
                    f"この派遣の「{action.value}」ができるのは{who_ja}のみです", field="action",
                    details={"action": action.value})


def can_read(user: User, disaster: Disaster, dispatch: Dispatch) -> bool:
    """Observers, the secretariat and coordinators read every dispatch; staff read their own side's."""
    return (disaster_policy.sees_whole_disaster(user, disaster) or is_staff_of(user, dispatch.requester_id)
            or is_staff_of(user, dispatch.supplier_id))


def ensure_can_read(user: User, disaster: Disaster, dispatch: Dispatch) -> None:
    """Raise Forbidden unless the user may read this dispatch."""
    if not can_read(user, disaster, dispatch):
        raise Forbidden("You may not read this dispatch", "この派遣を閲覧する権限がありません")


def event_readers(disaster: Disaster, dispatch: Dispatch) -> list[str]:
    """Associations whose staff may read a dispatch's events: requester, supplier and the coordinators."""
    return sorted({dispatch.requester_id, dispatch.supplier_id, *disaster_policy.staff_readers(disaster)})
