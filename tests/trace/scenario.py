"""The scripted morning every store-backed trace test reads.

Times are seconds after T0 = 2024-03-05 09:00 UTC; the case window is [T0, T0 + 1 h] on
cameras cam-a, cam-b and cam-far (cam-out lies outside the case's region).

Patient P (face FACE_P, clothes LOOK_P):
- cam-a 0-1200 s: four 5-minute pieces (ingestion checkpoints) p-a1..p-a4; the face
  shows in p-a1, p-a3, p-a4, not in p-a2 (found along the track). C1 walks beside at
  0.9 m the whole time (two pieces, face visible), C2 at 3 m.
- cam-b (100 m away) 1320-2400 s: masked, face unusable (p-b, found by appearance).
  C1 follows for 300 s at 0.9 m (no face: merged with cam-a's C1 by appearance and
  walking time); C3, masked, stands 1.5 m away for 16 minutes.
- cam-a 3500-3700 s: p-late, face visible; straddles the window's end.
- Never to be returned: p-far (looks like P, cam-far 5 km away 100 s after p-a4),
  p-out (P's face in cam-out, outside the region), p-before (P's face an hour before the
  window), p-yesterday (P's face the day before).
Patient Q (other identity) in cam-b 2500-2700 s with D1 at 1.2 m; patient R the day before.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from cctrace.core.types import Sighting
from cctrace.store.records import CameraRecord
from cctrace.trace.types import CaseQuery
from tests.trace.helpers import at, face_photo, identity, look, seen_look, sighting, unit

T0 = datetime(2024, 3, 5, 9, 0, tzinfo=UTC).timestamp()
DAY_S = 86400.0
REGION = ("cam-a", "cam-b", "cam-far")

FACE_P, FACE_Q, FACE_R = identity(1), identity(2), identity(3)
FACE_C1, FACE_C2 = identity(11), identity(12)
LOOK_P, LOOK_C1, LOOK_C2, LOOK_C3, LOOK_Q, LOOK_D1 = (look(s) for s in range(21, 27))


def _random_face(seed: int) -> np.ndarray:  # type: ignore[type-arg]
    """What a masked face gives SFace: nothing like the person's own embedding."""
    return unit(np.random.default_rng(seed).standard_normal(128))


def scenario() -> list[Sighting]:
    walk = 0.02  # m/s: P, C1 and C2 stroll together along x in cam-a
    p_path, c1_path, c2_path = at(0, 0, walk, T0), at(0, 0.9, walk, T0), at(0, -3.0, walk, T0)
    s = []
    n = 0

    def add(sid: str, cam: str, t0: float, t1: float, xy: object, **kw: object) -> None:
        nonlocal n
        n += 1
        s.append(sighting(sid, cam, T0 + t0, T0 + t1, xy, track_id=n, **kw))  # type: ignore[arg-type]

    unmasked = {"mask_ratio": 0.0}
    for i, (t0, t1, face) in enumerate(
        [(0, 300, True), (301, 600, False), (601, 900, True), (901, 1200, True)], start=1
    ):
        add(
            f"p-a{i}",
            "cam-a",
            t0,
            t1,
            p_path,
            face=face_photo(FACE_P, 100 + i) if face else None,
            appearance=seen_look(LOOK_P, 100 + i),
            **(unmasked if face else {}),
        )
    add(
        "c1-a1",
        "cam-a",
        0,
        600,
        c1_path,
        face=face_photo(FACE_C1, 201),
        appearance=seen_look(LOOK_C1, 201),
        **unmasked,
    )
    add(
        "c1-a2",
        "cam-a",
        601,
        1200,
        c1_path,
        face=face_photo(FACE_C1, 202),
        appearance=seen_look(LOOK_C1, 202),
        **unmasked,
    )
    add(
        "c2-a",
        "cam-a",
        0,
        1200,
        c2_path,
        face=face_photo(FACE_C2, 301),
        appearance=seen_look(LOOK_C2, 301),
        **unmasked,
    )
    add(
        "p-b",
        "cam-b",
        1320,
        2400,
        at(10, 10),
        face=_random_face(401),
        appearance=seen_look(LOOK_P, 401),
        mask_ratio=1.0,
    )
    add("c1-b", "cam-b", 1320, 1620, at(10, 10.9), appearance=seen_look(LOOK_C1, 402))
    add(
        "c3-b",
        "cam-b",
        1320,
        2280,
        at(11.5, 10),
        face=_random_face(403),
        appearance=seen_look(LOOK_C3, 403),
        mask_ratio=1.0,
    )
    add(
        "p-late",
        "cam-a",
        3500,
        3700,
        at(2, 2),
        face=face_photo(FACE_P, 501),
        appearance=seen_look(LOOK_P, 501),
        **unmasked,
    )
    add("p-far", "cam-far", 1300, 1400, at(0, 0), appearance=seen_look(LOOK_P, 601))
    add(
        "p-out",
        "cam-out",
        600,
        700,
        at(0, 0),
        face=face_photo(FACE_P, 602),
        appearance=seen_look(LOOK_P, 602),
        **unmasked,
    )
    add(
        "p-before",
        "cam-a",
        -3600,
        -3300,
        at(0, 0),
        face=face_photo(FACE_P, 603),
        appearance=seen_look(LOOK_P, 603),
        **unmasked,
    )
    add(
        "p-yesterday",
        "cam-a",
        -DAY_S + 200,
        -DAY_S + 300,
        at(0, 0),
        face=face_photo(FACE_P, 604),
        **unmasked,
    )
    add(
        "q-b",
        "cam-b",
        2500,
        2700,
        at(0, 0),
        face=face_photo(FACE_Q, 701),
        appearance=seen_look(LOOK_Q, 701),
        **unmasked,
    )
    add(
        "d1-b",
        "cam-b",
        2500,
        2700,
        at(1.2, 0),
        face=face_photo(identity(13), 702),
        appearance=seen_look(LOOK_D1, 702),
        **unmasked,
    )
    add(
        "r-a",
        "cam-a",
        -DAY_S + 100,
        -DAY_S + 400,
        at(0, 0),
        face=face_photo(FACE_R, 801),
        **unmasked,
    )
    return s


CAMERAS = [
    CameraRecord("cam-a", "Hall", site="Mall", x_m=0.0, y_m=0.0),
    CameraRecord("cam-b", "Food court", site="Mall", x_m=100.0, y_m=0.0),
    CameraRecord("cam-far", "Annex", site="Mall", x_m=5000.0, y_m=0.0),
    CameraRecord("cam-out", "Side door", site="Mall", x_m=50.0, y_m=0.0),
]


def case_p() -> CaseQuery:
    refs = np.stack([face_photo(FACE_P, s) for s in (1, 2, 3)])
    return CaseQuery("case-p", refs, T0, T0 + 3600, REGION)


def case_q() -> CaseQuery:
    return CaseQuery("case-q", face_photo(FACE_Q, 4)[None], T0, T0 + 3600, None)


def case_r() -> CaseQuery:
    return CaseQuery("case-r", face_photo(FACE_R, 5)[None], T0 - DAY_S, T0 - DAY_S + 3600, None)
