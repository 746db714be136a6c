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

Times are UTC epoch seconds; positions site metres.
"""

from __future__ import annotations

import hashlib
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cctrace.config import POLICIES, Policy
from cctrace.core.types import Sighting
from cctrace.geometry.calibration import Calibration, fit_calibration

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

FACE_DIM = 128
CNN_DIM = 1280  # cctrace.vision.appearance.CNN_DIM (not imported: it loads ONNX Runtime)
COLOUR_BINS_PER_HALF = 20
APPEARANCE_DIM = CNN_DIM + 2 * COLOUR_BINS_PER_HALF

DEFAULT_START_UTC_S = 1709625600.0 + 8 * 3600  # 2024-03-05 08:00 UTC, a Tuesday
PLACE_KINDS = ("clinic", "cafe", "shop", "station", "office", "library", "gym", "market")
PLACE_SPACING_M = 120.0
CAMERA_VIEW_W_M = 10.0
PLACE_DEPTH_M = 8.0
SPOT_MARGIN_M = 0.5
WALK_SPEED_M_S = 1.4
IMAGE_SIZE_PX = (1920, 1080)
SIM_VIDEO_PREFIX = "sim-"
"""Every simulated video id starts with this (and its path with ``sim://``): the store
writer refuses a data folder holding any other video, i.e. real footage."""
SIM_PATH_SCHEME = "sim://"
VIDEO_S = 3600.0
CHECKPOINT_S = 300.0
"""Ingestion commits every 5 minutes of video and ends every open track there
(`cctrace.ingest.frame_loop`), so no sighting crosses a multiple of this."""

# SFace on real photos (measured here): genuine-pair cosine 0.66-0.81 (mean 0.73),
# impostor mean 0.12. With e = normalise(c + sigma * n), |n| ~ 1, two photos of one
# person have cosine ~ 1 / (1 + sigma^2): 0.73 -> sigma 0.61; 0.66..0.81 -> 0.48..0.72.
FACE_SIGMA_RANGE = (0.48, 0.72)
# Centres share a common direction g: c = normalise(FACE_COMMON * g + n); two centres
# then have cosine ~ a^2 / (1 + a^2) = 0.164, two photos 0.164 / 1.37 = 0.12.
FACE_COMMON = 0.443
MASKED_FACE_SIGMA_FACTOR = 1.3
"""Assumption (no masked-photo measurement yet): a masked face's embedding noise is 30%
larger, i.e. genuine cosine about 0.62 instead of 0.73."""


@dataclass(frozen=True)
class SimConfig:
    """What to simulate. ``noise`` scales every observation error (0: perfect sensors,
    1: the default, as measured on real footage where measured, 2: twice as bad)."""

    cameras: int = 12
    people: int = 60
    hours: float = 2.0
    seed: int = 0
    noise: float = 1.0
    patients: int = 5
    start_utc_s: float = DEFAULT_START_UTC_S
    path_hz: float = 4.0
    meeting_fraction: float = 0.5
    """Fraction of people who meet another person once (pairs: half as many meetings)."""
    masked_fraction: float = 0.3
    face_visible_fraction: float = 0.6
    """Fraction of sightings in which the face is seen at least once."""
    policies: tuple[str, ...] = tuple(POLICIES)

    def __post_init__(self) -> None:
        if self.cameras < 1 or self.people < 2 or self.hours <= 0:
            raise ValueError("a city needs at least 1 camera, 2 people and some hours")
        if not self.noise >= 0:
            raise ValueError(f"noise must be >= 0, got {self.noise}")
        if not 1 <= self.patients <= self.people:
            raise ValueError(f"patients must be between 1 and people ({self.people})")
        if self.path_hz <= 0:
            raise ValueError("path_hz must be positive")

    @property
    def noise_model(self) -> NoiseModel:
        return NoiseModel.at(self.noise)

    @property
    def t_end_s(self) -> float:
        return self.start_utc_s + self.hours * 3600.0


@dataclass(frozen=True)
class NoiseModel:
    """Observation errors at one noise level (see `at` for the default values)."""

    position_jitter_m: float
    """Std of the floor position error per axis, per detection."""
    track_bias_m: float
    """Std of a per-sighting constant floor offset (calibration and box-bottom error)."""
    miss_rate: float
    """Probability that a single detection is missed."""
    occlusions_per_min: float
    occlusion_s: tuple[float, float]
    max_gap_s: float
    """A detection gap longer than this ends the track (the tracker gave up)."""
    breaks_per_min: float
    """Identity switches per minute of presence: the track ends and a new one starts."""
    face_sigma_scale: float
    """Multiplies `FACE_SIGMA_RANGE`."""
    mask_flip_rate: float
    """Probability that the mask classifier is wrong on one face."""
    appearance_sigma: float
    colour_mix: float

    @classmethod
    def at(cls, noise: float) -> NoiseModel:
        n = float(noise)
        return cls(
            position_jitter_m=0.10 * n,
            track_bias_m=0.08 * n,
            miss_rate=min(0.9, 0.05 * n),
            occlusions_per_min=0.3 * n,
            occlusion_s=(1.0, 8.0),
            max_gap_s=2.0,
            breaks_per_min=0.05 * n,
            face_sigma_scale=n,
            mask_flip_rate=min(0.5, 0.04 * n),
            appearance_sigma=0.6 * n,
            colour_mix=min(0.9, 0.15 * n),
        )


@dataclass(frozen=True)
class Place:
    """A room: floor rectangle ``[x0, x0 + width_m] x [y0, y0 + depth_m]``, door on its
    left wall; ``camera_ids`` from left to right, each seeing one `CAMERA_VIEW_W_M` strip."""

    name: str
    kind: str
    x0_m: float
    y0_m: float
    width_m: float
    depth_m: float
    camera_ids: tuple[str, ...]

    @property
    def door_xy_m(self) -> tuple[float, float]:
        return (self.x0_m, self.y0_m + self.depth_m / 2)


@dataclass(frozen=True)
class SimCamera:
    """A camera at ``x_m, y_m`` (site metres) seeing ``view_xyxy_m`` of ``place``'s floor."""

    camera_id: str
    name: str
    place: str
    x_m: float
    y_m: float
    view_xyxy_m: tuple[float, float, float, float]
    calibration: Calibration = field(repr=False)


@dataclass(frozen=True)
class Visit:
    person: int
    place: int
    t_arrive_s: float
    t_leave_s: float


@dataclass(frozen=True)
class Meeting:
    """Persons ``a`` and ``b`` stand ``distance_m`` apart at ``place`` in the interval."""

    a: int
    b: int
    place: int
    t_start_s: float
    t_end_s: float
    distance_m: float


@dataclass(frozen=True)
class Presence:
    """A stretch of time a person stood in one camera's view (true, not observed)."""

    person: int
    camera_id: str
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True)
class TrueContact:
    """Exposure of ``other`` to ``patient`` under ``policy`` (seconds within its distance,
    mask rule applied, largest sum over its window) and their closest approach."""

    patient: int
    other: int
    policy: str
    exposure_s: float
    min_distance_m: float
    close: bool
    """At or above the policy's ``min_exposure_s``: a close contact."""


@dataclass(frozen=True)
class SimPatient:
    person: int
    reference_embeddings: F32
    """(R, 128) L2-normalised: the patient's reference photo(s), drawn like any photo."""


@dataclass(frozen=True)
class SimTruth:
    t_from_s: float
    t_to_s: float
    masked: tuple[bool, ...]
    """Per person: wears a mask properly."""
    presences: tuple[Presence, ...]
    sighting_person: dict[str, int]
    visits: tuple[Visit, ...]
    meetings: tuple[Meeting, ...]
    patients: tuple[SimPatient, ...]
    contacts: tuple[TrueContact, ...]
    """Every (patient, other, policy) whose exposure or co-presence is non-zero."""

    def presences_of(self, person: int) -> list[Presence]:
        return [p for p in self.presences if p.person == person]


@dataclass(frozen=True)
class SimVideo:
    """One pseudo-video: a camera's footage for one hour (never a real file)."""

    video_id: str
    camera_id: str
    path: str
    start_utc_s: float
    duration_s: float


@dataclass(frozen=True)
class SimWorld:
    config: SimConfig
    places: tuple[Place, ...]
    cameras: tuple[SimCamera, ...]
    videos: tuple[SimVideo, ...]
    sightings: tuple[Sighting, ...]
    truth: SimTruth = field(repr=False)


@dataclass
class _Track:
    """A person's true positions on the global grid while inside places."""

    k: I64  # grid index: t = t0 + k / hz
    xy: F64  # (K, 2)
    place: I64  # (K,)


# -- public entry ------------------------------------------------------------------------


def simulate(config: SimConfig) -> SimWorld:
    """The whole synthetic city for ``config``; deterministic in ``config.seed``."""
    rng = np.random.default_rng(config.seed)
    places, cameras = build_site(config.cameras, config.seed)
    n = config.people
    speed = np.clip(rng.normal(WALK_SPEED_M_S, 0.1, n), 1.1, 1.7)
    masked = rng.random(n) < config.masked_fraction
    visits = [_schedule(rng, i, places, float(speed[i]), config) for i in range(n)]
    meetings, pins = _meetings(rng, visits, places, speed, config)
    tracks = [
        _trajectory(rng, visits[i], pins.get(i, []), places, float(speed[i]), config)
        for i in range(n)
    ]
    face_common = _unit(rng.normal(size=FACE_DIM))
    face_centres = _unit(FACE_COMMON * face_common + _unit(rng.normal(size=(n, FACE_DIM))))
    cnn_centres, colour_centres = _appearance_centres(rng, n)
    videos = _videos(cameras, config)
    cam_index = {c.camera_id: i for i, c in enumerate(cameras)}
    presences: list[Presence] = []
    sightings: list[Sighting] = []
    sighting_person: dict[str, int] = {}
    next_track = {v.video_id: 0 for v in videos}
    noise = config.noise_model
    for person, track in enumerate(tracks):
        for cam, k0, k1 in _camera_runs(track, places):
            camera = cameras[cam]
            t0 = config.start_utc_s + k0 / config.path_hz
            t1 = config.start_utc_s + k1 / config.path_hz
            presences.append(Presence(person, camera.camera_id, t0, t1))
            sel = (track.k >= k0) & (track.k <= k1)
            for piece_t, piece_xy in _observe(rng, track.k[sel], track.xy[sel], noise, config):
                hour = int((piece_t[0] - config.start_utc_s) // VIDEO_S)
                video = videos[cam_index[camera.camera_id] * _hours(config) + hour]
                tid = next_track[video.video_id]
                next_track[video.video_id] = tid + 1
                s = _sighting(
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
    patient_ids = _pick_patients(rng, meetings, tracks, config)
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


# -- site ------------------------------------------------------------------------------


def build_site(n_cameras: int, seed: int) -> tuple[tuple[Place, ...], tuple[SimCamera, ...]]:
    """Places on a grid and their calibrated cameras (ids ``sim-<seed>-cam-NNN``)."""
    n_places = max(1, math.ceil(n_cameras / 2))
    per_place = [len(range(p, n_cameras, n_places)) for p in range(n_places)]
    cols = math.ceil(math.sqrt(n_places))
    places: list[Place] = []
    cameras: list[SimCamera] = []
    cam_no = 0
    for p in range(n_places):
        kind = PLACE_KINDS[p % len(PLACE_KINDS)]
        name = f"{kind}-{p + 1}"
        x0 = (p % cols) * PLACE_SPACING_M
        y0 = (p // cols) * PLACE_SPACING_M
        ids = []
        for j in range(per_place[p]):
            cid = f"sim{seed}-cam-{cam_no:03d}"
            cam_no += 1
            ids.append(cid)
            view = (
                x0 + j * CAMERA_VIEW_W_M,
                y0,
                x0 + (j + 1) * CAMERA_VIEW_W_M,
                y0 + PLACE_DEPTH_M,
            )
            # The views of one place share its floor plan (site metres): contacts are
            # measured across them, as a site would calibrate one open space.
            cam_xy, calibration = pinhole_calibration(view, floor_frame=name)
            cameras.append(
                SimCamera(
                    cid, f"{name} camera {j + 1}", name, cam_xy[0], cam_xy[1], view, calibration
                )
            )
        places.append(
            Place(name, kind, x0, y0, per_place[p] * CAMERA_VIEW_W_M, PLACE_DEPTH_M, tuple(ids))
        )
    return tuple(places), tuple(cameras)


def pinhole_calibration(
    view_xyxy_m: tuple[float, float, float, float],
    height_m: float = 4.0,
    setback_m: float = 4.0,
    tilt_deg: float = 30.0,
    hfov_deg: float = 90.0,
    floor_frame: str | None = None,
) -> tuple[tuple[float, float], Calibration]:
    """A camera ``height_m`` up, ``setback_m`` in front of the view's near edge (lower y),
    looking along +y: its site position and the calibration fitted from six floor points
    (a 3 x 2 grid inside the view) projected into a 1920 x 1080 image."""
    x0, y0, x1, y1 = view_xyxy_m
    cam = np.array([(x0 + x1) / 2, y0 - setback_m, height_m])
    w, h = IMAGE_SIZE_PX
    f = (w / 2) / math.tan(math.radians(hfov_deg) / 2)
    t = math.radians(tilt_deg)
    rot = np.array(
        [[1.0, 0.0, 0.0], [0.0, -math.sin(t), -math.cos(t)], [0.0, math.cos(t), -math.sin(t)]]
    )
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    gx = np.linspace(x0 + 1.0, x1 - 1.0, 3)
    gy = np.array([y0 + 1.0, y1 - 1.0])
    floor = np.array([(x, y) for y in gy for x in gx])
    world = np.column_stack([floor, np.zeros(len(floor))])
    uvw = ((world - cam) @ rot.T) @ k.T
    image = uvw[:, :2] / uvw[:, 2:3]
    calibration = fit_calibration(
        image, floor, image_size_px=IMAGE_SIZE_PX, source="sim camera", floor_frame=floor_frame
    )
    return (float(cam[0]), float(cam[1])), calibration


# -- schedules and movement ------------------------------------------------------------


def _hours(config: SimConfig) -> int:
    return max(1, math.ceil(config.hours - 1e-9))


def _door_distance(places: tuple[Place, ...], a: int, b: int) -> float:
    (ax, ay), (bx, by) = places[a].door_xy_m, places[b].door_xy_m
    return math.hypot(ax - bx, ay - by)


def _schedule(
    rng: np.random.Generator, person: int, places: tuple[Place, ...], speed: float, c: SimConfig
) -> list[Visit]:
    """Visits from a random start to the end of the window; between two visits at least
    the walk between their doors, plus some time unseen (a street, a home)."""
    t = c.start_utc_s + rng.uniform(0, 0.3) * c.hours * 3600
    place = int(rng.integers(len(places)))
    out: list[Visit] = []
    while t < c.t_end_s:
        dwell = float(np.clip(rng.lognormal(math.log(20 * 60), 0.8), 3 * 60, 3 * 3600))
        out.append(Visit(person, place, t, min(t + dwell, c.t_end_s)))
        nxt = int(rng.integers(len(places)))
        if len(places) > 1:
            while nxt == place:
                nxt = int(rng.integers(len(places)))
        walk = _door_distance(places, place, nxt) / speed
        t = t + dwell + walk + float(rng.exponential(5 * 60))
        place = nxt
    return out


def _meetings(
    rng: np.random.Generator,
    visits: list[list[Visit]],
    places: tuple[Place, ...],
    speed: F64,
    c: SimConfig,
) -> tuple[list[Meeting], dict[int, list[tuple[float, float, F64]]]]:
    """Pairs who meet once each; B's schedule is rewritten around the meeting (visits that
    would leave too little walking time are trimmed or dropped). Returns the meetings and
    per person the pinned spots ``(t_start, t_end, xy)`` their trajectories must keep."""
    n = len(visits)
    want = round(n * c.meeting_fraction / 2)
    busy: set[int] = set()
    meetings: list[Meeting] = []
    pins: dict[int, list[tuple[float, float, F64]]] = {}
    order = rng.permutation(n)
    for a in order.tolist():
        if len(meetings) >= want:
            break
        if a in busy:
            continue
        long = [v for v in visits[a] if v.t_leave_s - v.t_arrive_s >= 8 * 60]
        free = [b for b in range(n) if b != a and b not in busy]
        if not long or not free:
            continue
        v = long[int(rng.integers(len(long)))]
        span = v.t_leave_s - v.t_arrive_s - 2 * 60  # a minute's margin at each end
        duration = float(min(rng.uniform(5 * 60, 40 * 60), span))
        t0 = v.t_arrive_s + 60 + float(rng.uniform(0, span - duration))
        t1 = t0 + duration
        b = free[int(rng.integers(len(free)))]
        pl = places[v.place]
        spot = _spot(rng, pl, margin=SPOT_MARGIN_M + 1.6)
        dist = float(rng.uniform(0.5, 1.5))
        angle = float(rng.uniform(0, 2 * math.pi))
        other = spot + dist * np.array([math.cos(angle), math.sin(angle)])
        visits[b] = _insert_visit(visits[b], Visit(b, v.place, t0 - 60, t1 + 60), places, speed[b])
        pins.setdefault(a, []).append((t0, t1, spot))
        pins.setdefault(b, []).append((t0, t1, other))
        busy.update((a, b))
        meetings.append(Meeting(a, b, v.place, t0, t1, dist))
    return meetings, pins


def _insert_visit(
    visits: list[Visit], new: Visit, places: tuple[Place, ...], speed: float
) -> list[Visit]:
    before: list[Visit] = []
    after: list[Visit] = []
    for v in visits:
        latest_leave = new.t_arrive_s - _door_distance(places, v.place, new.place) / speed
        earliest_arrive = new.t_leave_s + _door_distance(places, new.place, v.place) / speed
        if v.t_arrive_s < new.t_arrive_s:
            leave = min(v.t_leave_s, latest_leave)
            if leave - v.t_arrive_s >= 60:
                before.append(Visit(v.person, v.place, v.t_arrive_s, leave))
        elif v.t_leave_s > new.t_leave_s:
            arrive = max(v.t_arrive_s, earliest_arrive)
            if v.t_leave_s - arrive >= 60:
                after.append(Visit(v.person, v.place, arrive, v.t_leave_s))
    # Only the visit right before / after needs the check above; dropping one leaves a
    # longer gap, which is always walkable.
    return [*_walkable(before, places, speed), new, *_walkable(after, places, speed)]


def _walkable(visits: list[Visit], places: tuple[Place, ...], speed: float) -> list[Visit]:
    out: list[Visit] = []
    for v in visits:
        if out:
            prev = out[-1]
            if v.t_arrive_s - prev.t_leave_s < _door_distance(places, prev.place, v.place) / speed:
                continue
        out.append(v)
    return out


def _spot(rng: np.random.Generator, place: Place, margin: float = SPOT_MARGIN_M) -> F64:
    return np.array(
        [
            rng.uniform(place.x0_m + margin, place.x0_m + place.width_m - margin),
            rng.uniform(place.y0_m + margin, place.y0_m + place.depth_m - margin),
        ]
    )


def _trajectory(
    rng: np.random.Generator,
    visits: list[Visit],
    pins: list[tuple[float, float, F64]],
    places: tuple[Place, ...],
    speed: float,
    c: SimConfig,
) -> _Track:
    """True positions on the global grid: in each visit the person walks from the door
    between random spots (dwelling 1 to 20 minutes), keeps any pinned spot over its
    interval, and walks back to the door to leave."""
    ks: list[I64] = []
    xys: list[F64] = []
    pls: list[I64] = []
    for v in visits:
        pl = places[v.place]
        door = np.array(pl.door_xy_m)
        anchors: list[tuple[float, float, F64]] = [(v.t_arrive_s, v.t_arrive_s, door)]
        anchors += sorted(
            (p for p in pins if v.t_arrive_s <= p[0] and p[1] <= v.t_leave_s), key=lambda p: p[0]
        )
        anchors.append((v.t_leave_s, v.t_leave_s, door))
        way_t: list[float] = []
        way_xy: list[F64] = []
        for (_, a_end, a_xy), (b_start, b_end, b_xy) in itertools.pairwise(anchors):
            if not way_t:
                way_t.append(a_end)
                way_xy.append(a_xy)
            t, pos = a_end, a_xy
            while True:
                spot = _spot(rng, pl)
                dwell = float(rng.uniform(60, 20 * 60))
                arrive = t + float(np.linalg.norm(spot - pos)) / speed
                leave = arrive + dwell
                if leave + float(np.linalg.norm(b_xy - spot)) / speed > b_start:
                    break
                way_t += [arrive, leave]
                way_xy += [spot, spot]
                t, pos = leave, spot
            depart = max(t, b_start - float(np.linalg.norm(b_xy - pos)) / speed)
            way_t += [depart, b_start]
            way_xy += [pos, b_xy]
            if b_end > b_start:
                way_t.append(b_end)
                way_xy.append(b_xy)
        k0 = math.ceil((v.t_arrive_s - c.start_utc_s) * c.path_hz)
        k1 = math.floor((v.t_leave_s - c.start_utc_s) * c.path_hz)
        if k1 < k0:
            continue
        k = np.arange(k0, k1 + 1, dtype=np.int64)
        t_grid = c.start_utc_s + k / c.path_hz
        wt = np.asarray(way_t)
        wxy = np.asarray(way_xy)
        xy = np.column_stack([np.interp(t_grid, wt, wxy[:, 0]), np.interp(t_grid, wt, wxy[:, 1])])
        ks.append(k)
        xys.append(xy)
        pls.append(np.full(len(k), v.place, np.int64))
    if not ks:
        return _Track(np.zeros(0, np.int64), np.zeros((0, 2)), np.zeros(0, np.int64))
    return _Track(np.concatenate(ks), np.concatenate(xys), np.concatenate(pls))


def _camera_runs(track: _Track, places: tuple[Place, ...]) -> list[tuple[int, int, int]]:
    """Contiguous runs ``(camera index, k_first, k_last)`` of one camera seeing the person."""
    if not len(track.k):
        return []
    first_cam = np.cumsum([0] + [len(p.camera_ids) for p in places])
    x0 = np.array([p.x0_m for p in places])[track.place]
    n_cams = np.array([len(p.camera_ids) for p in places])[track.place]
    j = np.clip(((track.xy[:, 0] - x0) // CAMERA_VIEW_W_M).astype(np.int64), 0, n_cams - 1)
    cam = first_cam[track.place] + j
    cut = np.flatnonzero((np.diff(cam) != 0) | (np.diff(track.k) != 1)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [len(cam)]]) - 1
    return [
        (int(cam[s]), int(track.k[s]), int(track.k[e])) for s, e in zip(starts, ends, strict=True)
    ]


# -- observation -----------------------------------------------------------------------


def _observe(
    rng: np.random.Generator, k: I64, xy: F64, noise: NoiseModel, c: SimConfig
) -> list[tuple[F64, F64]]:
    """One true presence seen by the tracker: ``(t (K,), xy (K, 2))`` per track.

    Misses and occlusions drop detections; a gap over ``max_gap_s``, an identity switch
    and an ingestion checkpoint (every `CHECKPOINT_S` of video) end a track; tracks under
    three detections are dropped.
    """
    t = c.start_utc_s + k / c.path_hz
    duration_min = (t[-1] - t[0]) / 60 if len(t) else 0.0
    seen = rng.random(len(t)) >= noise.miss_rate
    for _ in range(int(rng.poisson(noise.occlusions_per_min * duration_min))):
        start = rng.uniform(t[0], t[-1])
        seen &= ~((t >= start) & (t < start + rng.uniform(*noise.occlusion_s)))
    breaks = np.sort(
        rng.uniform(t[0], t[-1], int(rng.poisson(noise.breaks_per_min * duration_min)))
    )
    chunk = np.floor((t - c.start_utc_s) / CHECKPOINT_S).astype(np.int64)
    ts, ps = t[seen], xy[seen]
    if not len(ts):
        return []
    segment = np.searchsorted(breaks, ts) + chunk[seen] * (len(breaks) + 1)
    cut = np.flatnonzero((np.diff(ts) > noise.max_gap_s) | (np.diff(segment) != 0)) + 1
    out = []
    for part_t, part_xy in zip(np.split(ts, cut), np.split(ps, cut), strict=True):
        if len(part_t) < 3:
            continue
        bias = rng.normal(0, noise.track_bias_m, 2) if noise.track_bias_m > 0 else np.zeros(2)
        jitter = (
            rng.normal(0, noise.position_jitter_m, part_xy.shape)
            if noise.position_jitter_m > 0
            else 0.0
        )
        out.append((part_t, part_xy + bias + jitter))
    return out


def face_photos(rng: np.random.Generator, centres: F64, sigma_scale: float, masked: bool) -> F32:
    """One embedding per centre row (R, 128): normalise(centre + sigma * n), |n| ~ 1,
    sigma drawn in `FACE_SIGMA_RANGE` times ``sigma_scale`` (x1.3 when masked)."""
    c = np.atleast_2d(centres)
    sigma = rng.uniform(*FACE_SIGMA_RANGE, size=(len(c), 1)) * sigma_scale
    if masked:
        sigma = sigma * MASKED_FACE_SIGMA_FACTOR
    noise = rng.normal(size=c.shape) / math.sqrt(c.shape[1])
    return np.asarray(_unit(c + sigma * noise), np.float32)


def _appearance_centres(rng: np.random.Generator, n: int) -> tuple[F64, F64]:
    """Per-person CNN (n, 1280) and colour histogram (n, 2, 20) centres.

    The CNN centre is a shared positive base plus a person part, so two people have a
    cosine about 0.7 (ReLU features, as measured); clothing colours mix a shared dark
    and grey mass with one to three person-specific bins per body half.
    """
    base = rng.gamma(0.5, 1.0, CNN_DIM)
    person = rng.gamma(0.5, 1.0, (n, CNN_DIM))
    cnn = base + person
    hist = np.zeros((n, 2, COLOUR_BINS_PER_HALF))
    dark = np.zeros(COLOUR_BINS_PER_HALF)
    dark[-4:] = (0.5, 0.25, 0.15, 0.1)  # the achromatic bins: black, dark grey, grey, white
    for i in range(n):
        for half in range(2):
            own = np.zeros(COLOUR_BINS_PER_HALF)
            bins = rng.choice(COLOUR_BINS_PER_HALF, size=int(rng.integers(1, 4)), replace=False)
            own[bins] = rng.dirichlet(np.ones(len(bins)))
            w = rng.uniform(0.2, 1.0)  # some people dress all in black or grey
            hist[i, half] = w * dark + (1 - w) * own
    return cnn, hist


def _appearance(
    rng: np.random.Generator, cnn_centre: F64, colour_centre: F64, noise: NoiseModel
) -> F32:
    """A track's mean appearance vector (1320,): CNN and colour, each non-negative, unit."""
    cnn = np.maximum(cnn_centre + noise.appearance_sigma * rng.gamma(0.5, 1.0, CNN_DIM), 0.0)
    halves = []
    for half in range(2):
        mix = rng.dirichlet(np.full(COLOUR_BINS_PER_HALF, 0.5))
        h = (1 - noise.colour_mix) * colour_centre[half] + noise.colour_mix * mix
        halves.append(np.sqrt(h / h.sum()))
    colour = np.concatenate(halves) / math.sqrt(2)
    return np.asarray(np.concatenate([_unit(cnn), colour]), np.float32)


def _sighting(
    rng: np.random.Generator,
    video: SimVideo,
    track_id: int,
    t: F64,
    xy: F64,
    masked: bool,
    face_centre: F64,
    cnn_centre: F64,
    colour_centre: F64,
    noise: NoiseModel,
    c: SimConfig,
) -> Sighting:
    face_count = 0
    quality = 0.0
    embedding = None
    mask_ratio = None
    if rng.random() < c.face_visible_fraction:
        face_count = max(1, int(rng.binomial(len(t), rng.uniform(0.1, 0.6))))
        quality = float(rng.uniform(0.55, 0.98))
        # Better faces (higher detector score) sit closer to the centre.
        scale = noise.face_sigma_scale * (1.25 - 0.5 * (quality - 0.55) / 0.43)
        embedding = face_photos(rng, face_centre[None], scale, masked)[0]
        p_masked = 1 - noise.mask_flip_rate if masked else noise.mask_flip_rate
        mask_ratio = float(rng.binomial(face_count, p_masked)) / face_count
    return Sighting(
        sighting_id=sim_sighting_id(video.video_id, track_id),
        camera_id=video.camera_id,
        video_id=video.video_id,
        track_id=track_id,
        t_start_s=float(t[0]),
        t_end_s=float(t[-1]),
        path_t_s=np.asarray(t, np.float64),
        path_floor_xy_m=np.asarray(xy, np.float32),
        path_approximate=False,
        face_count=face_count,
        face_quality=round(quality, 4),
        face_embedding=embedding,
        appearance=_appearance(rng, cnn_centre, colour_centre, noise),
        mask_ratio=mask_ratio,
        thumbnail_jpeg=None,
    )


def sim_sighting_id(video_id: str, track_id: int) -> str:
    """The same form ingestion uses (`cctrace.ingest.aggregate.sighting_id`)."""
    return f"{video_id[:16]}-{track_id:06d}"


def sim_video_id(seed: int, camera_id: str, hour: int) -> str:
    """``sim-`` and 60 hex digits: as long as a real (SHA-256) video id, never equal to one."""
    digest = hashlib.sha256(f"cctrace-sim/{seed}/{camera_id}/{hour}".encode()).hexdigest()
    return SIM_VIDEO_PREFIX + digest[:60]


def _videos(cameras: tuple[SimCamera, ...], c: SimConfig) -> tuple[SimVideo, ...]:
    out = []
    for cam in cameras:
        for h in range(_hours(c)):
            vid = sim_video_id(c.seed, cam.camera_id, h)
            out.append(
                SimVideo(
                    vid,
                    cam.camera_id,
                    f"{SIM_PATH_SCHEME}{cam.camera_id}/{h:04d}",
                    c.start_utc_s + h * VIDEO_S,
                    VIDEO_S,
                )
            )
    return tuple(out)


# -- truth -----------------------------------------------------------------------------


def _pick_patients(
    rng: np.random.Generator, meetings: list[Meeting], tracks: list[_Track], c: SimConfig
) -> list[int]:
    """Patients: people who met someone first (they have contacts to find), then others
    seen for at least ten minutes."""
    met = [m.a for m in meetings] + [m.b for m in meetings]
    rng.shuffle(met)
    seen = [i for i, tr in enumerate(tracks) if len(tr.k) >= 600 * c.path_hz and i not in met]
    rng.shuffle(seen)
    out: list[int] = []
    for p in met + seen:
        if p not in out:
            out.append(p)
    return sorted(out[: c.patients])


def true_contacts(
    patient: int,
    tracks: list[_Track],
    masked: NDArray[np.bool_],
    policies: list[Policy],
    path_hz: float,
    t0_s: float,
) -> list[TrueContact]:
    """Exposure of every other person to ``patient`` under each policy, from the true
    positions on the shared grid (same place, same instant)."""
    pt = tracks[patient]
    out: list[TrueContact] = []
    if not len(pt.k):
        return out
    dt = 1.0 / path_hz
    for other, ot in enumerate(tracks):
        if other == patient or not len(ot.k):
            continue
        common, ip, io = np.intersect1d(pt.k, ot.k, assume_unique=True, return_indices=True)
        if not len(common):
            continue
        same = pt.place[ip] == ot.place[io]
        if not same.any():
            continue
        k = common[same]
        d = np.linalg.norm(pt.xy[ip[same]] - ot.xy[io[same]], axis=1)
        both_masked = bool(masked[patient] and masked[other])
        for policy in policies:
            close = d < policy.distance_m
            if policy.both_masked_exempt and both_masked:
                close = np.zeros_like(close)
            exposure = _max_window_s(k[close], dt, path_hz, policy.window_s)
            out.append(
                TrueContact(
                    patient,
                    other,
                    policy.name,
                    exposure,
                    float(d.min()),
                    exposure >= policy.min_exposure_s,
                )
            )
    return out


def _max_window_s(k: I64, dt_s: float, path_hz: float, window_s: float | None) -> float:
    """Largest exposure (samples x dt) in any window of ``window_s`` (None: all of it)."""
    if window_s is None or not len(k):
        return float(len(k) * dt_s)
    span = int(window_s * path_hz)
    ends = np.searchsorted(k, k + span, side="left")
    return float((ends - np.arange(len(k))).max() * dt_s)


def _unit(v: F64) -> F64:
    v = np.asarray(v, np.float64)
    return np.asarray(v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12))


__all__ = [
    "APPEARANCE_DIM",
    "FACE_DIM",
    "SIM_PATH_SCHEME",
    "SIM_VIDEO_PREFIX",
    "Meeting",
    "NoiseModel",
    "Place",
    "Presence",
    "SimCamera",
    "SimConfig",
    "SimPatient",
    "SimTruth",
    "SimVideo",
    "SimWorld",
    "TrueContact",
    "Visit",
    "build_site",
    "face_photos",
    "pinhole_calibration",
    "sim_video_id",
    "simulate",
    "true_contacts",
]
