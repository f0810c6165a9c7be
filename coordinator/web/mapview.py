"""The dashboard map: prefecture outlines by block and association points, built once and cached.

Geometry and projection come from geo.japan_map(); which block a prefecture belongs to comes from the
agreement (the block of its prefectural association). Block outlines are drawn by stroking each
prefecture in its block's colour (cheaper than unions, and shared borders inside a block stay visible).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from pathlib import Path

from agreements import load_agreement
from geo.adjacency import neighbours
from geo.associations import associations
from geo.svgmap import japan_map

MAP_WIDTH = 1000
# Colour-blind-safe block colours (Okabe & Ito 2008 palette), one per block of the liaison council.
BLOCK_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")


@dataclass(frozen=True)
class BlockInfo:
    """One block of the liaison council as the map legend shows it."""

    id: str
    name_ja: str
    name_en: str
    colour: str


@dataclass(frozen=True)
class MapPoint:
    """One association on the map, in view-box pixels."""

    association_id: str
    name_ja: str
    name_en: str
    block: str | None
    prefecture_code: str
    x: float
    y: float


@dataclass(frozen=True)
class MapView:
    """Everything the pages need to draw the map; `layers` holds the cached prefecture markup per language."""

    width: int
    height: int
    view_box: str
    inset: tuple[float, float, float, float]
    blocks: tuple[BlockInfo, ...]
    points: tuple[MapPoint, ...]
    layers: dict[str, str] = field(compare=False, repr=False)
    by_id: dict[str, MapPoint] = field(compare=False, repr=False)
    prefecture_blocks: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def point(self, association_id: str) -> MapPoint | None:
        """The point of an association, or None when it is not on the map (e.g. the secretariat)."""
        return self.by_id.get(association_id)


def _prefecture_layer(
    shapes: tuple, block_of_prefecture: dict[str, str], colours: dict[str, str], language: str
) -> str:
    parts = []
    for shape in shapes:
        name = shape.name_en if language == "en" else shape.name_ja
        block = block_of_prefecture.get(shape.code, "")
        parts.append(
            f'<path class="pref" data-code="{shape.code}" data-block="{escape(block)}" '
            f'style="stroke:{colours.get(block, "#777")}" d="{shape.d}"><title>{escape(name)}</title></path>'
        )
    return "".join(parts)


@lru_cache(maxsize=4)
def map_view(data_dir: Path, agreement_file: Path) -> MapView:
    """The cached map for this reference data and agreement file."""
    agreement = load_agreement(agreement_file, data_dir=data_dir)
    drawn = japan_map(MAP_WIDTH, data_dir=data_dir)
    blocks = tuple(
        BlockInfo(b.id, b.name_ja, b.name_en, BLOCK_COLOURS[i % len(BLOCK_COLOURS)])
        for i, b in enumerate(agreement.blocks)
    )
    colours = {b.id: b.colour for b in blocks}
    block_of_member = {member: b.id for b in agreement.blocks for member in b.members}
    points = []
    block_of_prefecture: dict[str, str] = {}
    for item in associations(data_dir):
        block = block_of_member.get(item.id)
        if block is None:
            continue
        if item.kind == "prefecture":
            block_of_prefecture[item.prefecture_code] = block
        x, y = drawn.project(item.lon, item.lat)
        points.append(
            MapPoint(
                item.id, item.name_ja, item.name_en, block, item.prefecture_code, round(x, 1), round(y, 1)
            )
        )
    for shape in drawn.shapes:
        if (
            shape.code not in block_of_prefecture
        ):  # Nara has no association (DOMAIN.md): its neighbours' block
            around = [block_of_prefecture.get(n.code) for n in neighbours(shape.code, data_dir)]
            known = [b for b in around if b]
            block_of_prefecture[shape.code] = Counter(known).most_common(1)[0][0] if known else ""
    layers = {
        language: _prefecture_layer(drawn.shapes, block_of_prefecture, colours, language)
        for language in ("ja", "en")
    }
    return MapView(
        width=drawn.width,
        height=drawn.height,
        view_box=drawn.view_box,
        inset=drawn.inset,
        blocks=blocks,
        points=tuple(points),
        layers=layers,
        by_id={p.association_id: p for p in points},
        prefecture_blocks=dict(sorted(block_of_prefecture.items())),
    )


def arrow_geometry(
    start: tuple[float, float], end: tuple[float, float], radius: float = 7.0
) -> tuple[str, float, float]:
    """A curved arrow from one point to another (stopping short of the circles): path data and label place.

    The curve bends to the right of the direction of travel, so that two opposite arrows between the same
    pair stay apart. static/dashboard.js draws the same shape (arrowGeometry) on live updates.
    """
    (x1, y1), (x2, y2) = start, end
    dx, dy = x2 - x1, y2 - y1
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    sx, sy = x1 + ux * radius, y1 + uy * radius
    ex, ey = x2 - ux * (radius + 2), y2 - uy * (radius + 2)
    bend = min(60.0, length * 0.15)
    cx, cy = (x1 + x2) / 2 - uy * bend, (y1 + y2) / 2 + ux * bend
    label_x, label_y = (sx + 2 * cx + ex) / 4, (sy + 2 * cy + ey) / 4
    d = f"M{sx:.1f} {sy:.1f}Q{cx:.1f} {cy:.1f} {ex:.1f} {ey:.1f}"
    return d, round(label_x, 1), round(label_y, 1)


def region_box(view: MapView, association_ids: set[str]) -> tuple[float, float, float, float] | None:
    """The view box around every association of the blocks these associations belong to, with a margin
    (dashboard.js regionBox draws the same); None when none is on the map."""
    blocks = {p.block for p in view.points if p.association_id in association_ids and p.block}
    members = [p for p in view.points if p.block in blocks]
    if not members:
        return None
    full = [float(v) for v in view.view_box.split()]
    min_x, max_x = min(p.x for p in members), max(p.x for p in members)
    min_y, max_y = min(p.y for p in members), max(p.y for p in members)
    width, height = max(max_x - min_x, 120.0), max(max_y - min_y, 120.0)
    margin = max(width, height) * 0.15 + 20
    x = max(full[0], (min_x + max_x) / 2 - width / 2 - margin)
    y = max(full[1], (min_y + max_y) / 2 - height / 2 - margin)
    return (round(x, 1), round(y, 1), round(min(full[2] - x, width + 2 * margin), 1),
            round(min(full[3] - y, height + 2 * margin), 1))
