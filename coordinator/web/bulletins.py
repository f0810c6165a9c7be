"""HTTP: the secretariat's page of declarations proposed by JMA bulletins (/bulletins)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response

from coordinator.auth.deps import OptionalUser
from coordinator.auth.models import ROLE_SECRETARIAT
from coordinator.bulletins import policy
from coordinator.db import SessionRoute
from coordinator.errors import Forbidden
from coordinator.web.i18n import Translator, language_of
from coordinator.web.router import _error_page, _login_redirect, render

router = APIRouter(include_in_schema=False, route_class=SessionRoute)


@router.get("/bulletins")
def bulletins_page(request: Request, user: OptionalUser, mode: Literal["live", "drill"] = "live") -> Response:
    """Open proposals (area preview, affected associations, acting roles) with confirm, edit and dismiss."""
    if user is None:
        return _login_redirect(request)
    if not policy.can_read(user):
        return _error_page(request, user, Forbidden("Only the secretariat and observers see this page",
                                                    "このページは事務局と閲覧者だけが見られます"))
    t = Translator(language_of(request))
    return render(request, "bulletins.html", user=user, title=t("bulletins.title"), page_mode=mode,
                  config={"page_mode": mode, "can_decide": user.role == ROLE_SECRETARIAT})
