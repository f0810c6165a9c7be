"""Who may manage accounts: the one place for this domain's permission rules.

Accounts are the secretariat's (CLAIR's logins): it adds users, resets passwords, disables accounts,
changes roles and revokes sessions and tokens. Account management is not bound to a disaster, so the
acting secretariat of a disaster does not gain it. Everyone changes their own password and sees and
revokes their own sessions.
"""

from __future__ import annotations

from coordinator.auth.models import ROLE_SECRETARIAT, User
from coordinator.errors import Forbidden


def may_manage_accounts(user: User) -> bool:
    """Whether the user may manage other people's accounts."""
    return user.role == ROLE_SECRETARIAT and user.is_active


def ensure_can_manage_accounts(user: User) -> None:
    """Raise Forbidden unless the user is the secretariat."""
    if not may_manage_accounts(user):
        raise Forbidden("Only the secretariat may manage accounts", "アカウントを管理できるのは事務局のみです",
                        field="authority")
