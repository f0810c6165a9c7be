"""Who may make and commit support plans: the one place for the matching domain's permission rules.

Sources: issue 4 (POST /plan), issue 3 item 6 and DESIGN.md (stage-1 approvals by the block's acting
coordinator, stage-2 by the secretariat), so a coordinator's plan may only propose stage 1 for its own
block's needs; the secretariat may propose everything.
"""

from __future__ import annotations

from typing import Any

from agreements import AgreementError
from coordinator.auth.models import ROLE_STAFF, User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden


def ensure_can_plan(user: User, disaster: Disaster) -> disaster_policy.Capacity:
    """Raise Forbidden unless the user is the secretariat or the acting coordinator of an affected block."""
    capacity = disaster_policy.plan_capacity(user, disaster)
    if capacity is not None:
        return capacity
    raise Forbidden("Only the secretariat or the acting coordinator of an affected block may plan",
                    "支援計画を作成できるのは事務局（代行を含む）または被災したブロックの幹事団体のみです",
                    field="authority")


def plan_scope(user: User, disaster: Disaster) -> frozenset[str] | None:
    """Blocks whose needs the user's committed plan may cover: None means every block (secretariat)."""
    if disaster_policy.is_acting_secretariat(user, disaster):
        return None
    return frozenset(disaster_policy.coordinator_blocks(user, disaster))


def withheld_reason(scope: frozenset[str] | None, *, requester_block: str | None,
                    stage: int) -> tuple[str, str] | None:
    """Why a proposal may not be committed by someone with this scope (en, ja), or None when it may."""
    if scope is None:
        return None
    if stage == 2:
        return ("stage 2 (cross-block) proposals belong to the secretariat",
                "第2段階（ブロック間）の提案は事務局が行います")
    if requester_block not in scope:
        return (f"the need belongs to another block ({requester_block}): its coordinator or the secretariat "
                "proposes",
                f"他ブロック（{requester_block}）のニーズです。そのブロックの幹事団体または事務局が提案します")
    return None


def block_of(agreement: Any, association_id: str) -> str | None:
    """The agreement block of an association (None when it is in none)."""
    try:
        return str(agreement.block_of(association_id).id)
    except AgreementError:
        return None


def release_capacity(user: User, disaster: Disaster, *, agreement: Any, dispatch: Any) -> str | None:
    """In which capacity the user may put a declined (need, supporter) pair back into plans, or None: the
    acting secretariat (any pair); the acting coordinator of the requester's block for a stage-1 pair
    (whoever may propose it); the supporter's own staff (it declined, it may take that back)."""
    if disaster_policy.is_acting_secretariat(user, disaster):
        return "secretariat"
    blocks = disaster_policy.coordinator_blocks(user, disaster)
    if blocks and withheld_reason(frozenset(blocks), requester_block=block_of(agreement, dispatch.requester_id),
                                  stage=dispatch.stage) is None:
        return "coordinator"
    if user.role == ROLE_STAFF and user.association_id == dispatch.supplier_id:
        return "supplier"
    return None
