"""Who may hand in bulletins and decide their proposals: the one place for this domain's permissions."""

from __future__ import annotations

from coordinator.auth.models import ROLE_OBSERVER, ROLE_SECRETARIAT, User
from coordinator.errors import Forbidden


def can_read(user: User) -> bool:
    """The secretariat and observers see bulletins and proposals (they are not about one association)."""
    return user.is_active and user.role in (ROLE_SECRETARIAT, ROLE_OBSERVER)


def ensure_can_read(user: User) -> None:
    """Forbidden unless the user may read bulletins and proposals."""
    if not can_read(user):
        raise Forbidden("Only the secretariat and observers see JMA bulletins and proposals",
                        "気象庁の電文と宣言の提案を閲覧できるのは事務局と閲覧者だけです")


def ensure_can_ingest(user: User) -> None:
    """Only the secretariat hands in bulletins (the feed and the folder run as the system)."""
    if not (user.is_active and user.role == ROLE_SECRETARIAT):
        raise Forbidden("Only the secretariat may hand in JMA bulletins",
                        "気象庁の電文を登録できるのは事務局だけです")


def ensure_can_decide(user: User) -> None:
    """Only the secretariat confirms or dismisses a proposal (a declaration starts with it)."""
    if not (user.is_active and user.role == ROLE_SECRETARIAT):
        raise Forbidden("Only the secretariat may confirm or dismiss a proposed declaration",
                        "宣言の提案を確定・却下できるのは事務局だけです")
