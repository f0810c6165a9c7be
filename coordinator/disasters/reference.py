"""The agreement and reference geography as the coordinator uses them (loaded once per process)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from coordinator.settings import get_settings


@lru_cache
def current_agreement() -> Any:
    """The agreement from the configured file, loaded once."""
    import agreements

    settings = get_settings()
    return agreements.load_agreement(settings.agreement_file, data_dir=settings.data_dir)


def association_or_none(association_id: str) -> Any | None:
    """The reference association with this id, or None when there is none."""
    import geo

    try:
        return geo.association(association_id)
    except (KeyError, LookupError, ValueError, geo.GeoError):
        return None


def municipality_or_none(code: str) -> Any | None:
    """The reference municipality with this JIS code, or None when there is none."""
    import geo

    try:
        return geo.municipality(code)
    except (KeyError, LookupError, ValueError, geo.GeoError):
        return None


def all_association_ids() -> list[str]:
    """Ids of every association in the reference data."""
    import geo

    settings = get_settings()
    return sorted(a.id for a in geo.associations(data_dir=settings.data_dir))


def block_of(association_id: str) -> str | None:
    """The agreement block of an association, or None when it belongs to none."""
    import agreements

    try:
        return current_agreement().block_of(association_id).id
    except agreements.AgreementError:
        return None
