"""Cleaning what people type before it is validated: blank names, full-width codes, oversized areas.

Staff type on Japanese phones whose keyboards often produce full-width digits (１７２０４) and
ideographic spaces; codes and numbers are normalised with NFKC before they are checked, free text is
only trimmed (NFKC would change what a person wrote, e.g. ㈱ or half-width katakana).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

# A drawn area needs a few hundred points; a simplified prefecture outline a few thousand. More is a
# mistake or an attack, and every point costs when the area is resolved (issue 12 item 8).
MAX_AREA_VERTICES = 10_000
MAX_AREA_DEPTH = 6  # FeatureCollection > Feature > MultiPolygon > polygon > ring > point


def nfkc(value: Any) -> Any:
    """NFKC-normalised and trimmed when a string (１７２０４ -> 17204); anything else unchanged."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    return value


def nfkc_list(value: Any) -> Any:
    """Each string of a list NFKC-normalised and trimmed; anything else unchanged."""
    if isinstance(value, list):
        return [nfkc(item) for item in value]
    return value


def not_blank(value: str | None) -> str | None:
    """The text trimmed (ideographic spaces too); a text of only spaces is refused."""
    if value is None:
        return None
    trimmed = value.strip()
    if not trimmed:
        raise PydanticCustomError("blank", "must not be blank (only spaces)")
    return trimmed


# A name or title: trimmed, never only spaces.
Text = Annotated[str, AfterValidator(not_blank)]
# A code or number as typed on any keyboard: NFKC-normalised before validation.
Code = Annotated[str, BeforeValidator(nfkc)]
Number = Annotated[int, BeforeValidator(nfkc)]


def _count_points(value: Any, depth: int = 0) -> int:
    if depth > MAX_AREA_DEPTH + 2:
        raise PydanticCustomError("too_deep", "GeoJSON nests deeper than any geometry needs")
    if isinstance(value, list):
        if value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            return 1
        return sum(_count_points(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return sum(_count_points(v, depth + 1) for k, v in value.items()
                   if k in ("coordinates", "geometry", "geometries", "features"))
    return 0


def geojson_vertices(geojson: dict[str, Any]) -> int:
    """How many points a GeoJSON object holds (coordinates of every geometry)."""
    return _count_points(geojson)


def check_geojson_size(geojson: dict[str, Any] | None) -> dict[str, Any] | None:
    """Refuse a GeoJSON area with more than MAX_AREA_VERTICES points."""
    if geojson is None:
        return None
    points = geojson_vertices(geojson)
    if points > MAX_AREA_VERTICES:
        raise PydanticCustomError("too_many_vertices",
                                  "has {points} points; at most {limit} are accepted (simplify the drawing)",
                                  {"points": points, "limit": MAX_AREA_VERTICES})
    return geojson


def first_nul(value: Any, path: Iterable[str] = ()) -> str | None:
    """The dotted path of the first string holding a NUL character in a parsed JSON value, or None."""
    if isinstance(value, str):
        return ".".join(path) or "body" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return ".".join([*path, str(key).replace("\x00", "")]) or "body"
            found = first_nul(item, [*path, str(key)])
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = first_nul(item, [*path, str(index)])
            if found:
                return found
    return None


# OpenAPI text of every language field a client sends (agreements/languages.py decides).
LANGUAGE_HELP = ("A BCP 47 tag the agreement lists (e.g. vi, pt-BR; case-insensitive); any other is refused with 422 "
                 "and details.known_languages. A variant and its base serve each other in matching (pt <-> pt-BR).")
