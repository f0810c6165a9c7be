"""Per-agreement lookups precomputed once (names, memberships, distances), so the rules stay fast."""

from __future__ import annotations

from dataclasses import dataclass, field

import geo
from agreements.errors import InvalidQuestion
from agreements.models import Agreement, Block


@dataclass
class AgreementIndex:
    """Lookups the rules need on every call, built the first time an agreement is used."""

    agreement: Agreement
    association_ids: tuple[str, ...]
    block_of: dict[str, Block]
    name_en: dict[str, str]
    name_ja: dict[str, str]
    known_affected: frozenset[str]
    data_dir: str | None = None
    _between: dict[str, dict[str, float]] = field(default_factory=dict)
    _from_place: dict[str, dict[str, float]] = field(default_factory=dict)
    _place_names: dict[str, str] = field(default_factory=dict)

    def distances_from_association(self, association_id: str) -> dict[str, float]:
        """Distance in km (0.1 km) from one association to every association."""
        row = self._between.get(association_id)
        if row is None:
            row = {other: 0.0 if other == association_id
                   else round(geo.association_distance_km(association_id, other, self.data_dir), 1)
                   for other in self.association_ids}
            self._between[association_id] = row
        return row

    def distances_from_place(self, municipality_code: str) -> dict[str, float]:
        """Distance in km (0.1 km) from a municipality (JIS code) to every association."""
        row = self._from_place.get(municipality_code)
        if row is None:
            try:
                row = {other: round(geo.place_to_association_km(municipality_code, other, self.data_dir), 1)
                       for other in self.association_ids}
            except geo.GeoError as exc:
                raise InvalidQuestion("place", f"unknown place {municipality_code!r}: {exc.message_en}",
                                      f"場所 {municipality_code!r} が不明です：{exc.message_ja}") from None
            self._from_place[municipality_code] = row
        return row

    def check_affected(self, affected: frozenset[str]) -> None:
        """Refuse ids in an affected set that are neither associations nor the secretariat."""
        unknown = affected - self.known_affected
        if unknown:
            names = ", ".join(sorted(unknown))
            raise InvalidQuestion("affected", f"unknown association id(s) in the affected set: {names}",
                                  f"被災協会に不明なIDがあります：{names}")

    def place_name(self, municipality_code: str) -> str:
        """A municipality's Japanese name (the code when the reference data does not know it)."""
        name = self._place_names.get(municipality_code)
        if name is None:
            try:
                name = geo.municipality(municipality_code, self.data_dir).name_ja
            except geo.GeoError:
                name = municipality_code
            self._place_names[municipality_code] = name
        return name

    def label_en(self, association_id: str) -> str:
        """An association's id with its English name, for reasons."""
        return f"{association_id} ({self.name_en[association_id]})"

    def label_ja(self, association_id: str) -> str:
        """An association's Japanese name with its id, for reasons."""
        return f"{self.name_ja[association_id]}（{association_id}）"


def index_of(agreement: Agreement) -> AgreementIndex:
    """The agreement's index, built once per agreement object."""
    index = agreement._cache.get("index")
    if index is None:
        ids = agreement.association_ids
        data_dir = agreement._cache.get("data_dir")
        associations = {a.id: a for a in geo.associations(data_dir)}
        index = AgreementIndex(
            agreement=agreement,
            association_ids=ids,
            block_of={m: b for b in agreement.blocks for m in b.members},
            name_en={i: (associations[i].name_en or associations[i].name_ja) if i in associations else i
                     for i in ids},
            name_ja={i: associations[i].name_ja if i in associations else i for i in ids},
            known_affected=frozenset(ids) | {agreement.secretariat.id},
            data_dir=data_dir,
        )
        agreement._cache["index"] = index
    return index
