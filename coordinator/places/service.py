"""Place search over the configured reference data (pure lookups: no database)."""

from __future__ import annotations

from coordinator.errors import Invalid
from coordinator.places.models import PlacePublic
from coordinator.settings import get_settings
from geo.datadir import resolve_data_dir
from geo.errors import GeoError
from geo.municipalities import Municipality, search_municipalities
from geo.prefectures import load_prefecture_table, prefecture

MAX_LIMIT = 50


def place_public(m: Municipality) -> PlacePublic:
    """A municipality as the API shows it: names, prefecture, and "石川県 輪島市" labels."""
    pref = load_prefecture_table(resolve_data_dir(get_settings().data_dir)).by_code[m.pref_code]
    name = m.name_ja.replace(" ", "")
    return PlacePublic(code=m.code, name_ja=m.name_ja, name_kana=m.name_kana, prefecture_code=m.pref_code,
                       prefecture_ja=pref.name_ja, prefecture_en=pref.name_en,
                       label_ja=f"{pref.name_ja} {name}", label_en=f"{name} ({m.name_kana}), {pref.name_en}",
                       lat=m.lat, lon=m.lon)


def search_places(*, q: str, prefecture_key: str | None = None, limit: int = 20) -> list[PlacePublic]:
    """Municipalities matching `q` in kanji or kana (prefix before substring), optionally in one prefecture."""
    if not q.strip():
        raise Invalid("q: give part of a municipality's name or reading",
                      "q：市区町村名または読みの一部を入力してください", field="q")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit: must be between 1 and {MAX_LIMIT}",
                      f"limit：1 から {MAX_LIMIT} の範囲で指定してください", field="limit")
    code = None
    if prefecture_key:
        try:
            code = prefecture(prefecture_key, get_settings().data_dir, field_name="prefecture").code
        except GeoError as exc:
            raise Invalid(exc.message_en, exc.message_ja, field="prefecture") from exc
    found = search_municipalities(q, prefecture_code=code, limit=limit, data_dir=get_settings().data_dir)
    return [place_public(m) for m in found]
