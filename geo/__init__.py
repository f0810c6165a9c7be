"""Geography for ouen, pure and cached: prefectures, municipalities, associations, affected areas,
geodesic distances, adjacency and the dashboard's SVG map. Knows nothing of the database or HTTP."""

from geo.adjacency import Neighbour, are_neighbours, neighbours
from geo.area import (
    AffectedArea,
    AffectedAssociation,
    AffectedMunicipality,
    AffectedPrefecture,
    resolve_area,
)
from geo.associations import Association, association, associations, associations_in_prefecture
from geo.distance import (
    association_distance_km,
    association_distance_matrix,
    distance_km,
    place_to_association_km,
)
from geo.errors import GeoError
from geo.loading import load_all
from geo.municipalities import Municipality, municipalities, municipality
from geo.prefectures import Prefecture, prefecture, prefectures
from geo.svgmap import JapanMap, MapShape, japan_map

__all__ = [
    "AffectedArea",
    "AffectedAssociation",
    "AffectedMunicipality",
    "AffectedPrefecture",
    "Association",
    "GeoError",
    "JapanMap",
    "MapShape",
    "Municipality",
    "Neighbour",
    "Prefecture",
    "are_neighbours",
    "association",
    "association_distance_km",
    "association_distance_matrix",
    "associations",
    "associations_in_prefecture",
    "distance_km",
    "japan_map",
    "load_all",
    "municipalities",
    "municipality",
    "neighbours",
    "place_to_association_km",
    "prefecture",
    "prefectures",
    "resolve_area",
]
