"""A synthetic city with ground truth: places, calibrated cameras, people and their sightings.

`simulate(config)` is pure (no I/O): one seeded numpy Generator drives everything, so the
same `SimConfig` always gives the same world. What it makes:

- **Site map.** ``ceil(cameras / 2)`` places (clinic, cafe, shop, station, office, ...)
  on a grid ``PLACE_SPACING_M`` apart in site metres. A place is a room
  ``CAMERA_VIEW_W_M`` wide per camera and ``PLACE_DEPTH_M`` deep; its cameras split it
  into side-by-side floor rectangles (every spot of a place is seen by exactly one camera).
  Each camera is a pinhole 4 m up, 4 m behind its rectangle, tilted 30 degrees down, and
  its calibration is fitted with `fit_calibration` from six projected floor points.
- **People.** Each has a walking speed around 1.4 m/s, a schedule of visits (dwell minutes
  to hours, off camera between places for at least the walk between doors), and inside a
  place walks between random spots. Some pairs meet: they stand 0.5 to 1.5 m apart at one
  place for 5 to 40 minutes. Some people wear a mask all day.
- **Observation.** Positions are sampled on a global ``path_hz`` grid; each camera sees
  who stands in its rectangle. Noise (all scaled by ``SimConfig.noise``, see
  `NoiseModel`): floor jitter, independent missed detections, occlusions, track breaks
  (identity switches) and a split at every 5-minute ingestion checkpoint, tracks shorter than three
  detections dropped; faces visible in only part of the sightings; face embeddings
  drawn around per-person centres with the spread SFace shows on real photos (genuine
  cosine 0.66 to 0.81, impostor mean 0.12), worse when masked; appearance vectors
  (1280 CNN + 40 colour, both non-negative and unit length) around per-person centres.
- **Truth** (kept aside, never in a `Sighting`): each person's presences per camera,
  which person every sighting shows, meetings, and for chosen patients the exposure to
  every other person under each policy, from the true positions and mask states.

Times are UTC epoch seconds; positions site metres. The parts live beside this module:
`world` (records and sizes), `site`, `movement`, `observation` and `truth`.
"""

from __future__ import annotations

import numpy as np

from cctrace.config import POLICIES
from cctrace.core.types import Sighting
from cctrace.sim.movement import arrange_meetings, camera_runs, schedule_visits, walk_trajectory
from cctrace.sim.observation import (
    appearance_centres,
    face_photos,
    hour_videos,
    make_sighting,
    observe_presence,
    unit,
)
from cctrace.sim.site import build_site
from cctrace.sim.truth import pick_patients, true_contacts
from cctrace.sim.world import (
    FACE_COMMON,
    FACE_DIM,
    VIDEO_S,
    WALK_SPEED_M_S,
    Presence,
    SimConfig,
    SimPatient,
    SimTruth,
    SimWorld,
    video_hours,
)


def simulate(config: SimConfig) -> SimWorld:
    """The whole synthetic city for ``config``; deterministic in ``config.seed``."""
    rng = np.random.default_rng(config.seed)
    places, cameras = build_site(config.cameras, config.seed)
    n = config.people
    speed = np.clip(rng.normal(WALK_SPEED_M_S, 0.1, n), 1.1, 1.7)
    masked = rng.random(n) < config.masked_fraction
    visits = [schedule_visits(rng, i, places, float(speed[i]), config) for i in range(n)]
    meetings, pins = arrange_meetings(rng, visits, places, speed, config)
    tracks = [
        walk_trajectory(rng, visits[i], pins.get(i, []), places, float(speed[i]), config)
        for i in range(n)
    ]
    face_common = unit(rng.normal(size=FACE_DIM))
    face_centres = unit(FACE_COMMON * face_common + unit(rng.normal(size=(n, FACE_DIM))))
    cnn_centres, colour_centres = appearance_centres(rng, n)
    videos = hour_videos(cameras, config)
    cam_index = {c.camera_id: i for i, c in enumerate(cameras)}
    presences: list[Presence] = []
    sightings: list[Sighting] = []
    sighting_person: dict[str, int] = {}
    next_track = {v.video_id: 0 for v in videos}
    noise = config.noise_model
    for person, track in enumerate(tracks):
        for cam, k0, k1 in camera_runs(track, places):
            camera = cameras[cam]
            t0 = config.start_utc_s + k0 / config.path_hz
            t1 = config.start_utc_s + k1 / config.path_hz
            presences.append(Presence(person, camera.camera_id, t0, t1))
            sel = (track.k >= k0) & (track.k <= k1)
            for piece_t, piece_xy in observe_presence(
                rng, track.k[sel], track.xy[sel], noise, config
            ):
                hour = int((piece_t[0] - config.start_utc_s) // VIDEO_S)
                video = videos[cam_index[camera.camera_id] * video_hours(config) + hour]
                tid = next_track[video.video_id]
                next_track[video.video_id] = tid + 1
                s = make_sighting(
                    rng,
                    video,
                    tid,
                    piece_t,
                    piece_xy,
                    bool(masked[person]),
                    face_centres[person],
                    cnn_centres[person],
                    colour_centres[person],
                    noise,
                    config,
                )
                sightings.append(s)
                sighting_person[s.sighting_id] = person
    sightings.sort(key=lambda s: (s.t_start_s, s.sighting_id))
    presences.sort(key=lambda p: (p.person, p.t_start_s))
    patient_ids = pick_patients(rng, meetings, tracks, config)
    patients = tuple(
        SimPatient(p, face_photos(rng, face_centres[[p]], noise.face_sigma_scale, False))
        for p in patient_ids
    )
    policies = [POLICIES[name] for name in config.policies]
    contacts = [
        c
        for p in patient_ids
        for c in true_contacts(p, tracks, masked, policies, config.path_hz, config.start_utc_s)
    ]
    truth = SimTruth(
        t_from_s=config.start_utc_s,
        t_to_s=config.t_end_s,
        masked=tuple(bool(m) for m in masked),
        presences=tuple(presences),
        sighting_person=sighting_person,
        visits=tuple(v for vs in visits for v in vs),
        meetings=tuple(meetings),
        patients=patients,
        contacts=tuple(contacts),
    )
    return SimWorld(config, places, cameras, videos, tuple(sightings), truth)
