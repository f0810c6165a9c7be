"""Load and validate every reference file at once (for start-up, `ouen data check` and benchmarks)."""

from __future__ import annotations

from pathlib import Path

from geo.adjacency import load_adjacency
from geo.area import prepare_area_index
from geo.associations import load_association_table
from geo.datadir import resolve_data_dir
from geo.distance import association_distance_matrix
from geo.municipalities import load_municipality_table
from geo.prefectures import load_prefecture_table


def load_all(data_dir: str | Path | None = None) -> dict[str, int]:
    """Read, validate and index all reference data (cached); counts of what was loaded. GeoError if broken."""
    root = resolve_data_dir(data_dir)
    adjacency = load_adjacency(root)
    prepare_area_index(root)
    association_distance_matrix(root)
    munis = load_municipality_table(root).items
    return {"prefectures": len(load_prefecture_table(root).items),
            "municipalities": sum(not m.is_ward for m in munis), "wards": sum(m.is_ward for m in munis),
            "associations": len(load_association_table(root).items),
            "neighbour_pairs": sum(len(near) for near in adjacency.values()) // 2}
