"""Who may manage notification addresses and see the outbox: the one place for this domain's rules."""

from __future__ import annotations

from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF, User
from coordinator.errors import Forbidden


def may_manage_addresses(user: User, association_id: str) -> bool:
    """The secretariat for every association; staff for their own association's addresses."""
    if not user.is_active:
        return False
    return user.role == ROLE_SECRETARIAT or (user.role == ROLE_STAFF and user.association_id == association_id)


def ensure_can_manage_addresses(user: User, association_id: str) -> None:
    """Raise Forbidden unless the user may read and change this association's addresses."""
    if not may_manage_addresses(user, association_id):
        raise Forbidden("Only the association's staff or the secretariat may manage its notification addresses",
                        "通知先を管理できるのはその協会の職員または事務局のみです", field="association_id")


def may_see_outbox(user: User) -> bool:
    """The secretariat (CLAIR) sees every outgoing message, its attempts and the dead letters.

    Decision: not a fail-over secretariat's staff, since the outbox holds every association's addresses.
    """
    return user.is_active and user.role == ROLE_SECRETARIAT


def ensure_can_see_outbox(user: User) -> None:
    """Raise Forbidden unless the user is the secretariat."""
    if not may_see_outbox(user):
        raise Forbidden("Only the secretariat may see and retry outgoing notifications",
                        "送信待ち・送信失敗の通知を確認できるのは事務局のみです", field="role")
