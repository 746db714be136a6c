"""The scale benchmark's own code, on a city small enough for the default run: it builds,
traces, and scores against the planted truth (the figures themselves come from
`benchmarks/bench_trace_scale.py` at 1 M and 10 M, docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.bench_trace_scale import PATIENTS, Plan, build, face_load, trace


def test_small_scale_city_builds_and_traces_its_planted_patients(tmp_path: Path) -> None:
    home = tmp_path / "scale"
    meta = build(home, Plan(sightings=20_000, days=2, per_camera_day=500, seed=3, appearance="all"))
    assert meta["cameras"] == 20
    # 20,000 background sightings plus 10 patients x 3 stays x 4 pieces, and a companion.
    assert meta["sightings"] == 20_000 + PATIENTS * 3 * 8
    out = trace(home, "kdca-2022")
    rows = out["rows"]
    assert isinstance(rows, dict)
    ten = rows["10 again"]
    assert ten["stays"] >= 25  # 30 planted stays; one with no face in it can be missed
    # Planted faces score 0.6+ against the reference: the route and the companion
    # standing 1 m away for 20 minutes at every stay are found.
    assert ten["route_recall"] >= 0.85
    assert ten["route_precision"] >= 0.9
    assert ten["companions_found"] == 1.0
    assert rows["10 warm"]["route_recall"] == ten["route_recall"]  # repeatable
    # The colour sketch only saves reads: without it (every row read whole) the same
    # stays, contacts and scores come out.
    without = trace(home, "kdca-2022", sketch=False)["rows"]
    assert isinstance(without, dict)
    for label in ("1 warm", "10 again"):
        keys = ("stays", "contacts", "route_recall", "route_precision", "companions_found")
        assert {k: without[label][k] for k in keys} == {k: rows[label][k] for k in keys}
    # The face index loads the same faces one day after another and prefetched.
    one, pre = face_load(home, prefetch=False), face_load(home, prefetch=True)
    assert one["days"] == pre["days"] == 2
    assert one["faces"] == pre["faces"] == meta["faces"]
