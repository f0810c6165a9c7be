"""The prefectures as SVG path data for the dashboard map.

Projection: Lambert conformal conic for Japan (standard parallels 30°N and 42°N), so shapes look right.
Borders are simplified together (shapely.coverage_simplify) so neighbouring prefectures keep one shared
edge without gaps, then rounded to 0.1 px.

Okinawa (47) is drawn in an inset box at the upper-left, at 90 % of the main scale: the lower-left corner
of the frame is occupied by the Amami Islands (Kagoshima), while the Sea of Japan corner is empty (the
usual place of the Okinawa inset on Japanese maps). project() maps points in Okinawa's zone (OKINAWA_ZONE)
into the inset. Tokyo's remote Pacific islands south of 30°N (Ogasawara, Minami-Torishima) are left out
of the drawing; project() still maps them with the main transform, which puts them outside the view box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer

from geo.datadir import resolve_data_dir
from geo.errors import GeoError
from geo.prefectures import load_prefecture_table

MAP_PROJ = "+proj=lcc +lat_1=30 +lat_2=42 +lat_0=36 +lon_0=136 +ellps=WGS84 +units=m +no_defs"
OKINAWA_CODE = "47"
# Okinawa's islands in lon/lat: the main and Sakishima islands with Iheya/Izena (west of Yoron, 128.40E,
# which is Kagoshima's), Io-Torishima, and the Daito Islands.
OKINAWA_ZONE = shapely.union_all([shapely.box(122.0, 20.0, 128.36, 27.2), shapely.box(128.1, 27.7, 128.35, 28.0),
                                  shapely.box(130.9, 25.5, 131.6, 26.2)])
# Tokyo's Ogasawara Islands, Minami-Torishima and Okinotorishima: omitted from the drawing.
REMOTE_PACIFIC_ZONE = shapely.box(135.0, 20.0, 154.0, 30.0)
INSET_SCALE = 0.9
MARGIN_SHARE = 0.02
INSET_PADDING_PX = 6.0


@dataclass(frozen=True)
class MapShape:
    """One prefecture on the map: SVG path data and a label anchor, in view-box pixels."""

    code: str
    name_ja: str
    name_en: str
    d: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class _Layout:
    """Affine placement of projected metres into pixels, for the main frame and the Okinawa inset."""

    scale: float
    margin: float
    main_min_x: float
    main_max_y: float
    inset_scale: float
    inset_min_x: float
    inset_max_y: float


@dataclass(frozen=True)
class JapanMap:
    """The map: size, SVG viewBox, one shape per prefecture, and the Okinawa inset frame (x, y, w, h)."""

    width: int
    height: int
    view_box: str
    shapes: tuple[MapShape, ...]
    inset: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    layout: _Layout | None = field(default=None, repr=False, compare=False)

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """Pixel position of (lon, lat) on this map (inside the inset for Okinawa's islands)."""
        assert self.layout is not None, "JapanMap built without a layout"
        x, y = _map_transformer().transform(lon, lat)
        return _place(self.layout, float(x), float(y), in_okinawa_zone(lon, lat))


def in_okinawa_zone(lon: float, lat: float) -> bool:
    """Whether a lon/lat point is drawn in the Okinawa inset."""
    return bool(shapely.intersects_xy(OKINAWA_ZONE, lon, lat))


@lru_cache(maxsize=1)
def _map_transformer() -> Transformer:
    return Transformer.from_crs("EPSG:4326", MAP_PROJ, always_xy=True)


def _place(layout: _Layout, x: float, y: float, inset: bool) -> tuple[float, float]:
    if inset:
        scale = layout.scale * layout.inset_scale
        return layout.margin + (x - layout.inset_min_x) * scale, layout.margin + (layout.inset_max_y - y) * scale
    scale = layout.scale
    return layout.margin + (x - layout.main_min_x) * scale, layout.margin + (layout.main_max_y - y) * scale


def _projected(geometry: shapely.Geometry) -> shapely.Geometry:
    transformer = _map_transformer()
    return shapely.transform(geometry, lambda c: np.column_stack(transformer.transform(c[:, 0], c[:, 1])))


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _path(geometry: shapely.Geometry, layout: _Layout, inset: bool) -> str:
    """SVG path data of a polygonal geometry (projected metres), one subpath per ring."""
    parts = []
    for polygon in shapely.get_parts(geometry):
        for ring in (polygon.exterior, *polygon.interiors):
            points: list[str] = []
            for x, y in ring.coords[:-1]:
                point = "{} {}".format(*map(_number, _place(layout, x, y, inset)))
                if not points or points[-1] != point:
                    points.append(point)
            if len(points) >= 3:
                parts.append(f"M{points[0]}L{' '.join(points[1:])}Z")
    return "".join(parts)


def japan_map(width: int = 1000, tolerance_km: float = 2.0, data_dir: str | Path | None = None) -> JapanMap:
    """The 47 prefectures as simplified SVG paths fitting `width` pixels (cached per arguments)."""
    if isinstance(width, bool) or not isinstance(width, int) or not 100 <= width <= 10000:
        raise GeoError("width", f"width must be a whole number of pixels 100..10000, got {width!r}",
                       f"width は 100～10000 の整数ピクセルです（受け取った値: {width!r}）")
    if not isinstance(tolerance_km, int | float) or not 0 <= tolerance_km <= 50:
        raise GeoError("tolerance_km", f"tolerance_km must be between 0 and 50, got {tolerance_km!r}",
                       f"tolerance_km は 0～50 です（受け取った値: {tolerance_km!r}）")
    return _japan_map(width, float(tolerance_km), resolve_data_dir(data_dir))


@lru_cache(maxsize=16)
def _japan_map(width: int, tolerance_km: float, data_dir: Path) -> JapanMap:
    items = load_prefecture_table(data_dir).items
    drawn = [shapely.difference(p.geometry, REMOTE_PACIFIC_ZONE) if p.code == "13" else p.geometry for p in items]
    projected = [_projected(g) for g in drawn]
    if tolerance_km > 0:
        projected = list(shapely.coverage_simplify(projected, tolerance_km * 1000.0))
    main = shapely.union_all([g for p, g in zip(items, projected, strict=True) if p.code != OKINAWA_CODE])
    okinawa = next(g for p, g in zip(items, projected, strict=True) if p.code == OKINAWA_CODE)
    min_x, min_y, max_x, max_y = main.bounds
    margin = width * MARGIN_SHARE
    scale = (width - 2 * margin) / (max_x - min_x)
    height = int(np.ceil((max_y - min_y) * scale + 2 * margin))
    ok_min_x, ok_min_y, ok_max_x, ok_max_y = okinawa.bounds
    layout = _Layout(scale=scale, margin=margin, main_min_x=min_x, main_max_y=max_y, inset_scale=INSET_SCALE,
                     inset_min_x=ok_min_x, inset_max_y=ok_max_y)
    inset_scale = scale * INSET_SCALE
    inset = (round(margin - INSET_PADDING_PX, 1), round(margin - INSET_PADDING_PX, 1),
             round((ok_max_x - ok_min_x) * inset_scale + 2 * INSET_PADDING_PX, 1),
             round((ok_max_y - ok_min_y) * inset_scale + 2 * INSET_PADDING_PX, 1))
    shapes = []
    for pref, geometry in zip(items, projected, strict=True):
        in_inset = pref.code == OKINAWA_CODE
        label = _place(layout, *_map_transformer().transform(pref.label_lon, pref.label_lat), in_inset)
        shapes.append(MapShape(pref.code, pref.name_ja, pref.name_en, _path(geometry, layout, in_inset),
                               round(label[0], 1), round(label[1], 1)))
    return JapanMap(width=width, height=height, view_box=f"0 0 {width} {height}", shapes=tuple(shapes),
                    inset=inset, layout=layout)
