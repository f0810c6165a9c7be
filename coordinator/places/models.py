"""The place search's API shape."""

from __future__ import annotations

from pydantic import BaseModel


class PlacePublic(BaseModel):
    """A municipality or designated-city ward with its prefecture and labels for people."""

    code: str
    name_ja: str
    name_kana: str
    prefecture_code: str
    prefecture_ja: str
    prefecture_en: str
    label_ja: str
    label_en: str
    lat: float
    lon: float
