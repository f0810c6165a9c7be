"""The notifications page: your notifications, how you are told, your association's addresses, and for the
secretariat the delivery status with dead letters to send again (all read and written through the JSON API)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from coordinator.associations.models import SECRETARIAT_ID
from coordinator.auth.deps import OptionalUser
from coordinator.auth.models import ROLE_SECRETARIAT, ROLE_STAFF
from coordinator.db import SessionRoute
from coordinator.notifications.policy import may_see_outbox
from coordinator.web.i18n import Translator, language_of
from coordinator.web.router import _login_redirect, render

router = APIRouter(include_in_schema=False, route_class=SessionRoute)


@router.get("/notifications")
def notifications_page(request: Request, user: OptionalUser) -> Response:
    """The signed-in person's notifications and settings."""
    if user is None:
        return _login_redirect(request)
    t = Translator(language_of(request))
    addresses_of = user.association_id if user.role == ROLE_STAFF else SECRETARIAT_ID \
        if user.role == ROLE_SECRETARIAT else None
    return render(request, "notifications.html", user=user, title=t("notify.page_title"),
                  addresses_of=addresses_of, sees_outbox=may_see_outbox(user),
                  config={"addresses_of": addresses_of, "sees_outbox": may_see_outbox(user)})
