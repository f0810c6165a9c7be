"""Loading and reading associations."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select

from coordinator.associations.models import Association
from coordinator.associations.source import association_records
from coordinator.db import writes
from coordinator.errors import NotFound

_FIELDS = ("name_ja", "name_en", "kind", "prefecture_code", "block", "municipality_code", "lat", "lon",
           "verified")


@writes
def load_associations(session: Session, *, data_dir: Path) -> int:
    """Insert or update every association from the reference data; returns how many rows changed.

    Idempotent: a second load changes nothing. Rows are never deleted, because needs, offers and users
    refer to them.
    """
    existing = {row.id: row for row in session.exec(select(Association))}
    changed = 0
    for record in association_records(data_dir):
        row = existing.get(record.id)
        if row is None:
            session.add(Association(id=record.id, **{name: getattr(record, name) for name in _FIELDS}))
            changed += 1
            continue
        differences = {name: getattr(record, name) for name in _FIELDS
                       if getattr(row, name) != getattr(record, name)}
        if differences:
            for name, value in differences.items():
                setattr(row, name, value)
            session.add(row)
            changed += 1
    session.commit()
    return changed


def list_associations(session: Session) -> list[Association]:
    """Every association, by prefecture code, prefectural association first, then id."""
    kind_order = {"prefecture": 0, "city": 1, "secretariat": 2}
    rows = list(session.exec(select(Association).order_by(col(Association.prefecture_code), col(Association.id))))
    return sorted(rows, key=lambda row: (row.prefecture_code, kind_order.get(row.kind, 3), row.id))


def get_association(session: Session, association_id: str) -> Association:
    """One association by id, or NotFound naming the field."""
    row = session.get(Association, association_id)
    if row is None:
        raise NotFound(f"No association with id {association_id!r}", f"協会 {association_id!r} は存在しません",
                       field="association_id")
    return row
