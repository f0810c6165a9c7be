"""Where association rows come from: geo's reference associations (data/associations.csv), plus the
secretariat, which is not one of the 63 but acts in the workflow like one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from coordinator.associations.models import SECRETARIAT_ID
from geo.associations import Association, associations


@dataclass(frozen=True)
class AssociationRecord:
    """One association as read from the reference data."""

    id: str
    name_ja: str
    name_en: str
    kind: str
    prefecture_code: str
    block: str | None
    municipality_code: str | None
    lat: float | None
    lon: float | None
    verified: bool


# The secretariat is not one of the 63 associations but acts in the workflow like one. CLAIR's office is
# in Chiyoda-ku, Tokyo (13101); its point is the ward office's (assumption: no street-level point needed).
SECRETARIAT = AssociationRecord(
    id=SECRETARIAT_ID, name_ja="自治体国際化協会（CLAIR）",
    name_en="Council of Local Authorities for International Relations (CLAIR)", kind="secretariat",
    prefecture_code="13", block=None, municipality_code="13101", lat=35.69388889, lon=139.7536111,
    verified=True)


def _record(item: Association) -> AssociationRecord:
    return AssociationRecord(
        id=item.id, name_ja=item.name_ja, name_en=item.name_en, kind=item.kind, prefecture_code=item.prefecture_code,
        block=item.block or None, municipality_code=item.municipality_code or None, lat=item.lat, lon=item.lon,
        verified=item.verified)


def association_records(data_dir: Path) -> list[AssociationRecord]:
    """The 63 associations from the reference data, plus the secretariat."""
    return [*(_record(item) for item in associations(data_dir)), SECRETARIAT]
