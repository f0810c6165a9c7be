"""The dashboard map: 47 simplified shapes, compact path data, a consistent projection and Okinawa inset."""

from __future__ import annotations

import re

import pytest

from geo import GeoError, JapanMap, japan_map, municipality, prefecture

NUMBER_PAIR = re.compile(r"(-?\d+(?:\.\d)?) (-?\d+(?:\.\d)?)")


def points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in NUMBER_PAIR.findall(d)]


def bbox(d: str) -> tuple[float, float, float, float]:
    xs, ys = zip(*points(d), strict=True)
    return min(xs), min(ys), max(xs), max(ys)


def inside(point: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


@pytest.fixture(scope="module")
def standard_map() -> JapanMap:
    return japan_map()


def test_forty_seven_shapes_in_code_order_within_the_view_box(standard_map: JapanMap) -> None:
    assert [s.code for s in standard_map.shapes] == [f"{n:02d}" for n in range(1, 48)]
    assert standard_map.width == 1000 and standard_map.view_box == f"0 0 1000 {standard_map.height}"
    assert 1100 < standard_map.height < 1500  # Japan's main islands are taller than wide
    for shape in standard_map.shapes:
        assert shape.d.startswith("M") and shape.d.endswith("Z")
        x0, y0, x1, y1 = bbox(shape.d)
        assert x0 >= 0 and y0 >= 0 and x1 <= standard_map.width and y1 <= standard_map.height, shape.code


def test_path_data_is_compact_and_rounded(standard_map: JapanMap) -> None:
    assert sum(len(s.d.encode()) for s in standard_map.shapes) < 150_000
    assert not re.search(r"\d\.\d\d", "".join(s.d for s in standard_map.shapes))


def test_tokyo_projects_inside_tokyos_shape(standard_map: JapanMap) -> None:
    tokyo = prefecture("13")
    point = standard_map.project(tokyo.capital_lon, tokyo.capital_lat)
    shapes = {s.code: s for s in standard_map.shapes}
    assert inside(point, bbox(shapes["13"].d))
    assert not inside(point, bbox(shapes["01"].d))


def test_labels_sit_in_their_shapes(standard_map: JapanMap) -> None:
    for shape in standard_map.shapes:
        assert inside((shape.label_x, shape.label_y), bbox(shape.d)), shape.code


def test_okinawa_is_drawn_in_the_inset_and_nothing_else_is(standard_map: JapanMap) -> None:
    x, y, w, h = standard_map.inset
    frame = (x, y, x + w, y + h)
    for shape in standard_map.shapes:
        in_frame = [inside(p, frame) for p in points(shape.d)]
        assert all(in_frame) if shape.code == "47" else not any(in_frame), shape.code
    naha = municipality("47201")
    assert inside(standard_map.project(naha.lon, naha.lat), frame)
    yoron = (128.42, 27.04)  # Kagoshima's southernmost island stays on the main map
    assert not inside(standard_map.project(*yoron), frame)


def test_width_scales_the_map() -> None:
    small = japan_map(width=500)
    assert small.width == 500
    assert small.height == pytest.approx(japan_map().height / 2, abs=2)
    x, y = small.project(139.6917, 35.6895)
    big_x, big_y = japan_map().project(139.6917, 35.6895)
    assert (x, y) == pytest.approx((big_x / 2, big_y / 2), abs=1)


def test_finer_tolerance_gives_more_detail() -> None:
    coarse = sum(len(s.d) for s in japan_map(tolerance_km=8.0).shapes)
    fine = sum(len(s.d) for s in japan_map(tolerance_km=1.0).shapes)
    assert fine > coarse


@pytest.mark.parametrize("kwargs, field", [({"width": 0}, "width"), ({"width": 10.5}, "width"),
                                           ({"tolerance_km": -1}, "tolerance_km")])
def test_bad_map_arguments(kwargs: dict, field: str) -> None:
    with pytest.raises(GeoError) as caught:
        japan_map(**kwargs)
    assert caught.value.field == field
