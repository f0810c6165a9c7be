"""Who may read and write situation reports: the one place for this domain's permission rules."""

from __future__ import annotations

from coordinator.auth.models import User
from coordinator.disasters import policy as disaster_policy
from coordinator.disasters.models import Disaster
from coordinator.errors import Forbidden


def can_write(user: User, disaster: Disaster) -> bool:
    """The acting secretariat writes the reports (source: issue 14 item 7, DOMAIN.md: CLAIR reports)."""
    return disaster_policy.is_acting_secretariat(user, disaster)


def ensure_can_write(user: User, disaster: Disaster) -> None:
    """Raise Forbidden unless the user may issue or correct this disaster's reports."""
    if not can_write(user, disaster):
        raise Forbidden("Only the acting secretariat may issue or correct situation reports",
                        "状況報告を発行・修正できるのは事務局（代行を含む）のみです", field="summary")
