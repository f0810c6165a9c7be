"""HTTP: place search (thin: parse, call the service, return)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from coordinator.auth.deps import CurrentUser
from coordinator.db import SessionRoute
from coordinator.places import service
from coordinator.places.models import PlacePublic

router = APIRouter(prefix="/api/v1/places", tags=["places"], route_class=SessionRoute)


@router.get("", response_model=list[PlacePublic])
def search(_user: CurrentUser, q: str = Query(max_length=100), prefecture: str | None = Query(None, max_length=20),
           limit: int = Query(20)) -> list[PlacePublic]:
    """Municipalities and wards by name in kanji or kana (輪島, わじま, ワジマ), prefixes first."""
    return service.search_places(q=q, prefecture_key=prefecture, limit=limit)
