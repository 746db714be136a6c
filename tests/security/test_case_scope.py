"""Searches never leave their case's window and region: `cctrace trace` is made to try.

The patient is seen inside the case's window and region, and also before it, after it and
at a camera of another site, each time beside another person. `tests/trace/test_engine.py`
checks the engine; this checks the whole path a user takes (CLI, case record, store, face
index). A control case without those limits finds the outside sightings, so the scoped
result is empty of them because of the scope, not because nothing could be found.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest

from cctrace.core.types import Sighting
from cctrace.store.camera_import import camera_record
from cctrace.store.home import Home
from cctrace.store.records import CaseRecord, CaseReference, VideoRecord
from cctrace.store.repository import Store, utc_day
from cctrace.store.vector_index import FlatFaceIndex
from cctrace.trace.cases import region_cameras
from tests.cases import approve
from tests.security.conftest import SecEnv, make_env
from tests.trace.helpers import at, face_photo, identity, look, seen_look, sighting, video_of

pytestmark = pytest.mark.security

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp()
HOUR = 3600.0
PATIENT, NEIGHBOUR = identity(101), identity(202)
WINDOW = (T0, T0 + HOUR)
# (label, camera, start offset from T0): every time the patient (and a neighbour) is seen
VISITS = [
    ("inside", "cam-a", 600.0),
    ("before", "cam-a", -2 * HOUR),
    ("after", "cam-a", 2 * HOUR),
    ("other site", "cam-out", 1200.0),
]


def _scene() -> list[Sighting]:
    out = []
    for i, (_, cam, dt) in enumerate(VISITS):
        t = T0 + dt
        out.append(
            sighting(
                f"p-{i}",
                cam,
                t,
                t + 300,
                at(2.0, 2.0),
                face=face_photo(PATIENT, i),
                appearance=seen_look(look(1), i),
                track_id=2 * i,
            )
        )
        out.append(
            sighting(
                f"n-{i}",
                cam,
                t,
                t + 300,
                at(2.6, 2.0),
                face=face_photo(NEIGHBOUR, i),
                appearance=seen_look(look(2), i),
                track_id=2 * i + 1,
            )
        )
    return out


def _case(case_id: str, owner_id: str, window: tuple[float, float], **region: object) -> CaseRecord:
    return CaseRecord(
        case_id=case_id,
        owner_id=owner_id,
        label="",
        consent_given_by="the patient",
        consent_date=datetime(2026, 11, 20, tzinfo=UTC),
        consent_sha256="c" * 64,
        t_from_s=window[0],
        t_to_s=window[1],
        site=region.get("site"),  # type: ignore[arg-type]
        camera_ids=region.get("cameras"),  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def sec(tmp_path_factory: pytest.TempPathFactory) -> SecEnv:
    env = make_env(tmp_path_factory.mktemp("scope"))
    scene = _scene()
    home = Home.at(env.home, env={})
    with Store.open(home) as store:
        store.add_cameras(
            [
                camera_record("cam-a", "Waiting room", site="clinic", x_m=0.0, y_m=0.0),
                camera_record("cam-b", "Pharmacy", site="clinic", x_m=30.0, y_m=0.0),
                camera_record("cam-out", "Station hall", site="station", x_m=900.0, y_m=0.0),
            ]
        )
        for cam in ("cam-a", "cam-out"):
            mine = [s for s in scene if s.camera_id == cam]
            vid = video_of(cam)
            start = min(s.t_start_s for s in mine)
            store.begin_video(
                VideoRecord(
                    vid,
                    cam,
                    f"/footage/{cam}.mp4",
                    datetime.fromtimestamp(start, UTC),
                    6 * HOUR,
                    25.0,
                    1920,
                    1080,
                )
            )
            store.commit_checkpoint(vid, mine, 6 * HOUR, len(mine), 0)
            store.finish_video(vid)
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        for day in sorted({utc_day(s.t_start_s) for s in scene}):
            faces = [s for s in scene if utc_day(s.t_start_s) == day]
            index.add(
                day,
                [s.sighting_id for s in faces],
                np.stack([s.face_embedding for s in faces if s.face_embedding is not None]),
            )
        owner = store.authenticate(env.token_of("investigator")).user_id
        ref = [CaseReference("a" * 64, 0.9, face_photo(PATIENT, 99))]
        wide = (T0 - 3 * HOUR, T0 + 3 * HOUR)
        # as `case open --site clinic` records it: the site's cameras at opening time
        site = region_cameras(store, "clinic", None)
        store.create_case(
            _case("case-0000000scope", owner, WINDOW, site="clinic", cameras=site), ref
        )
        store.create_case(_case("case-00000cameras", owner, WINDOW, cameras=("cam-a",)), ref)
        store.create_case(_case("case-0000000after", owner, (T0 + 7000, T0 + 7600)), ref)
        store.create_case(_case("case-000000000all", owner, wide), ref)
        for case_id in ("case-0000000scope", "case-00000cameras", "case-0000000after"):
            approve(store, case_id)
        approve(store, "case-000000000all")
    return env


def _trace(sec: SecEnv, case_id: str) -> dict[str, list[dict[str, object]]]:
    r = sec.run("trace", case_id, "--json", token=sec.token_of("investigator"))
    assert r.exit_code == 0, r.stderr
    out: dict[str, list[dict[str, object]]] = json.loads(r.stdout)
    return out


def _spans(trace: dict[str, list[dict[str, object]]]) -> list[tuple[str, float, float]]:
    """(camera, start, end) of every stay and every encounter with a contact."""
    spans = [(str(s["camera_id"]), str(s["start"]), str(s["end"])) for s in trace["route"]]
    for c in trace["contacts"]:
        encounters = c["encounters"]
        assert isinstance(encounters, list)
        spans += [(e["camera_id"], e["start"], e["end"]) for e in encounters]
    return [
        (cam, datetime.fromisoformat(a).timestamp(), datetime.fromisoformat(b).timestamp())
        for cam, a, b in spans
    ]


def test_the_control_case_finds_the_patient_everywhere(sec: SecEnv) -> None:
    trace = _trace(sec, "case-000000000all")
    cameras = {cam for cam, _, _ in _spans(trace)}
    starts = sorted(t for _, t, _ in _spans(trace))
    assert cameras == {"cam-a", "cam-out"}
    assert starts[0] < WINDOW[0] and starts[-1] > WINDOW[1]
    assert trace["contacts"], "the neighbour is a contact"


@pytest.mark.parametrize(
    ("case_id", "cameras", "window"),
    [
        ("case-0000000scope", {"cam-a", "cam-b"}, WINDOW),  # --site clinic
        ("case-00000cameras", {"cam-a"}, WINDOW),  # --cameras cam-a
        ("case-0000000after", None, (T0 + 7000, T0 + 7600)),  # window alone
    ],
)
def test_a_trace_never_leaves_its_window_and_region(
    sec: SecEnv, case_id: str, cameras: set[str] | None, window: tuple[float, float]
) -> None:
    trace = _trace(sec, case_id)
    spans = _spans(trace)
    assert trace["route"], "the patient is inside the scope once"
    # How strict the face search was is part of the answer (a small index: the setting).
    doc: dict[str, object] = dict(trace)
    assert doc["face_threshold"] == 0.45
    assert isinstance(doc["faces_searched"], int) and doc["faces_searched"] > 0
    for cam, start, end in spans:
        assert cameras is None or cam in cameras
        assert window[0] <= start <= end <= window[1]
