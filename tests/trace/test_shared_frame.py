"""Contacts across the views of one floor plan: cameras whose calibrations name the same
`floor_frame` measure positions in one coordinate system, so a person beside the
patient but seen by the next camera is a contact; a camera of another plan (another
room, behind a wall) is not compared, however close its coordinates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from cctrace.config import get_policy
from cctrace.core.types import Sighting
from cctrace.sim.site import pinhole_calibration
from cctrace.store.camera_import import camera_record
from cctrace.store.home import init_home
from cctrace.store.records import CameraRecord, VideoRecord
from cctrace.store.repository import Store
from cctrace.store.vector_index import FlatFaceIndex
from cctrace.trace.engine import trace_cases
from cctrace.trace.settings import TraceSettings
from cctrace.trace.types import CaseQuery
from tests.trace.helpers import at, face_photo, identity, look, seen_look, sighting, video_of

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC).timestamp()
FACE_P, FACE_C, FACE_D = identity(41), identity(42), identity(43)


def _cameras(hall_frame_2: str | None) -> list[CameraRecord]:
    """view-1 and view-2 split one hall at x = 10 m; view-3 sees the room behind the
    hall's back wall (y > 8 m), its own plan. ``hall_frame_2``: view-2's frame."""
    out = []
    for cid, view, frame in (
        ("view-1", (0.0, 0.0, 10.0, 8.0), "hall"),
        ("view-2", (10.0, 0.0, 20.0, 8.0), hall_frame_2),
        ("view-3", (0.0, 8.0, 10.0, 16.0), "back-room"),
    ):
        (x, y), calibration = pinhole_calibration(view, floor_frame=frame)
        out.append(camera_record(cid, cid, site="Mall", x_m=x, y_m=y, calibration=calibration))
    return out


def _world(root: Path, hall_frame_2: str | None) -> Path:
    """P stands at (9.5, 4) in view-1 for 20 minutes, face visible; C at (10.5, 4) in
    view-2, 1 m away across the views' boundary; D at (9.5, 9) in view-3, 5 m away in
    the site's numbers but in the back room; E at (9.5, 4.9) in view-1 itself."""
    home = init_home(root, env={}).home
    people: list[Sighting] = []
    for n, (sid, cam, xy, face, seed) in enumerate(
        [
            ("p", "view-1", at(9.5, 4.0), FACE_P, 1),
            ("c", "view-2", at(10.5, 4.0), FACE_C, 2),
            ("d", "view-3", at(9.5, 5.0 + 4.0), FACE_D, 3),
            ("e", "view-1", at(9.5, 4.9), identity(44), 4),
        ],
        start=1,
    ):
        people.append(
            sighting(
                sid,
                cam,
                T0,
                T0 + 1200,
                xy,
                track_id=n,
                face=face_photo(face, 100 + seed),
                appearance=seen_look(look(50 + seed), seed),
                mask_ratio=0.0,
            )
        )
    with Store.open(home) as store:
        store.add_cameras(_cameras(hall_frame_2))
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        for cam in ("view-1", "view-2", "view-3"):
            mine = [s for s in people if s.camera_id == cam]
            vid = video_of(cam)
            store.begin_video(
                VideoRecord(
                    vid,
                    cam,
                    f"/f/{cam}.mp4",
                    datetime.fromtimestamp(T0, UTC),
                    1300.0,
                    25.0,
                    1920,
                    1080,
                )
            )
            store.commit_checkpoint(vid, mine, 1300.0, len(mine), 0)
            store.finish_video(vid)
        faces = [(s.sighting_id, s.face_embedding) for s in people if s.face_embedding is not None]
        index.add("2024-03-05", [i for i, _ in faces], np.stack([f for _, f in faces]))
    return root


def _contacts(root: Path, settings: TraceSettings | None = None) -> dict[str, float]:
    """Each contact's sightings (joined) and exposure, for P's case under kdca-2022."""
    home = init_home(root, env={}).home
    query = CaseQuery("case-p", face_photo(FACE_P, 7)[None], T0 - 60, T0 + 1800, None)
    with Store.open(home) as store:
        index = FlatFaceIndex(home.faces_index_dir, store.cipher)
        (result,) = trace_cases(store, index, [query], get_policy("kdca-2022"), settings)
    assert [s.camera_id for s in result.route] == ["view-1"]
    for c in result.contacts:
        assert all(e.camera_id == "view-1" for e in c.encounters)  # where the patient was
    return {",".join(c.sighting_ids): c.exposure_s for c in result.contacts}


def test_a_contact_in_the_next_view_of_one_plan_is_measured(tmp_path: Path) -> None:
    got = _contacts(_world(tmp_path / "home", "hall"))
    assert set(got) == {"c", "e"}  # not d: the back room is another plan
    assert got["c"] == pytest.approx(1200, abs=2)  # 1 m apart the whole 20 minutes
    assert got["e"] == pytest.approx(1200, abs=2)
    # A radius of 5 m leaves view-2's camera (10 m away) out: only E is left.
    assert set(_contacts(tmp_path / "home", TraceSettings(shared_frame_radius_m=5.0))) == {"e"}


@pytest.mark.parametrize("frame", [None, "hall-east"])
def test_views_of_different_or_unnamed_plans_are_not_compared(
    tmp_path: Path, frame: str | None
) -> None:
    assert set(_contacts(_world(tmp_path / "home", frame))) == {"e"}
