"""The site map: true aspect ratio, round scale bar, every camera placed or listed."""

from __future__ import annotations

import math

import pytest

from cctrace.report.plane import project_equirectangular, to_plane
from cctrace.report.sitemap import fit_viewport, nice_length_m, site_map
from cctrace.store.records import CameraRecord
from tests.report.svg import read_map


def site_cameras(points: list[tuple[float, float]], site: str = "S") -> list[CameraRecord]:
    return [
        CameraRecord(f"c{i}", f"camera {i}", site, x_m=x, y_m=y) for i, (x, y) in enumerate(points)
    ]


@pytest.mark.parametrize(
    ("target_m", "expected_m"),
    [
        (1.0, 1.0),
        (3.0, 2.0),
        (7.0, 5.0),
        (10.0, 10.0),
        (19.9, 10.0),
        (20.0, 20.0),
        (0.37, 0.2),
        (4999.0, 2000.0),
        (73_000.0, 50_000.0),
    ],
)
def test_scale_bar_length_is_round(target_m: float, expected_m: float) -> None:
    assert nice_length_m(target_m) == pytest.approx(expected_m)


@pytest.mark.parametrize("bad", [0.0, -3.0, math.nan, math.inf])
def test_scale_bar_refuses_nonsense(bad: float) -> None:
    with pytest.raises(ValueError, match="positive length"):
        nice_length_m(bad)


@pytest.mark.parametrize(
    "points",
    [
        [(0, 0), (100, 50)],
        [(0, 0), (20, 200), (5, 60)],
        [(-30, 40), (0, 0), (30, 0)],
        [(0, 0), (900, 40), (450, 10), (300, 35)],
        [(1000, 1000), (1120, 1090)],
    ],
)
def test_map_keeps_the_true_aspect_ratio(points: list[tuple[float, float]]) -> None:
    drawing = read_map(site_map(to_plane(site_cameras(points)), []).svg)
    dx_m = max(p[0] for p in points) - min(p[0] for p in points)
    dy_m = max(p[1] for p in points) - min(p[1] for p in points)
    dx_px, dy_px = drawing.extent()
    assert dx_px / dy_px == pytest.approx(dx_m / dy_m, rel=0.01)
    long_px = max(drawing.width_px, drawing.height_px)
    assert max(dx_px, dy_px) > 0.5 * long_px, "the cameras fill the drawing"
    assert drawing.width_px <= 640 and drawing.height_px <= 360


@pytest.mark.parametrize("points", [[(-3, 4), (0, 0), (3, 0)], [(1000, 1000), (1012, 1009)]])
def test_small_sites_keep_their_aspect_in_the_minimum_span(
    points: list[tuple[float, float]],
) -> None:
    drawing = read_map(site_map(to_plane(site_cameras(points)), []).svg)
    dx_m = max(p[0] for p in points) - min(p[0] for p in points)
    dy_m = max(p[1] for p in points) - min(p[1] for p in points)
    dx_px, dy_px = drawing.extent()
    assert dx_px / dy_px == pytest.approx(dx_m / dy_m, rel=0.01)


@pytest.mark.parametrize(
    ("extent_m", "bar_m"),
    [(36.0, 10.0), (400.0, 100.0), (3000.0, 500.0), (8000.0, 2000.0), (0.0, 5.0)],
)
def test_scale_bar_on_the_map(extent_m: float, bar_m: float) -> None:
    drawn = site_map(to_plane(site_cameras([(0, 0), (extent_m, extent_m / 2)])), [])
    assert drawn.scale_bar_m == bar_m
    label = f"{bar_m / 1000:g} km" if bar_m >= 1000 else f"{bar_m:g} m"
    assert f">{label}</text>" in drawn.svg


def test_no_camera_no_map() -> None:
    drawn = site_map(to_plane([], ["cam-X"]), ["cam-X"])
    assert drawn.svg == ""
    assert [(n.camera_id, n.reason) for n in drawn.not_placed] == [
        ("cam-X", "not in the camera list")
    ]


def test_one_camera_draws_in_a_minimum_span() -> None:
    drawn = site_map(to_plane(site_cameras([(12.0, 7.0)])), ["c0"])
    drawing = read_map(drawn.svg)
    (x, y) = drawing.cameras["c0"]
    assert 0.3 * drawing.width_px < x < 0.7 * drawing.width_px
    assert 0.3 * drawing.height_px < y < 0.7 * drawing.height_px
    assert drawing.height_px > 200, "one camera still gets a readable map"
    assert "c0 · stop 1" in drawn.svg
    assert drawn.scale_bar_m == 5.0


@pytest.mark.parametrize(
    ("points", "along"),
    [
        ([(0, 0), (50, 0), (120, 0)], "x"),
        ([(3, 0), (3, 80), (3, 30)], "y"),
        ([(0, 0), (40, 40), (100, 100)], "xy"),
    ],
)
def test_cameras_on_one_line(points: list[tuple[float, float]], along: str) -> None:
    cameras = site_cameras(points)
    drawn = site_map(to_plane(cameras), [c.camera_id for c in cameras])
    drawing = read_map(drawn.svg)
    dx_px, dy_px = drawing.extent()
    if along == "x":
        assert dy_px == pytest.approx(0, abs=0.01)
        assert dx_px > 0.5 * drawing.width_px
    elif along == "y":
        assert dx_px == pytest.approx(0, abs=0.01)
        assert dy_px > 0.5 * drawing.height_px
    else:
        assert dx_px == pytest.approx(dy_px, rel=0.01)
    # The short axis keeps a floor, so the line is not drawn on a sliver.
    assert min(drawing.width_px, drawing.height_px) > 0.25 * max(
        drawing.width_px, drawing.height_px
    )
    assert drawn.unlabelled == ()


def test_route_is_numbered_arrows_and_stays_collapse_into_stops() -> None:
    cameras = site_cameras([(0, 0), (30, 0), (15, 20)])
    route = ["c0", "c0", "c1", "c2", "c1"]
    drawn = site_map(to_plane(cameras, route), route)
    assert drawn.svg.count('marker-end="url(#map-arrow)"') == 3
    for number in (2, 3, 4):
        assert f'font-weight="bold">{number}</text>' in drawn.svg
    assert "c0 · stop 1<" in drawn.svg
    assert "c1 · stops 2, 4<" in drawn.svg
    assert "c2 · stop 3<" in drawn.svg


def test_site_plan_note_and_geo_north_arrow() -> None:
    site = site_map(to_plane(site_cameras([(0, 0), (10, 5)], "Depot")), [])
    assert "Site plan metres, site Depot" in site.note
    geo_cameras = [
        CameraRecord("g0", "g0", lat=52.5200, lon=13.4050),
        CameraRecord("g1", "g1", lat=52.5210, lon=13.4080),
    ]
    geo = site_map(to_plane(geo_cameras), [])
    assert "North up" in geo.note
    assert ">N</text>" in geo.svg


@pytest.mark.parametrize(
    ("lat0", "dlat", "dlon", "east_m", "north_m"),
    [
        (0.0, 0.001, 0.0, 0.0, 111.19),
        (0.0, 0.0, 0.001, 111.19, 0.0),
        (60.0, 0.0, 0.002, 111.19, 0.0),
        (37.5665, 0.0009, 0.0011, 97.05, 100.08),
    ],
)
def test_local_projection_in_metres(
    lat0: float, dlat: float, dlon: float, east_m: float, north_m: float
) -> None:
    east, north = project_equirectangular([lat0, lat0 + dlat], [127.0, 127.0 + dlon])
    assert east[1] - east[0] == pytest.approx(east_m, rel=0.01, abs=0.01)
    assert north[1] - north[0] == pytest.approx(north_m, rel=0.01, abs=0.01)
    assert sum(east) == pytest.approx(0, abs=1e-6), "centred on the cameras' mean"


def test_geo_map_aspect_is_metres_not_degrees() -> None:
    # 0.002° of longitude at 60° north is as long as 0.001° of latitude: a square.
    cameras = [
        CameraRecord("g0", "g0", lat=60.0, lon=10.0),
        CameraRecord("g1", "g1", lat=60.001, lon=10.002),
    ]
    dx_px, dy_px = read_map(site_map(to_plane(cameras), []).svg).extent()
    assert dx_px / dy_px == pytest.approx(1.0, rel=0.02)


def test_mixed_frames_draw_the_larger_group_and_say_why() -> None:
    cameras = [
        CameraRecord("g0", "g0", lat=52.52, lon=13.40),
        CameraRecord("g1", "g1", lat=52.521, lon=13.401),
        CameraRecord("g2", "g2", lat=52.522, lon=13.403),
        CameraRecord("s0", "s0", "Hall", x_m=1.0, y_m=2.0),
        CameraRecord("s1", "s1", "Annex", x_m=4.0, y_m=2.0),
        CameraRecord("n0", "n0", "Hall"),
    ]
    plane = to_plane(cameras)
    assert plane.frame == "geo"
    assert {p.camera_id for p in plane.points} == {"g0", "g1", "g2"}
    reasons = {n.camera_id: n.reason for n in plane.not_placed}
    assert reasons["s0"] == (
        "positioned in site-plan metres of site Hall; the map is drawn in latitude/longitude"
    )
    assert "site Annex" in reasons["s1"]
    assert reasons["n0"] == "no position recorded"


def test_route_decides_between_frames() -> None:
    cameras = [
        CameraRecord("g0", "g0", lat=52.52, lon=13.40),
        CameraRecord("g1", "g1", lat=52.521, lon=13.401),
        CameraRecord("g2", "g2", lat=52.522, lon=13.403),
        CameraRecord("s0", "s0", "Hall", x_m=1.0, y_m=2.0),
        CameraRecord("s1", "s1", "Hall", x_m=4.0, y_m=2.0),
    ]
    plane = to_plane(cameras, ["s0", "s1", "s0"])
    assert (plane.frame, plane.site) == ("site", "Hall")
    assert {n.camera_id for n in plane.not_placed} == {"g0", "g1", "g2"}
    assert "latitude/longitude" in plane.not_placed[0].reason


def test_site_plans_of_two_sites_are_not_mixed() -> None:
    south = CameraRecord("x0", "x0", "South", x_m=0.0, y_m=0.0)
    cameras = [*site_cameras([(0, 0), (10, 0)], "North"), south]
    plane = to_plane(cameras)
    assert plane.site == "North"
    assert [n.camera_id for n in plane.not_placed] == ["x0"]


def test_viewport_scale_is_the_same_on_both_axes() -> None:
    vp = fit_viewport([0.0, 80.0], [0.0, 20.0])
    (x0, y0), (x1, y1) = vp.px(0.0, 0.0), vp.px(80.0, 20.0)
    assert (x1 - x0) / (y0 - y1) == pytest.approx(4.0)
    assert y1 < y0, "y grows upwards on the map"


def test_crowded_cameras_off_the_route_may_go_unlabelled() -> None:
    # 60 cameras in a 3 m square: the route's labels are kept, the rest as room allows.
    points = [(i % 8 * 0.4, i // 8 * 0.4) for i in range(60)]
    cameras = site_cameras(points)
    drawn = site_map(to_plane(cameras, ["c0", "c59"]), ["c0", "c59"])
    assert "c0 · stop 1<" in drawn.svg and "c59 · stop 2<" in drawn.svg
    assert len(read_map(drawn.svg).cameras) == 60
    assert drawn.unlabelled
    assert "c0" not in drawn.unlabelled and "c59" not in drawn.unlabelled
