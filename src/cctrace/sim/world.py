"""The simulated city's records and fixed sizes: its configuration and noise model, places,
cameras, visits, meetings, presences, patients, true contacts, videos and the world
`simulate` returns (`cctrace.sim.city` explains the model)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from cctrace.config import POLICIES
from cctrace.core.types import Sighting
from cctrace.geometry.calibration import Calibration

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
class Track:
    """A person's true positions on the global grid while inside places."""

    k: I64  # grid index: t = t0 + k / hz
    xy: F64  # (K, 2)
    place: I64  # (K,)


def video_hours(config: SimConfig) -> int:
    return max(1, math.ceil(config.hours - 1e-9))
