"""HTTP: CSV and GeoJSON exports of a disaster (thin)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionDep, SessionRoute
from coordinator.exports import service

router = APIRouter(prefix="/api/v1/disasters", tags=["exports"], route_class=SessionRoute)


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(content=content, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{disaster_id}/export/needs.csv", response_class=Response)
def needs_csv(disaster_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Needs as CSV (UTF-8 with BOM, CRLF, "日本語 / English" headers)."""
    content = service.needs_csv(session, disaster_id=disaster_id, actor=user)
    return _attachment(content, "text/csv; charset=utf-8", f"disaster-{disaster_id}-needs.csv")


@router.get("/{disaster_id}/export/dispatches.csv", response_class=Response)
def dispatches_csv(disaster_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Dispatches as CSV (same format as needs.csv)."""
    content = service.dispatches_csv(session, disaster_id=disaster_id, actor=user)
    return _attachment(content, "text/csv; charset=utf-8", f"disaster-{disaster_id}-dispatches.csv")


@router.get("/{disaster_id}/export/needs.geojson")
def needs_geojson(disaster_id: int, session: SessionDep, user: CurrentUser) -> Response:
    """Needs as a GeoJSON FeatureCollection of points."""
    import json

    body = json.dumps(service.needs_geojson(session, disaster_id=disaster_id, actor=user), ensure_ascii=False)
    return _attachment(body.encode("utf-8"), "application/geo+json", f"disaster-{disaster_id}-needs.geojson")
