"""Metrics against the simulated truth, the store writer's guards, and the whole loop."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cctrace.core.errors import InputError
from cctrace.sim.city import simulate
from cctrace.sim.evaluate import (
    ContactScore,
    EvalReport,
    PredictedContact,
    Span,
    SweepRow,
    TrueExposure,
    contact_score,
    evaluate,
    intervals_overlap_s,
    majority_person,
    route_score,
    sweep_table,
    union_intervals,
)
from cctrace.sim.store_writer import read_truth, truth_path, write_world
from cctrace.sim.world import SimConfig, SimWorld
from cctrace.store.home import Home, init_home
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.repository import Store

SMALL = SimConfig(cameras=4, people=16, hours=1.0, seed=5, patients=4)


@pytest.mark.parametrize(
    ("spans", "union"),
    [
        ([], []),
        ([(0, 1)], [(0, 1)]),
        ([(0, 2), (1, 3)], [(0, 3)]),
        ([(2, 3), (0, 1)], [(0, 1), (2, 3)]),
        ([(0, 1), (1, 2)], [(0, 2)]),
        ([(0, 5), (1, 2)], [(0, 5)]),
        ([(1, 1)], []),
    ],
)
def test_union_intervals(
    spans: list[tuple[float, float]], union: list[tuple[float, float]]
) -> None:
    assert union_intervals(spans) == union


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [
        ([(0, 10)], [(0, 10)], 10),
        ([(0, 10)], [(5, 15)], 5),
        ([(0, 10)], [(10, 20)], 0),
        ([(0, 4), (6, 10)], [(0, 10)], 8),
        ([(0, 10), (2, 8)], [(0, 10)], 10),  # overlapping predictions count once
        ([], [(0, 10)], 0),
    ],
)
def test_intervals_overlap(
    a: list[tuple[float, float]], b: list[tuple[float, float]], overlap: float
) -> None:
    assert intervals_overlap_s(a, b) == pytest.approx(overlap)
    assert intervals_overlap_s(b, a) == pytest.approx(overlap)


TRUE_ROUTE = [Span("c1", 0, 100), Span("c2", 200, 300)]


@pytest.mark.parametrize(
    ("predicted", "recall", "precision"),
    [
        (TRUE_ROUTE, 1.0, 1.0),
        ([Span("c1", 0, 100)], 0.5, 1.0),
        ([Span("c1", 50, 150), Span("c2", 250, 350)], 0.5, 0.5),
        ([Span("c2", 0, 100)], 0.0, 0.0),  # right time, wrong camera
        ([*TRUE_ROUTE, Span("c3", 0, 200)], 1.0, 0.5),
        ([], 0.0, 1.0),
    ],
)
def test_route_score(predicted: list[Span], recall: float, precision: float) -> None:
    score = route_score(predicted, TRUE_ROUTE)
    assert score.recall == pytest.approx(recall)
    assert score.precision == pytest.approx(precision)


TRUTH = [
    TrueExposure(1, True, 1000.0, 0.8),
    TrueExposure(2, True, 1200.0, 1.2),
    TrueExposure(3, False, 300.0, 0.5),
]


def hit(person: int | None, close: bool = True, exposure: float = 1000.0) -> PredictedContact:
    return PredictedContact(person, close, exposure, 1.0)


@pytest.mark.parametrize(
    ("predicted", "recall", "precision"),
    [
        ([hit(1), hit(2)], 1.0, 1.0),
        ([hit(1)], 0.5, 1.0),
        ([hit(1), hit(2), hit(3)], 1.0, 2 / 3),  # 3 is below the policy
        ([hit(1), hit(2), hit(1, exposure=950)], 1.0, 2 / 3),  # one person listed twice
        ([hit(1), hit(2), hit(None)], 1.0, 2 / 3),  # an unknown person
        ([hit(1), hit(2), hit(0)], 1.0, 2 / 3),  # the patient themself
        ([hit(1), hit(2, close=False)], 0.5, 1.0),  # found but not ranked high
        ([], 0.0, 1.0),
    ],
)
def test_contact_score(predicted: list[PredictedContact], recall: float, precision: float) -> None:
    score = contact_score(predicted, TRUTH, patient=0)
    assert score.recall == pytest.approx(recall)
    assert score.precision == pytest.approx(precision)


def test_contact_errors_over_matched_contacts() -> None:
    score = contact_score(
        [PredictedContact(1, True, 900.0, 1.0), PredictedContact(2, True, 1300.0, 1.0)],
        TRUTH,
        patient=0,
    )
    assert score.exposure_error_s == pytest.approx(100.0)
    assert score.distance_error_m == pytest.approx((0.2 + 0.2) / 2)


def test_sweep_table_shows_a_dash_where_no_contact_was_matched() -> None:
    # At high noise nothing is found: no matched contact, so no exposure or distance error.
    nothing = contact_score([], TRUTH, patient=0)
    found = contact_score([PredictedContact(1, True, 900.0, 1.0)], TRUTH, patient=0)
    rows = [
        SweepRow(
            noise,
            (0,),
            EvalReport(
                route=route_score([], []),
                contacts={"kdca-2022": score},
                default_policy="kdca-2022",
                patients=1,
                trace_s=0.0,
            ),
        )
        for noise, score in ((3.0, nothing), (1.0, found))
    ]
    table = sweep_table(rows)
    assert "nan" not in table
    high, low = table.splitlines()[2:]
    assert high.split(" | ")[-3:] == ["–", "–", "2 |"]
    assert low.split(" | ")[-3:] == ["100", "0.20", "2 |"]


@pytest.mark.parametrize(
    ("tp", "fp", "fn", "f1"),
    [(2, 0, 0, 1.0), (1, 1, 1, 0.5), (0, 1, 1, 0.0), (0, 0, 0, 1.0), (3, 1, 0, 6 / 7)],
)
def test_f1(tp: int, fp: int, fn: int, f1: float) -> None:
    assert ContactScore(tp, fp, fn).f1 == pytest.approx(f1)


@pytest.mark.parametrize(
    ("ids", "person"),
    [(["a", "b", "c"], 1), (["a", "c"], 1), (["c"], 2), (["x"], None), ([], None)],
)
def test_majority_person(ids: list[str], person: int | None) -> None:
    assert majority_person(ids, {"a": 1, "b": 1, "c": 2}) == person


# -- the store writer ------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> SimWorld:
    return simulate(SMALL)


@pytest.fixture(scope="module")
def sim_home(world: SimWorld, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "home"
    report = write_world(world, root, env={})
    assert report.created_home and report.admin_token
    assert report.sightings == len(world.sightings)
    return root


def test_world_stored_with_truth_aside(world: SimWorld, sim_home: Path) -> None:
    with Store.open(Home.at(sim_home, env={})) as store:
        stats = store.stats()
        assert stats.sightings == len(world.sightings)
        assert stats.cameras == len(world.cameras)
        assert stats.faces == sum(s.face_embedding is not None for s in world.sightings)
        cam = store.get_camera(world.cameras[0].camera_id)
        assert cam is not None and cam.calibration_json and cam.x_m is not None
    path = truth_path(sim_home)
    assert path.stat().st_mode & 0o077 == 0  # owner only
    config, truth = read_truth(sim_home)
    assert config == world.config
    assert truth.contacts == world.truth.contacts
    assert truth.sighting_person == world.truth.sighting_person
    assert json.loads(path.read_text())["format"] == 1


def test_same_world_twice_changes_nothing(world: SimWorld, sim_home: Path) -> None:
    report = write_world(world, sim_home, env={})
    assert report.already_written
    with Store.open(Home.at(sim_home, env={})) as store:
        assert store.stats().sightings == len(world.sightings)


def test_other_world_refused(sim_home: Path) -> None:
    other = simulate(SimConfig(cameras=2, people=4, hours=0.5, seed=99, patients=1))
    with pytest.raises(InputError, match="already holds a simulated city"):
        write_world(other, sim_home, env={})


def test_home_with_real_footage_refused(world: SimWorld, tmp_path: Path) -> None:
    root = tmp_path / "real"
    init_home(root, env={})
    with Store.open(Home.at(root, env={})) as store:
        store.add_camera(CameraRecord("door", "Front door"))
        store.begin_video(
            VideoRecord(
                video_id="ab" * 32,
                camera_id="door",
                path="/footage/door.mp4",
                start_utc=datetime(2024, 3, 5, 9, tzinfo=UTC),
                duration_s=60.0,
                fps=25.0,
                width=1920,
                height=1080,
            )
        )
    with pytest.raises(InputError, match="real footage"):
        write_world(world, root, env={})
    assert not truth_path(root).exists()


def test_evaluate_without_sim_says_so(tmp_path: Path) -> None:
    init_home(tmp_path / "h", env={})
    with pytest.raises(InputError, match="cctrace sim"):
        evaluate(tmp_path / "h", env={})


# -- the whole loop through the trace engine -------------------------------------------


@pytest.fixture(scope="module")
def report(sim_home: Path) -> EvalReport:
    return evaluate(sim_home, env={})


def test_evaluate_reports_documented_shape(report: EvalReport) -> None:
    doc = report.to_json()
    assert set(doc) == {"route", "contacts", "exposure_error_s", "distance_error_m"}
    contacts = doc["contacts"]
    assert isinstance(contacts, dict)
    assert set(contacts) == {"kdca-2022", "cdc-2020", "who-2020"}
    json.dumps(doc)  # plain JSON
    assert report.patients == SMALL.patients


def test_trace_finds_most_of_the_route(report: EvalReport) -> None:
    # Floors well under the targets: they catch a broken loop, not a weak engine.
    assert report.route.recall >= 0.85
    assert report.route.precision >= 0.6


def test_route_recall_target_at_default_noise(report: EvalReport) -> None:
    # The target. Measured 0.992-1.000 on this small city over seeds 0-3 and 5,
    # 0.998 over seeds 0-4 of the default city with 10 patients each (docs/benchmarks.md).
    assert report.route.recall >= 0.98


MID = SimConfig(cameras=6, people=24, hours=1.5, seed=1, patients=8)
"""Large enough for close contacts (7 under kdca-2022 in this one), small enough for a
test (about 15 s)."""


@pytest.fixture(scope="module")
def mid_report(tmp_path_factory: pytest.TempPathFactory) -> EvalReport:
    root = tmp_path_factory.mktemp("sim-mid") / "home"
    write_world(simulate(MID), root, env={})
    return evaluate(root, env={})


def test_contacts_and_exposure_at_default_noise(mid_report: EvalReport) -> None:
    # Floors under what was measured over 200 patients (seeds 0-19 of the default city):
    # route recall 0.993-0.995, kdca-2022 F1 0.966, exposure error 4-13 s. The contact target
    # (F1 0.95) is not met on every small city: see the xfail below and docs/benchmarks.md.
    assert mid_report.route.recall >= 0.98
    kdca = mid_report.contacts["kdca-2022"]
    assert kdca.true_positives + kdca.false_negatives >= 5  # the city has contacts to find
    assert kdca.f1 >= 0.9
    assert math.isfinite(mid_report.exposure_error_s) and mid_report.exposure_error_s < 60


@pytest.mark.xfail(
    reason="F1 0.95 is met over 200 simulated patients (kdca 0.966, cdc 0.962, who 0.974), "
    "not on every small city: this one's 8 patients hold two pairs standing 1-2 cm from "
    "a policy's distance (0.985 m for who's 1 m, 1.843 m for cdc's 1.83 m), which a "
    "measurement scattering by about 5 cm reads either way (docs/benchmarks.md)",
    strict=False,
)
def test_contact_f1_target_at_default_noise(mid_report: EvalReport) -> None:
    for policy in ("kdca-2022", "cdc-2020", "who-2020"):
        assert mid_report.contacts[policy].f1 >= 0.95, policy
