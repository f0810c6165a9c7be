"""The agreement and the reference geography as the coordinator uses them: the configured files, loaded
once, with typed answers (every domain reads them here, not from `agreements`/`geo` with its own paths)."""

from __future__ import annotations

from typing import Any

from agreements import Agreement, AgreementError, load_agreement
from coordinator.settings import get_settings
from geo.area import AffectedArea
from geo.area import resolve_area as _resolve_area
from geo.associations import Association, association, associations
from geo.errors import GeoError
from geo.municipalities import Municipality, municipality

__all__ = ["AffectedArea", "Agreement", "Association", "GeoError", "Municipality", "all_association_ids",
           "association_or_none", "block_of", "current_agreement", "municipality_or_none", "resolve_area"]


def current_agreement() -> Agreement:
    """The agreement from the configured file (the loader caches it per file version)."""
    settings = get_settings()
    return load_agreement(settings.agreement_file, data_dir=settings.data_dir)


def resolve_area(**area: Any) -> AffectedArea:
    """geo's affected-area resolution on the configured reference data."""
    return _resolve_area(**area, data_dir=get_settings().data_dir)


def association_or_none(association_id: str) -> Association | None:
    """The reference association with this id, or None when there is none."""
    try:
        return association(association_id, data_dir=get_settings().data_dir)
    except (KeyError, LookupError, GeoError):
        return None


def municipality_or_none(code: str) -> Municipality | None:
    """The reference municipality with this JIS code, or None when there is none."""
    try:
        return municipality(code, data_dir=get_settings().data_dir)
    except (KeyError, LookupError, GeoError):
        return None


def all_association_ids() -> list[str]:
    """Ids of every association in the reference data."""
    return sorted(a.id for a in associations(data_dir=get_settings().data_dir))


def block_of(association_id: str) -> str | None:
    """The agreement block of an association, or None when it belongs to none."""
    try:
        return current_agreement().block_of(association_id).id
    except AgreementError:
        return None
